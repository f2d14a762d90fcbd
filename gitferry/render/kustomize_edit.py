"""The Application's Kustomize options written into a kustomization, as Argo CD's
`kustomize edit` calls write them (reference 1.7), in Argo CD's order: name prefix, name
suffix, images, replicas, common labels, common annotations, namespace, patches, components.

Pure: `apply_options` takes the parsed kustomization and returns the edited one. The
kustomize binary may be `kubectl kustomize`, which has no `edit`, so the edits are done here
with `kustomize edit`'s semantics. Called by `kustomize`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from gitferry.model.errors import RenderError
from gitferry.model.source import KustomizeOptions
from gitferry.render import envsubst

_TAG = re.compile(r"^(.*):([a-zA-Z0-9._-]*|\*)$")
_PRESERVE = "*"
_IMAGE_FORMATS = (
    "use one of <image>=<newimage>:<newtag>, <image>=<newimage>@<digest>, "
    "<image>=<newimage>, <image>:<newtag>, <image>@<digest>"
)


def parse_image(arg: str) -> dict[str, str]:
    """`[old=]new[:tag|@digest]` as `kustomize edit set image` reads it."""
    parts = arg.split("=")
    overwrite_name = len(parts) == 2
    text = parts[1] if overwrite_name else arg
    if "@" in text:
        name, _, digest = text.partition("@")
        found = {"name": name, "digest": digest.split("@")[0]}
    elif match := _TAG.match(text):
        found = {"name": match.group(1), "newTag": match.group(2)}
    elif text and overwrite_name:
        found = {"name": text}
    else:
        raise RenderError(f"kustomize image {arg!r}: invalid format; {_IMAGE_FORMATS}")
    if overwrite_name:
        found = {**found, "newName": found["name"], "name": parts[0]}
    return found


def _set_images(kustomization: dict[str, Any], args: list[str]) -> None:
    wanted: dict[str, dict[str, str]] = {}
    for arg in args:
        image = parse_image(arg)
        wanted[image["name"]] = image
    for existing in kustomization.get("images") or []:
        name = existing.get("name", "")
        if name not in wanted:
            wanted[name] = existing
            continue
        for field in ("newName", "newTag", "digest"):
            if wanted[name].get(field) == _PRESERVE:
                wanted[name] = {**wanted[name], field: existing.get(field, "")}
    images = []
    for image in wanted.values():
        kept = {k: v for k, v in image.items() if v not in ("", None, _PRESERVE)}
        images.append({"name": image.get("name", ""), **kept})
    kustomization["images"] = sorted(images, key=lambda im: str(im["name"]))


def _count(value: Any, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+", value):
        return int(value)
    raise RenderError(f"kustomize replicas {name}: expected integer value for count, got {value!r}")


def _set_replicas(kustomization: dict[str, Any], replicas: list[Any]) -> None:
    wanted: dict[str, dict[str, Any]] = {}
    for entry in replicas:
        name = str((entry or {}).get("name", ""))
        wanted[name] = {"name": name, "count": _count((entry or {}).get("count"), name)}
    for existing in kustomization.get("replicas") or []:
        wanted.setdefault(str(existing.get("name", "")), existing)
    kustomization["replicas"] = sorted(wanted.values(), key=lambda r: str(r["name"]))


def _add_map(
    kustomization: dict[str, Any], key: str, pairs: Mapping[str, str], force: bool, kind: str
) -> None:
    current = dict(kustomization.get(key) or {})
    for name, value in pairs.items():
        if name in current and not force:
            raise RenderError(f"kustomize: {kind} {name} already in kustomization file")
        current[name] = value
    kustomization[key] = current


def _add_labels(
    kustomization: dict[str, Any], pairs: Mapping[str, str], options: KustomizeOptions
) -> None:
    force = bool(options.get("forceCommonLabels"))
    if options.get("labelIncludeTemplates") and not options.get("labelWithoutSelector"):
        raise RenderError(
            "kustomize: labelIncludeTemplates needs labelWithoutSelector "
            "(--without-selector flag must be specified for --include-templates to work)"
        )
    if not options.get("labelWithoutSelector"):
        _add_map(kustomization, "commonLabels", pairs, force, "label")
        return
    labels = [dict(entry) for entry in kustomization.get("labels") or []]
    new: dict[str, str] = {}
    for name, value in pairs.items():
        present = False
        for entry in labels:
            if name in (entry.get("pairs") or {}):
                if not force:
                    raise RenderError(f"kustomize: label {name} already in kustomization file")
                entry["pairs"] = {**entry["pairs"], name: value}
                present = True
        if not present:
            new[name] = value
    if new:
        added: dict[str, Any] = {"pairs": new}
        if options.get("labelIncludeTemplates"):
            added["includeTemplates"] = True
        labels.append(added)
    kustomization["labels"] = labels


def _patches(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(p, dict) for p in value):
        raise RenderError("kustomize patches: must be a list of objects")
    return [{k: v for k, v in p.items() if v not in (None, "", {})} for p in value]


def _strings(value: Any, what: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise RenderError(f"kustomize {what}: must be a map of strings")
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def apply_options(
    kustomization: dict[str, Any],
    options: KustomizeOptions,
    env: Mapping[str, str],
    component_exists: Callable[[str], bool],
) -> dict[str, Any]:
    """The kustomization with the Application's Kustomize options written in."""
    result = dict(kustomization)
    if options.get("namePrefix"):
        result["namePrefix"] = str(options.get("namePrefix"))
    if options.get("nameSuffix"):
        result["nameSuffix"] = str(options.get("nameSuffix"))
    if options.get("images"):
        _set_images(result, [envsubst.expand(str(i), env) for i in options.get("images")])
    if options.get("replicas"):
        _set_replicas(result, list(options.get("replicas")))
    if options.get("commonLabels"):
        labels = _strings(options.get("commonLabels"), "commonLabels")
        _add_labels(result, {k: envsubst.expand(v, env) for k, v in labels.items()}, options)
    if options.get("commonAnnotations"):
        annotations = _strings(options.get("commonAnnotations"), "commonAnnotations")
        if options.get("commonAnnotationsEnvsubst"):
            annotations = {k: envsubst.expand(v, env) for k, v in annotations.items()}
        force = bool(options.get("forceCommonAnnotations"))
        _add_map(result, "commonAnnotations", annotations, force, "annotation")
    if options.get("namespace"):
        result["namespace"] = str(options.get("namespace"))
    if options.get("patches"):
        result["patches"] = [*(result.get("patches") or []), *_patches(options.get("patches"))]
    if options.get("components"):
        components = [str(c) for c in options.get("components")]
        if options.get("ignoreMissingComponents"):
            components = [c for c in components if component_exists(c)]
        missing = [c for c in components if not component_exists(c)]
        if missing:
            raise RenderError(f"kustomize component {missing[0]}: has no match")
        current = list(result.get("components") or [])
        for component in components:
            if component not in current:
                current.append(component)
        result["components"] = current
    return result
