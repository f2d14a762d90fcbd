"""What one executor step takes (`StepContext`), what it returns (`StepOutcome`), and the
mutable `Session` the step's modules share while it runs.

The controller's operation runner builds a `StepContext` on every pass of an operation:
the freshly planned tasks, the persisted `operationState`, the cluster, the health check and
the app-level options. `executor.step` returns the new `operationState` to persist, the
wave-delay hint, and the hook deletions and finalizer removals it made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from gitferry._kit.clock import Clock
from gitferry.model import keys
from gitferry.model.errors import ClusterError
from gitferry.model.operation import OperationPhase, OperationState, SyncOperation
from gitferry.sync import hooks
from gitferry.sync.options import DEFAULT_MIGRATION_MANAGER, AppSyncOptions, Obj
from gitferry.sync.progress import Progress, waiting_message
from gitferry.sync.seams import Cluster, HealthCheck, PermissionCheck
from gitferry.sync.tasks import ObjectRef, SyncTask

# ARGOCD_SYNC_WAVE_DELAY's default: the pause after a wave before the next one starts.
WAVE_DELAY_SECONDS = 2.0


@dataclass(frozen=True, kw_only=True)
class StepContext:
    """Everything one invocation of the sync algorithm needs."""

    # `plan.build` of this pass, from fresh target and live objects.
    tasks: Sequence[SyncTask]
    # `status.operationState` as persisted: operation, phase, startedAt, results so far.
    state: OperationState
    cluster: Cluster
    health: HealthCheck
    clock: Clock
    # The effective app-level sync options (`AppSyncOptions.effective` then `parse`).
    app: AppSyncOptions = field(default_factory=AppSyncOptions)
    # spec.destination.namespace.
    destination_namespace: str = ""
    # ApplyOutOfSyncOnly: `group/kind/namespace/name` of the live objects the comparison
    # found modified; None when no comparison is at hand (nothing is skipped then).
    out_of_sync: frozenset[str] | None = None
    # The Application's `argocd.argoproj.io/deletion-approved` time, if any.
    deletion_approved: datetime | None = None
    # The AppProject check of each object; None permits everything.
    permission: PermissionCheck | None = None
    # The manager whose client-side fields move to server-side apply first.
    migration_manager: str = DEFAULT_MIGRATION_MANAGER

    @property
    def sync(self) -> SyncOperation:
        return self.state.operation.sync or SyncOperation()

    @property
    def prune_confirmed(self) -> bool:
        """Prune=confirm is satisfied by an approval no older than the operation."""
        started = self.state.started_at.replace(microsecond=0)
        return self.deletion_approved is not None and self.deletion_approved >= started


@dataclass(frozen=True)
class StepOutcome:
    """The result of one step."""

    # The new `status.operationState` (finishedAt set once the phase is completed).
    state: OperationState
    # Seconds to wait before the next step (the wave delay), 0 when none is due.
    wave_delay: float = 0.0
    # Hooks deleted by this step (BeforeHookCreation, HookSucceeded, HookFailed, terminate).
    deleted_hooks: tuple[ObjectRef, ...] = ()
    # Objects whose hook finalizer this step removed.
    removed_finalizers: tuple[ObjectRef, ...] = ()


@dataclass
class Session:
    """The mutable side of one step."""

    ctx: StepContext
    progress: Progress = field(init=False)
    phase: OperationPhase = field(init=False)
    message: str = field(init=False)
    # Result keys of tasks whose kind is unknown and which skip the dry-run.
    skip_dry_run: set[str] = field(default_factory=set)
    deleted_hooks: list[ObjectRef] = field(default_factory=list)
    removed_finalizers: list[ObjectRef] = field(default_factory=list)

    def __post_init__(self) -> None:
        result = self.ctx.state.sync_result
        self.progress = Progress(result.resources if result else ())
        self.phase = self.ctx.state.phase
        self.message = self.ctx.state.message

    def set(self, phase: OperationPhase, message: str) -> None:
        self.phase = phase
        self.message = message

    def attempt_mark(self, task: SyncTask) -> str:
        """The mark this attempt puts on the hooks it creates (`hooks.attempt_mark`)."""
        state = self.ctx.state
        return hooks.attempt_mark(state.started_at, state.retry_count, task.phase)

    def wait_for(self, tasks: Sequence[SyncTask], *, deletion: bool = False) -> None:
        if tasks:
            self.set(OperationPhase.RUNNING, waiting_message(tasks, deletion=deletion))

    async def delete(self, task: SyncTask) -> bool:
        """Delete a task's live object with the prune propagation; False if it was gone."""
        ref = ObjectRef.of(task.live or task.obj)
        deleted = await self.ctx.cluster.delete(ref, propagation=self.ctx.app.prune_propagation)
        if deleted and task.is_hook:
            self.deleted_hooks.append(ref)
        return deleted

    async def delete_hooks(self, tasks: Sequence[SyncTask]) -> None:
        """Delete completed hooks by policy; a failure is recorded on the hook."""
        for task in tasks:
            try:
                await self.delete(task)
            except ClusterError as err:
                self.progress.record(
                    task, None, OperationPhase.ERROR, f"failed to delete resource: {err}"
                )

    async def remove_hook_finalizer(self, task: SyncTask) -> str | None:
        """Remove the hook finalizer from a task's live object; the error, if any."""
        live = task.live
        if live is None or hooks.HOOK_FINALIZER not in _finalizers(live):
            return None
        ref = ObjectRef.of(live)
        try:
            await self.ctx.cluster.remove_finalizer(ref, hooks.HOOK_FINALIZER)
        except ClusterError as err:
            return f"Failed to remove hook finalizer: {err}"
        self.removed_finalizers.append(ref)
        return None

    def outcome(self, wave_delay: float = 0.0) -> StepOutcome:
        state = self.ctx.state.with_results(self.phase, self.message, self.progress.results())
        if self.phase.completed:
            state = replace(state, finished_at=self.ctx.clock.now())
        return StepOutcome(
            state, wave_delay, tuple(self.deleted_hooks), tuple(self.removed_finalizers)
        )


def _finalizers(obj: Obj) -> list[str]:
    found = keys.metadata_of(obj).get("finalizers")
    return [str(f) for f in found] if isinstance(found, list) else []
