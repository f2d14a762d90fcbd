"""Validation of `metadata`, shared by every kind, as kube-apiserver 1.32 does it.

On create (`object_meta`): the kind's name rule (`resource.name_rule`; a CRD's name must be
`<plural>.<group>`), name or generateName, namespace for namespaced kinds, labels,
annotations (keys and 256 KiB in total), ownerReferences (fields required, one controller at
most), finalizer names. On update (`object_meta_update`): name, namespace, uid,
creationTimestamp and the deletion fields are immutable, generation never goes down, no new
finalizers once the object is being deleted. Called by `validation` (and `validation.pods` for
pod template labels) in the API server's write pipeline.
"""

from __future__ import annotations

from typing import Any

from gitferry.apiserver.catalog import ResourceType
from gitferry.apiserver.validation import fields as f
from gitferry.apiserver.validation import names as validation_names

Cause = f.Cause
Obj = dict[str, Any]

ANNOTATIONS_LIMIT = 256 * 1024
_STANDARD_FINALIZERS = frozenset({"kubernetes", "orphan", "foregroundDeletion"})
_CRD = ("apiextensions.k8s.io", "CustomResourceDefinition")
_SUBDOMAIN = validation_names.NAME_CHECKS["subdomain"]


def generate_name_prefix(resource: ResourceType, prefix: str) -> list[Cause]:
    """Problems of a `metadata.generateName` prefix under the kind's name rule (prefix mode)."""
    check = validation_names.NAME_CHECKS.get(resource.name_rule, _SUBDOMAIN)
    return [f.invalid("metadata.generateName", prefix, msg) for msg in check(prefix, True)]


def _name_messages(resource: ResourceType, obj: Obj, name: str) -> list[str]:
    messages = validation_names.NAME_CHECKS.get(resource.name_rule, _SUBDOMAIN)(name, False)
    if (resource.group, resource.kind) == _CRD:
        names = f.mapping(f.mapping(obj.get("spec")).get("names"))
        wanted = f"{names.get('plural', '')}.{f.mapping(obj.get('spec')).get('group', '')}"
        if name != wanted:
            messages = [*messages, 'must be spec.names.plural+"."+spec.group']
    return messages


def _kube_rules(resource: ResourceType) -> bool:
    """Built-in kinds outside apiextensions also check finalizer names kube's own way."""
    return resource.builtin and resource.group != _CRD[0]


def object_meta(resource: ResourceType, obj: Obj) -> list[Cause]:
    """`ValidateObjectMeta` on create (name generation has already happened)."""
    meta = f.mapping(obj.get("metadata"))
    causes: list[Cause] = []
    generate_name = meta.get("generateName")
    if isinstance(generate_name, str) and generate_name:
        causes.extend(generate_name_prefix(resource, generate_name))
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        causes.append(f.required("metadata.name", "name or generateName is required"))
    else:
        causes.extend(
            f.invalid("metadata.name", name, msg) for msg in _name_messages(resource, obj, name)
        )
    namespace = meta.get("namespace")
    if resource.namespaced:
        if not isinstance(namespace, str) or not namespace:
            causes.append(f.required("metadata.namespace"))
        else:
            causes.extend(
                f.invalid("metadata.namespace", namespace, msg)
                for msg in validation_names.dns1123_label(namespace)
            )
    elif namespace:
        causes.append(f.forbidden("metadata.namespace", "not allowed on this type"))
    causes.extend(f.nonnegative(meta.get("generation"), "metadata.generation"))
    causes.extend(check_labels(meta.get("labels"), "metadata.labels"))
    causes.extend(check_annotations(meta.get("annotations"), "metadata.annotations"))
    causes.extend(_owner_references(meta.get("ownerReferences")))
    finalizers = [x for x in f.items(meta.get("finalizers")) if isinstance(x, str)]
    causes.extend(_finalizers(finalizers))
    if _kube_rules(resource):
        causes.extend(_kube_finalizers(finalizers))
    return causes


def object_meta_update(resource: ResourceType, obj: Obj, old: Obj) -> list[Cause]:
    """`ValidateObjectMetaUpdate`."""
    meta, old_meta = f.mapping(obj.get("metadata")), f.mapping(old.get("metadata"))
    causes: list[Cause] = []
    if old_meta.get("deletionTimestamp"):
        old_set = set(f.items(old_meta.get("finalizers")))
        extra = sorted({x for x in f.items(meta.get("finalizers")) if x not in old_set})
        if extra:
            causes.append(
                f.forbidden(
                    "metadata.finalizers",
                    "no new finalizers can be added if the object is being deleted, found new "
                    f"finalizers {f.go_strings(extra)}",
                )
            )
    generation, old_generation = meta.get("generation") or 0, old_meta.get("generation") or 0
    if (
        isinstance(generation, int)
        and isinstance(old_generation, int)
        and generation < old_generation
    ):
        causes.append(f.invalid("metadata.generation", generation, "must not be decremented"))
    for key in (
        "name",
        "namespace",
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
    ):
        new_value, old_value = meta.get(key), old_meta.get(key)
        if _unset_empty(new_value) != _unset_empty(old_value):
            causes.append(f.invalid(f"metadata.{key}", new_value, f.IMMUTABLE))
    causes.extend(check_labels(meta.get("labels"), "metadata.labels"))
    causes.extend(check_annotations(meta.get("annotations"), "metadata.annotations"))
    causes.extend(_owner_references(meta.get("ownerReferences")))
    if _kube_rules(resource):
        finalizers = [x for x in f.items(meta.get("finalizers")) if isinstance(x, str)]
        causes.extend(_kube_finalizers(finalizers))
    return causes


