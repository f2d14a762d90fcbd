"""The render package's public types: the options of one render, its result, and the
`SourceProvider` protocol through which sources are read.

`gitferry.source` implements `SourceProvider` (the CLI wires it in); tests use a provider over
local directories. The controller's refresh and the CLI's `gitferry render` build a
`RenderOptions` from `argocd-cm` settings and the target cluster, and read `RenderResult`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from gitferry.render.tracking import DEFAULT_LABEL_KEY, TrackingMethod

Manifest = dict[str, Any]
# (group, kind) -> True namespaced, False cluster-scoped, None unknown (treated as namespaced).
ScopeLookup = Callable[[str, str], bool | None]

MIB = 1024 * 1024


class Resolved(Protocol):
    """A revision resolved to a commit."""

    @property
    def sha(self) -> str: ...

    @property
    def from_cache(self) -> bool: ...


class SourceProvider(Protocol):
    """What rendering needs from Git, Helm and OCI repositories (`gitferry.source`)."""

    async def resolve(self, url: str, revision: str) -> Resolved:
        """The commit a branch, tag or commit of a Git repository points to."""
        ...

    async def snapshot(self, url: str, sha: str) -> Path:
        """A read-only directory holding the commit's tree, symlinks kept as in Git."""
        ...

    async def chart(self, url: str, chart: str, version: str) -> Path:
        """An unpacked Helm chart directory from a Helm repository or OCI registry."""
        ...


@dataclass(frozen=True, kw_only=True)
class RenderOptions:
    """How to render one application; everything that is not in the Application itself."""

    # argocd-cm `application.resourceTrackingMethod`.
    tracking_method: TrackingMethod = TrackingMethod.ANNOTATION
    # argocd-cm `application.instanceLabelKey`.
    instance_label_key: str = DEFAULT_LABEL_KEY
    # argocd-cm `installationID`; empty removes the installation-id annotation.
    installation_id: str = ""
    # The namespace the control plane runs in (apps elsewhere are tracked as `<ns>_<name>`).
    control_namespace: str = "argocd"
    # The target cluster's version for Helm `.Capabilities.KubeVersion` ("" = the SDK default).
    kube_version: str = ""
    # The target cluster's API versions for Helm `.Capabilities.APIVersions`.
    api_versions: tuple[str, ...] = ()
    # Whether a kind is namespaced, from cluster discovery; None uses the built-in kinds.
    is_namespaced: ScopeLookup | None = field(default=None, compare=False)
    # Fetch http(s) Helm values files (Argo CD allows them by default; we do not).
    allow_remote_values: bool = False
    # Cap on the manifest bytes of one application (Argo CD's default is 10M).
    max_manifest_bytes: int = 10 * MIB
    # Cap on the files one application may make a renderer read.
    max_files: int = 10_000
    # Cap on one renderer run, after which the renderer is killed.
    timeout_seconds: float = 90.0
    # The kustomize command (argv prefix before the path); empty finds one on PATH.
    kustomize_command: tuple[str, ...] = ()
    # Where temporary copies and values files go (default: the system temp directory).
    work_dir: Path | None = None


@dataclass(frozen=True)
class RenderCondition:
    """A warning for the Application's conditions, e.g. `RepeatedResourceWarning`."""

    type: str
    message: str

    def __str__(self) -> str:
        return f"{self.type}: {self.message}"


@dataclass(frozen=True)
class SourceRender:
    """The renderer output of one source, before normalisation and tracking."""

    manifests: list[Manifest]
    revision: str
    source_type: str
    warnings: list[RenderCondition] = field(default_factory=list)
    # Whether it came from the manifest cache, and its size as JSON (for the app's cap).
    cached: bool = False
    size: int = 0


@dataclass(frozen=True)
class RenderResult:
    """The desired manifests of an application, ready to diff and sync."""

    # Normalised, de-duplicated, tracked manifests in stable order (source order, then
    # the renderer's order).
    manifests: list[Manifest]
    # The resolved revision of every source (commit SHA, or chart version), in spec order.
    revisions: list[str]
    # Helm, Kustomize or Directory per source in spec order ("" for a ref-only source).
    source_types: list[str]
    warnings: list[RenderCondition] = field(default_factory=list)
