"""Validation of objects before the embedded API server stores them, as kube-apiserver 1.32 does.

Called by the API server's write pipeline on create and on every update (after merging or
patching and after `defaults.apply_defaults`): `validate(resource, obj, old)` raises the 422
`errors.invalid` with every problem found, in kube's words, or returns when the object may be
stored. `old` is the stored object on updates and `None` on creates.

Rules, in the order kube checks them: metadata first (`validation_meta`: names, labels,
annotations, owners, finalizers; immutability on update), then the kind's own rules
(`validation_kinds`, `validation_pods`). Custom resources get the metadata rules only; their
schema is checked elsewhere.

Also here: strict field validation (`unknown_fields`, `strict_decoding_message`), which the
pipeline turns into a 400 before anything else, and `validate_generate_name_prefix`.
"""

from __future__ import annotations

from typing import Any

from gitferry.apiserver import errors, schema, validation_kinds, validation_meta
from gitferry.apiserver import validation_fields as f
from gitferry.apiserver.catalog import ResourceType

Cause = f.Cause
Obj = dict[str, Any]

# Re-exported: the pipeline checks a generateName prefix before it generates the name.
validate_generate_name_prefix = validation_meta.generate_name_prefix


def validate(resource: ResourceType, obj: Obj, old: Obj | None) -> None:
    """Raise `errors.invalid` listing every problem of `obj` (an update of `old` if given)."""
    causes = problems(resource, obj, old)
    if causes:
        name = f.mapping(obj.get("metadata")).get("name")
        raise errors.invalid(
            resource.group, resource.kind, name if isinstance(name, str) else "", causes
        )


def problems(resource: ResourceType, obj: Obj, old: Obj | None) -> list[Cause]:
    """Every problem of `obj` as (cause reason, field, message), in kube's order."""
    if old is None:
        causes = validation_meta.object_meta(resource, obj)
    else:
        causes = validation_meta.object_meta_update(resource, obj, old)
    if resource.builtin:
        check = validation_kinds.CHECKS.get((resource.group, resource.kind))
        if check is not None:
            causes.extend(check(obj, old))
    return causes


# --- strict field validation -----------------------------------------------------------------


def unknown_fields(node: schema.TypeNode, obj: Obj) -> list[str]:
    """Paths of the keys of `obj` its schema does not declare, in object order.

    Paths read as kube prints them in `strict decoding error: unknown field "<path>"`: keys
    joined by dots, list items as `[i]` (`spec.template.spec.containers[0].foo`).
    """
    found: list[str] = []
    _walk(node, obj, "", found)
    return found


def _walk(node: schema.TypeNode, value: Any, path: str, found: list[str]) -> None:
    kind = node.kind
    if kind is schema.Kind.STRUCT:
        if not isinstance(value, dict):
            return
        fields = node.fields
        for key, child in value.items():
            sub = f"{path}.{key}" if path else key
            node_child = fields.get(key)
            if node_child is None:
                if not node.preserve_unknown:
                    found.append(sub)
                continue
            if isinstance(child, dict | list):
                _walk(node_child, child, sub, found)
    elif kind is schema.Kind.MAP:
        elem = node.elem
        if elem is None or elem.kind not in (schema.Kind.STRUCT, schema.Kind.MAP, schema.Kind.LIST):
            return
        if isinstance(value, dict):
            for key, child in value.items():
                _walk(elem, child, f"{path}.{key}" if path else key, found)
    elif kind is schema.Kind.LIST:
        elem = node.elem
        if elem is None or elem.kind not in (schema.Kind.STRUCT, schema.Kind.MAP, schema.Kind.LIST):
            return
        if isinstance(value, list):
            for i, child in enumerate(value):
                _walk(elem, child, f"{path}[{i}]", found)


def strict_decoding_message(paths: list[str]) -> str:
    """`strict decoding error: unknown field "a", unknown field "b"`."""
    return "strict decoding error: " + ", ".join(f'unknown field "{p}"' for p in paths)
