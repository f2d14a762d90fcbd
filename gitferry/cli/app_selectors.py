"""`--resource GROUP:KIND:[NAMESPACE/]NAME` filters of `gitferry app sync`, as Argo CD's CLI
reads and applies them: `*` matches any value of a field, an empty namespace any namespace, a
leading `!` excludes; a resource is selected when an include filter matches it (or there is
none) and no exclude filter does. The CLI writes the concrete resources selected from
`status.resources` into `operation.sync.resources`, so the controller never sees a wildcard.

Pure; called by `app_operation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gitferry.model.errors import InputError

Json = dict[str, Any]


@dataclass(frozen=True)
class Selector:
    """One `--resource` filter."""

    group: str
    kind: str
    name: str
    namespace: str = ""
    exclude: bool = False

    def matches(self, resource: Json) -> bool:
        """Argo CD's `SyncOperationResource.Compare`: `*` matches any value, an empty
        namespace matches every namespace."""
        return (
            self.group in ("*", resource.get("group") or "")
            and self.kind in ("*", resource.get("kind") or "")
            and self.name in ("*", resource.get("name") or "")
            and self.namespace in ("*", "", resource.get("namespace") or "")
        )


def parse(texts: tuple[str, ...]) -> list[Selector]:
    """Filters as `argocd app sync --resource` takes them, with its error messages."""
    selectors = []
    for text in texts:
        exclude = text.startswith("!")
        fields = text.removeprefix("!").split(":")
        if len(fields) != 3:
            raise InputError(
                f"--resource {text!r}: Resource should have GROUP:KIND:NAME, but instead got: "
                f"{text.removeprefix('!')}"
            )
        group, kind, name = fields
        namespace = ""
        if "/" in name:
            parts = name.split("/")
            if len(parts) != 2:
                raise InputError(
                    f"--resource {text!r}: Resource with namespace should have "
                    "GROUP:KIND:NAMESPACE/NAME"
                )
            namespace, name = parts
        selectors.append(Selector(group, kind, name, namespace, exclude))
    return selectors


def included(resource: Json, selectors: list[Selector]) -> bool:
    """Argo CD's `IncludeResource`: any include filter must match (all resources when there
    is none), and then no exclude filter may."""
    includes = [s for s in selectors if not s.exclude]
    if includes and not any(s.matches(resource) for s in includes):
        return False
    return not any(s.matches(resource) for s in selectors if s.exclude)


def select(app: Json, selectors: list[Selector]) -> list[Json]:
    """The app's resources the filters select, as `operation.sync.resources` entries."""
    selected = []
    for resource in (app.get("status") or {}).get("resources") or ():
        if included(resource, selectors):
            # Go's omitempty: group and namespace are left out when empty.
            entry: Json = {"group": resource.get("group") or None}
            entry.update(kind=resource.get("kind", ""), name=resource.get("name", ""))
            entry["namespace"] = resource.get("namespace") or None
            selected.append({k: v for k, v in entry.items() if v is not None})
    return selected
