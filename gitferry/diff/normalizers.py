"""Argo CD's `Normalize()` (reference 4.3): the kind-specific rewrites applied to the target,
the live object and the dry-run prediction before they are compared.

* `metadata.creationTimestamp` is removed (exports often carry `creationTimestamp: null`).
* Secret: `stringData` is moved into `data`, string values base64-encoded, other values as they
  are (so an invalid Secret still fails to apply); `data` values that are null or empty
  become `""`.
* Role and ClusterRole: an empty `rules` list becomes null; with the argocd-cm compare option
  `ignoreAggregatedRoles`, a ClusterRole with an `aggregationRule` gets null rules.
* Endpoints: ports without a protocol get `TCP`, addresses are sorted by IP then target UID,
  ports and subsets are put in a canonical order. (Kubernetes orders ports and subsets by a
  hash of their Go representation; any fixed order compares the same way, but the normalised
  text can differ from Argo CD's.)

The ignore rules (`diff.ignore`) run after these. Pure and copy-on-write: an object that needs
no change is returned as is. Called by `diff.compare`.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

import orjson

from gitferry.model.keys import group_of

Json = dict[str, Any]
RBAC = "rbac.authorization.k8s.io"


def strip_metadata(obj: Json, keys: Iterable[str]) -> Json:
    """`obj` without the given `metadata` fields (copying only the top level and metadata)."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return obj
    drop = [key for key in keys if key in meta]
    if not drop:
        return obj
    if len(drop) == 1:
        stripped = dict(meta)
        del stripped[drop[0]]
        return {**obj, "metadata": stripped}
    return {**obj, "metadata": {k: v for k, v in meta.items() if k not in drop}}


def normalize(obj: Json, *, ignore_aggregated_roles: bool = False) -> Json:
    """`obj` after Argo CD's built-in normalisation."""
    obj = strip_metadata(obj, ("creationTimestamp",))
    kind = obj.get("kind")
    if kind not in ("Secret", "Role", "ClusterRole", "Endpoints"):
        return obj
    group = group_of(str(obj.get("apiVersion") or ""))
    if group == "" and kind == "Secret":
        return normalize_secret(obj)
    if group == RBAC and kind in ("Role", "ClusterRole"):
        return _normalize_role(obj, ignore_aggregated_roles)
    if group == "" and kind == "Endpoints":
        return _normalize_endpoints(obj)
    return obj


def normalize_secret(obj: Json) -> Json:
    """`stringData` folded into `data`; null or empty data values as `""`."""
    string_data = obj.get("stringData")
    data = obj.get("data")
    if isinstance(string_data, dict):
        merged = dict(data) if isinstance(data, dict) else {}
        for key, value in string_data.items():
            merged[key] = (
                base64.b64encode(value.encode()).decode() if isinstance(value, str) else value
            )
        obj = {k: v for k, v in obj.items() if k != "stringData"}
        obj["data"] = data = merged
    if isinstance(data, dict) and any(value is None for value in data.values()):
        obj = {**obj, "data": {k: "" if v is None else v for k, v in data.items()}}
    return obj


def _normalize_role(obj: Json, ignore_aggregated_roles: bool) -> Json:
    if (
        ignore_aggregated_roles
        and obj.get("kind") == "ClusterRole"
        and isinstance(obj.get("aggregationRule"), dict)
    ):
        return {**obj, "rules": None}
    rules = obj.get("rules")
    if isinstance(rules, list) and not rules:
        return {**obj, "rules": None}
    return obj


def _canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _address_key(address: Any) -> tuple[str, int, str]:
    if not isinstance(address, dict):
        return ("", 0, "")
    ref = address.get("targetRef")
    uid = str(ref.get("uid") or "") if isinstance(ref, dict) else ""
    return (str(address.get("ip") or ""), 0 if ref is None else 1, uid)


def _normalize_subset(subset: Any) -> Any:
    if not isinstance(subset, dict):
        return subset
    result = dict(subset)
    for field in ("addresses", "notReadyAddresses"):
        if isinstance(result.get(field), list):
            result[field] = sorted(result[field], key=_address_key)
    ports = result.get("ports")
    if isinstance(ports, list):
        with_protocol = [
            {**port, "protocol": "TCP"}
            if isinstance(port, dict) and not port.get("protocol")
            else port
            for port in ports
        ]
        result["ports"] = sorted(with_protocol, key=_canonical)
    return result


def _normalize_endpoints(obj: Json) -> Json:
    subsets = obj.get("subsets")
    if not isinstance(subsets, list):
        return obj
    return {**obj, "subsets": sorted((_normalize_subset(s) for s in subsets), key=_canonical)}
