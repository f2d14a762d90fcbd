"""The comparison settings of `argocd-cm` (reference 4.4): system-level `ignoreDifferences` and
`resource.compareoptions`.

Read from the ConfigMap's `data`, in Argo CD's order:
1. the legacy `resource.customizations` YAML map, keyed `group/kind` (or `kind` for the core
   group), whose entries hold `ignoreDifferences` as a YAML string;
2. the split keys `resource.customizations.ignoreDifferences.<group>_<kind>` (or `<kind>`, or
   `_<kind>`, for the core group; `all` for every kind), whose value replaces the legacy
   entry's for the same group/kind;
3. `resource.compareoptions`: `ignoreAggregatedRoles`, and `ignoreResourceStatusField`, which
   adds the pointer `/status` to every kind when unset or `all` (and for any unknown value), to
   CRDs only with `crd` (with `/spec/preserveUnknownFields`), and nothing with `none`, `off` or
   `false`.
Other customisation types (health, actions, knownTypeFields) belong to other packages and
are skipped here.

Pure; the controller builds `CompareSettings` when `argocd-cm` changes and adds its rules to
each application's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from gitferry.diff.ignore import IgnoreRule
from gitferry.model.errors import InvalidSpecError

CUSTOMIZATIONS = "resource.customizations"
SPLIT_PREFIX = "resource.customizations.ignoreDifferences."
COMPARE_OPTIONS = "resource.compareoptions"
CRD = ("apiextensions.k8s.io", "CustomResourceDefinition")
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, kw_only=True)
class CompareSettings:
    """What argocd-cm says about comparing resources."""

    # System ignore rules (customisations plus the built-in status rule).
    rules: tuple[IgnoreRule, ...] = ()
    # `resource.compareoptions.ignoreAggregatedRoles`.
    ignore_aggregated_roles: bool = False

    @classmethod
    def from_configmap(cls, data: Mapping[str, str] | None) -> CompareSettings:
        """Settings from `argocd-cm`'s data; InvalidSpecError names the key that is malformed."""
        data = data or {}
        by_group_kind: dict[tuple[str, str], Any] = {}
        legacy = _load(data.get(CUSTOMIZATIONS), CUSTOMIZATIONS)
        if legacy is not None:
            if not isinstance(legacy, dict):
                raise InvalidSpecError(f"argocd-cm {CUSTOMIZATIONS}: must be a map")
            for key, override in legacy.items():
                group_kind = _legacy_key(str(key))
                if group_kind is None or not isinstance(override, dict):
                    continue
                if override.get("ignoreDifferences"):
                    where = f"{CUSTOMIZATIONS}[{key}].ignoreDifferences"
                    by_group_kind[group_kind] = _load(override["ignoreDifferences"], where)
        for key in sorted(data):
            if key.startswith(SPLIT_PREFIX):
                group_kind = _split_key(key[len(SPLIT_PREFIX) :], key)
                by_group_kind[group_kind] = _load(data[key], key)
        options = _load(data.get(COMPARE_OPTIONS), COMPARE_OPTIONS) or {}
        if not isinstance(options, dict):
            raise InvalidSpecError(f"argocd-cm {COMPARE_OPTIONS}: must be a map")
        rules = [
            IgnoreRule.parse(body or {}, f"argocd-cm ignoreDifferences {g}/{k}", group=g, kind=k)
            for (g, k), body in by_group_kind.items()
        ]
        rules += _status_rules(options.get("ignoreResourceStatusField"))
        return cls(
            rules=tuple(rules), ignore_aggregated_roles=options.get("ignoreAggregatedRoles") is True
        )


def _load(text: Any, where: str) -> Any:
    if text is None or isinstance(text, dict):
        return text
    try:
        return yaml.load(str(text), Loader=_Loader)
    except yaml.YAMLError as err:
        raise InvalidSpecError(f"argocd-cm {where}: not valid YAML ({err})") from err


def _legacy_key(key: str) -> tuple[str, str] | None:
    parts = key.split("/")
    if len(parts) == 2:
        return parts[0], parts[1]
    return ("", parts[0]) if len(parts) == 1 and parts[0] else None


def _split_key(group_kind: str, key: str) -> tuple[str, str]:
    if group_kind == "all":
        return "*", "*"
    parts = group_kind.split("_")
    if len(parts) == 2:
        return parts[0], parts[1]
    if len(parts) == 1 and group_kind:
        return "", group_kind
    raise InvalidSpecError(
        f"argocd-cm {key}: expected resource.customizations.ignoreDifferences.<group>_<kind>"
        " or .<kind>"
    )


def _status_rules(value: Any) -> list[IgnoreRule]:
    # YAML reads an unquoted off/false as a boolean.
    setting = "false" if value is False else str(value or "all").strip()
    if setting in ("none", "off", "false"):
        return []
    if setting == "crd":
        return [
            IgnoreRule(
                group=CRD[0],
                kind=CRD[1],
                json_pointers=("/status", "/spec/preserveUnknownFields"),
            )
        ]
    return [IgnoreRule(group="*", kind="*", json_pointers=("/status",))]
