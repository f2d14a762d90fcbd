"""Typed view of an Argo CD `Application` object: identity, sources, destination, project.

`Application.parse` reads the stored (or file) dict; `spec_problems` lists the
`InvalidSpecError` messages Argo CD gives for its sources (reference 1.3). More of the spec
(sync policy, ignoreDifferences) is typed as the controller needs it. Called by `render`, the
CLI and the controller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from gitferry.model.errors import InvalidSpecError
from gitferry.model.source import ApplicationSource

Json = dict[str, Any]
IN_CLUSTER = "https://kubernetes.default.svc"
_REF_RE = re.compile(r"^[a-zA-Z0-9_-]+$")


@dataclass(frozen=True)
class Destination:
    """`spec.destination`: a cluster by server URL or by name, and a namespace."""

    server: str = ""
    name: str = ""
    namespace: str = ""

    @classmethod
    def parse(cls, data: Any) -> Destination:
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise InvalidSpecError("spec.destination: must be an object")
        return cls(
            server=str(data.get("server") or "").rstrip("/"),
            name=str(data.get("name") or ""),
            namespace=str(data.get("namespace") or ""),
        )


@dataclass(frozen=True)
class Application:
    """An Application as the engine reads it."""

    name: str
    namespace: str
    project: str
    sources: tuple[ApplicationSource, ...]
    multi_source: bool
    destination: Destination
    raw: Json = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def parse(cls, obj: Any) -> Application:
        if not isinstance(obj, dict):
            raise InvalidSpecError("Application: must be an object")
        if obj.get("kind") not in (None, "Application"):
            raise InvalidSpecError(f"expected kind Application, got {obj.get('kind')!r}")
        meta = obj.get("metadata") or {}
        name = str(meta.get("name") or "")
        if not name:
            raise InvalidSpecError("Application: metadata.name is required")
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            raise InvalidSpecError(f"app {name}: spec is required")
        many = spec.get("sources")
        if many:
            if not isinstance(many, list):
                raise InvalidSpecError(f"app {name}: spec.sources must be a list")
            sources = tuple(
                ApplicationSource.parse(s, f"spec.sources[{i}]") for i, s in enumerate(many)
            )
            multi = True
        elif spec.get("source") is not None:
            sources = (ApplicationSource.parse(spec["source"]),)
            multi = False
        else:
            sources = ()
            multi = False
        return cls(
            name=name,
            namespace=str(meta.get("namespace") or ""),
            project=str(spec.get("project") or "default"),
            sources=sources,
            multi_source=multi,
            destination=Destination.parse(spec.get("destination")),
            raw=obj,
        )

    @property
    def source(self) -> ApplicationSource:
        """The single source (the first of several)."""
        if not self.sources:
            raise InvalidSpecError(f"app {self.name}: spec.source is required")
        return self.sources[0]

    def spec_problems(self) -> list[str]:
        """Argo CD's InvalidSpecError messages for the sources (empty when valid)."""
        problems: list[str] = []
        if not self.sources:
            return [
                "spec.source.repoURL and either spec.source.path or spec.source.chart are required"
            ]
        refs: set[str] = set()
        for index, source in enumerate(self.sources):
            where = f"spec.sources[{index}]" if self.multi_source else "spec.source"
            if not source.repo_url or not (
                source.path or source.chart or (self.multi_source and source.ref)
            ):
                problems.append(
                    f"{where}.repoURL and either {where}.path or {where}.chart are required"
                    if not self.multi_source
                    else f"{where}.repoURL and either {where}.path, {where}.chart, or "
                    f"{where}.ref are required"
                )
            if source.chart and not source.target_revision:
                problems.append(
                    f"{where}.targetRevision is required if the manifest source is a helm chart"
                )
            if source.ref:
                if not _REF_RE.match(source.ref):
                    problems.append(f"{where}.ref: invalid ref {source.ref!r}")
                if source.ref in refs:
                    problems.append("multiple sources had the same ref key")
                refs.add(source.ref)
            if len(source.explicit_types()) > 1:
                problems.append(
                    "multiple application sources defined: " + ",".join(source.explicit_types())
                )
        if self.destination.server and self.destination.name:
            problems.append(
                "application destination can't have both name and server defined: "
                f"{self.destination.name} {self.destination.server}"
            )
        return problems

    def instance_name(self, control_namespace: str) -> str:
        """The tracking instance name: `<name>`, or `<namespace>_<name>` outside the
        control-plane namespace (reference 4.7)."""
        if not self.namespace or self.namespace == control_namespace:
            return self.name
        return f"{self.namespace}_{self.name}"