def _unset_empty(value: Any) -> Any:
    return None if value == "" else value


def check_labels(value: Any, path: str) -> list[Cause]:
    """`ValidateLabels`: qualified-name keys and label values, errors on the map's path."""
    causes: list[Cause] = []
    for key, label in f.mapping(value).items():
        causes.extend(f.invalid(path, key, msg) for msg in validation_names.qualified_name(key))
        if isinstance(label, str):
            causes.extend(
                f.invalid(path, label, msg) for msg in validation_names.label_value(label)
            )
    return causes


def check_annotations(value: Any, path: str) -> list[Cause]:
    """`ValidateAnnotations`: qualified-name keys (any case) and 256 KiB in total."""
    causes: list[Cause] = []
    pairs = f.mapping(value)
    chars = 0
    for key, text in pairs.items():
        causes.extend(
            f.invalid(path, key, msg) for msg in validation_names.qualified_name(key.lower())
        )
        chars += len(key) + (len(text) if isinstance(text, str) else 0)
    # Kube counts bytes; count them only when the characters alone could be over the limit.
    if chars * 4 > ANNOTATIONS_LIMIT and _utf8_size(pairs) > ANNOTATIONS_LIMIT:
        causes.append(f.too_long(path, ANNOTATIONS_LIMIT))
    return causes


def _utf8_size(pairs: Obj) -> int:
    return sum(
        len(key.encode()) + (len(text.encode()) if isinstance(text, str) else 0)
        for key, text in pairs.items()
    )


def _owner_references(value: Any) -> list[Cause]:
    path = "metadata.ownerReferences"
    refs = [ref for ref in f.items(value) if isinstance(ref, dict)]
    causes: list[Cause] = []
    first_controller = ""
    for ref in refs:
        api_version, kind = f.text(ref.get("apiVersion")), f.text(ref.get("kind"))
        if not api_version.rpartition("/")[2]:
            causes.append(f.invalid(f"{path}.apiVersion", api_version, "version must not be empty"))
        if not kind:
            causes.append(f.invalid(f"{path}.kind", kind, "kind must not be empty"))
        if not ref.get("name"):
            causes.append(
                f.invalid(f"{path}.name", f.text(ref.get("name")), "name must not be empty")
            )
        if not ref.get("uid"):
            causes.append(f.invalid(f"{path}.uid", f.text(ref.get("uid")), "uid must not be empty"))
        if api_version == "v1" and kind == "Event":
            causes.append(
                f.invalid(
                    path,
                    f.go_struct("v1.OwnerReference", ref),
                    "/v1, Kind=Event is disallowed from being an owner",
                )
            )
        if ref.get("controller") is True:
            current = f"{kind}/{ref.get('name') or ''}"
            if first_controller:
                causes.append(
                    f.invalid(
                        path,
                        f.go_struct("[]v1.OwnerReference", refs),
                        'Only one reference can have Controller set to true. Found "true" in '
                        f"references for {first_controller} and {current}",
                    )
                )
            else:
                first_controller = current
    return causes


def _finalizers(finalizers: list[str]) -> list[Cause]:
    path = "metadata.finalizers"
    causes = [
        f.invalid(path, name, msg)
        for name in finalizers
        for msg in validation_names.qualified_name(name)
    ]
    if "orphan" in finalizers and "foregroundDeletion" in finalizers:
        causes.append(
            f.invalid(
                path,
                f.GoRaw(f.go_strings(finalizers)),
                "finalizer orphan and foregroundDeletion cannot be both set",
            )
        )
    return causes


def _kube_finalizers(finalizers: list[str]) -> list[Cause]:
    """The built-in kinds' extra rule: a finalizer without `/` must be a standard one."""
    return [
        cause
        for i, name in enumerate(finalizers)
        for cause in _standard_finalizer(name, f"metadata.finalizers[{i}]")
    ]


def _standard_finalizer(name: str, path: str) -> list[Cause]:
    if "/" in name or name in _STANDARD_FINALIZERS:
        return []
    return [
        f.invalid(path, name, "name is neither a standard finalizer name nor is it fully qualified")
    ]


def finalizer_name(name: str, path: str) -> list[Cause]:
    """A finalizer name of a built-in kind: qualified, and standard when it has no prefix."""
    causes = [f.invalid(path, name, msg) for msg in validation_names.qualified_name(name)]
    causes.extend(_standard_finalizer(name, path))
    return causes
