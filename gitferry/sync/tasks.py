"""The unit of a sync: one (target, live) pair in one phase (reference 3.4, 3.6).

A `SyncTask` with no target is a prune; with no live object it creates. Everything else is
derived: its object (the target if there is one, else the live object), wave, hook flag,
delete policies and its result key `group/kind/namespace/name:phase`, under which the
executor finds its previous result in `operationState.syncResult.resources`. Tasks are built
and ordered by `plan.build` and are immutable; the executor keeps their progress apart.

`ObjectRef` names one object for the `Cluster` seam: apiVersion, kind, namespace, name.

Pure. Used by the planner, the executor and the controller's operation runner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from gitferry.model import hooks as model_hooks
from gitferry.model import keys
from gitferry.model.operation import SyncPhase
from gitferry.sync import hooks
from gitferry.sync.options import Obj, TaskOptions


@dataclass(frozen=True)
class ObjectRef:
    """One object: `apiVersion`, `kind`, `namespace` (empty when cluster-scoped), `name`."""

    api_version: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, obj: Obj) -> ObjectRef:
        meta = keys.metadata_of(obj)
        return cls(
            str(obj.get("apiVersion") or ""),
            str(obj.get("kind") or ""),
            str(meta.get("namespace") or ""),
            str(meta.get("name") or ""),
        )

    @property
    def group(self) -> str:
        return keys.group_of(self.api_version)

    @property
    def version(self) -> str:
        return keys.version_of(self.api_version)

    def __str__(self) -> str:
        """`group/kind/namespace/name`, the resource key's string form."""
        return f"{self.group}/{self.kind}/{self.namespace}/{self.name}"


@dataclass(frozen=True)
class SyncTask:
    """One object in one phase: apply `target` (create when `live` is None), or prune
    `live` when `target` is None."""

    phase: SyncPhase
    target: Obj | None
    live: Obj | None
    # How to apply or prune this task, resolved by the planner (see `options.resolve`).
    options: TaskOptions = field(default_factory=TaskOptions)
    # The dry-run may be skipped when the server does not know the kind (reference 3.6 1).
    may_skip_dry_run: bool = False
    # Set by dependency adjustment and prune reordering; else the object's own wave.
    wave_override: int | None = None

    @property
    def obj(self) -> Obj:
        """The target if there is one, else the live object."""
        found = self.target if self.target is not None else self.live
        if found is None:
            raise ValueError("a sync task needs a target or a live object")
        return found

    @cached_property
    def ref(self) -> ObjectRef:
        return ObjectRef.of(self.obj)

    @property
    def group(self) -> str:
        return self.ref.group

    @property
    def kind(self) -> str:
        return self.ref.kind

    @property
    def name(self) -> str:
        return self.ref.name

    @property
    def namespace(self) -> str:
        return self.ref.namespace

    @property
    def key(self) -> str:
        """`group/kind/namespace/name` of the task's object."""
        return str(self.ref)

    @property
    def result_key(self) -> str:
        """`group/kind/namespace/name:phase`, the key of the task's recorded result."""
        return f"{self.key}:{self.phase.value}"

    @property
    def wave(self) -> int:
        if self.wave_override is not None:
            return self.wave_override
        return model_hooks.sync_wave(self.obj)

    @property
    def is_prune(self) -> bool:
        return self.target is None

    @cached_property
    def is_hook(self) -> bool:
        return model_hooks.is_hook(self.obj)

    @cached_property
    def delete_policies(self) -> frozenset[hooks.DeletePolicy]:
        """A hook's delete policies; a resource has none."""
        return hooks.delete_policies(self.obj) if self.is_hook else frozenset()

    def has_policy(self, policy: hooks.DeletePolicy) -> bool:
        return policy in self.delete_policies

    @property
    def hook_type(self) -> str:
        """What `syncResult` records as `hookType`: the phase for a hook, else empty."""
        return self.phase.value if self.is_hook else ""

    def images(self) -> tuple[str, ...]:
        """Container images of the object (pod, template and CronJob template specs)."""
        obj = self.obj
        specs = [
            obj.get("spec"),
            _dig(obj, "spec", "template", "spec"),
            _dig(obj, "spec", "jobTemplate", "spec", "template", "spec"),
        ]
        found: list[str] = []
        for spec in specs:
            if not isinstance(spec, dict):
                continue
            for container in spec.get("containers") or ():
                image = container.get("image") if isinstance(container, dict) else None
                if isinstance(image, str) and image and image not in found:
                    found.append(image)
        return tuple(found)

    def __str__(self) -> str:
        action = "prune" if self.is_prune else ("hook" if self.is_hook else "apply")
        return f"{self.phase.value}/{self.wave} {action} {self.key}"


def _dig(obj: Obj, *path: str) -> object:
    current: object = obj
    for step in path:
        if not isinstance(current, dict):
            return None
        current = current.get(step)
    return current
