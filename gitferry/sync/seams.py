"""The seams of the executor: what it needs from the outside world, declared here as
Protocols so `sync` depends on no implementation.

* `Cluster`: the destination cluster. The controller wires `gitferry.cluster`'s client
  behind it; the unit tests use an in-memory fake. Every failure is raised as a
  `ClusterError` whose message starts with the object; "not found" is not an error where a
  method says so.
* `HealthCheck`: `gitferry.health`'s assessment of one live object (None when the kind has
  no health check), as `Health`-shaped values.
* `PermissionCheck`: the AppProject's verdict on one object (an error message, or None).

Used by `executor.step` and the modules it calls; implemented by the controller's
composition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from gitferry.sync.options import Obj
from gitferry.sync.tasks import ObjectRef

FIELD_MANAGER = "argocd-controller"
CRD_ESTABLISHED_TIMEOUT = 3.0


class Cluster(Protocol):
    """The destination cluster as the executor reads and writes it.

    Objects are plain dicts. Targets carry `metadata.namespace` even for cluster-scoped
    kinds (Argo CD fills every target with the destination namespace); implementations
    drop it for cluster-scoped kinds, as kubectl does.
    """

    async def kind_served(self, api_version: str, kind: str) -> bool:
        """Whether the server serves this kind (discovery); False when it does not."""
        ...

    async def apply(
        self,
        obj: Obj,
        *,
        dry_run: bool,
        server_side: bool,
        force: bool,
        validate: bool,
        field_manager: str,
    ) -> object:
        """Apply `obj`. `server_side`: server-side apply as `field_manager`, taking over
        conflicting fields. Otherwise a client-style apply (create or update), however the
        implementation likes. `force`: delete and re-create when an update is refused.
        `dry_run` is a client-side dry-run (`kubectl apply --dry-run=client`): it checks the
        object without needing namespaces or kinds this sync has not created yet."""
        ...

    async def create(self, obj: Obj, *, dry_run: bool, validate: bool) -> object:
        """Create `obj` (Replace=true and no live object)."""
        ...

    async def replace(self, obj: Obj, *, dry_run: bool, force: bool) -> object:
        """Replace the object with `obj` (an update; `force`: delete and re-create). When
        `obj` carries `metadata.resourceVersion`, the write must not race it."""
        ...

    async def delete(self, ref: ObjectRef, *, propagation: str) -> bool:
        """Delete with the given propagation (`Foreground`, `Background`, `Orphan`);
        False when the object was already gone."""
        ...

    async def get(self, ref: ObjectRef) -> Obj | None:
        """The object as the server has it now, or None when it does not exist."""
        ...

    async def remove_finalizer(self, ref: ObjectRef, finalizer: str) -> None:
        """Remove one finalizer if present; nothing when the object is gone."""
        ...

    async def wait_established(self, name: str, *, timeout: float) -> None:
        """Wait up to `timeout` seconds for the CRD `name` to be Established."""
        ...


class Health(Protocol):
    """A health assessment: `status` is one of Healthy, Suspended, Progressing, Missing,
    Degraded, Unknown (a StrEnum is fine)."""

    @property
    def status(self) -> str: ...

    @property
    def message(self) -> str: ...


HealthCheck = Callable[[Obj], Health | None]
PermissionCheck = Callable[[Obj], str | None]
