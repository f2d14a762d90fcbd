"""CustomResourceDefinitions: turning a stored CRD into a served resource type.

When a CRD is created or changed, `resource_type` gives the `ResourceType` its kinds are
served as (every served version, scope, names, status and scale subresources, printer
columns); `status` gives the status the API server's CRD controllers would write
(`acceptedNames` and the NamesAccepted and Established conditions). Called by `admission`.
"""

from __future__ import annotations

from typing import Any

from gitferry.apiserver.catalog import ResourceType


def resource_type(crd: dict[str, Any]) -> ResourceType | None:
    """The served type of a CRD, or None when no version is served."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    versions = [v for v in spec.get("versions") or () if v.get("served", True)]
    if not versions:
        return None
    storage = next((v for v in versions if v.get("storage")), versions[0])
    ordered = [storage] + [v for v in versions if v is not storage]
    subresources = storage.get("subresources") or {}
    scale = subresources.get("scale")
    return ResourceType(
        group=spec.get("group", ""),
        version=storage["name"],
        kind=names.get("kind", ""),
        plural=names.get("plural", ""),
        singular=names.get("singular") or names.get("kind", "").lower(),
        namespaced=spec.get("scope", "Namespaced") == "Namespaced",
        short_names=tuple(names.get("shortNames") or ()),
        categories=tuple(names.get("categories") or ()),
        subresources=frozenset(
            name for name in ("status", "scale") if subresources.get(name) is not None
        ),
        versions=tuple(v["name"] for v in ordered),
        generation="all",
        name_rule="subdomain",
        builtin=False,
        printer_columns=tuple(storage.get("additionalPrinterColumns") or ()),
        scale_paths=dict(scale) if scale else {},
        crd_schema=(storage.get("schema") or {}).get("openAPIV3Schema"),
    )


def status(crd: dict[str, Any], now: str) -> dict[str, Any]:
    """The status of an accepted, established CRD (conditions keep their transition times)."""
    previous = {c.get("type"): c for c in (crd.get("status") or {}).get("conditions") or ()}

    def condition(kind: str, reason: str, message: str) -> dict[str, Any]:
        old = previous.get(kind)
        stamp = old["lastTransitionTime"] if old and old.get("status") == "True" else now
        return {
            "type": kind,
            "status": "True",
            "lastTransitionTime": stamp,
            "reason": reason,
            "message": message,
        }

    spec = crd.get("spec") or {}
    names = dict(spec.get("names") or {})
    names.setdefault("singular", names.get("kind", "").lower())
    names.setdefault("listKind", names.get("kind", "") + "List")
    return {
        "acceptedNames": names,
        "conditions": [
            condition("NamesAccepted", "NoConflicts", "no conflicts found"),
            condition(
                "Established", "InitialNamesAccepted", "the initial names have been accepted"
            ),
        ],
        "storedVersions": [v["name"] for v in spec.get("versions") or () if v.get("storage")],
    }


def name_error(crd: dict[str, Any]) -> str | None:
    """Why the CRD's name is wrong, or None: it must be `<plural>.<group>`."""
    spec = crd.get("spec") or {}
    expected = f"{(spec.get('names') or {}).get('plural', '')}.{spec.get('group', '')}"
    name = (crd.get("metadata") or {}).get("name", "")
    if name != expected:
        return f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group'
    return None
