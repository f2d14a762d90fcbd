"""The progress of an operation while a step runs, and the messages it produces.

`Progress` holds one result per task key (`group/kind/namespace/name:phase`), restored from
`operationState.syncResult.resources` and updated as tasks run, in the order results were
first recorded (reference 3.11). A task without a result is pending; its result's
`hookPhase` says whether it is running or completed. Updating keeps the newest non-empty
message, as Argo CD does.

The messages of reference 3.8 and 3.10 are built here, and the mapping from health to task
progress of reference 5.6.

Used by the executor's modules (`executor`, `run`, `terminate`).
"""

from __future__ import annotations

from collections.abc import Sequence

from gitferry.model.operation import OperationPhase, ResourceResult, ResultCode
from gitferry.sync.seams import Health
from gitferry.sync.tasks import SyncTask


class Progress:
    """Results by task key, in first-recorded order."""

    def __init__(self, results: Sequence[ResourceResult]) -> None:
        self._results: dict[str, ResourceResult] = {r.key: r for r in results}
        self.started = bool(self._results)

    def result(self, task: SyncTask) -> ResourceResult | None:
        return self._results.get(task.result_key)

    def phase(self, task: SyncTask) -> OperationPhase | None:
        found = self.result(task)
        return found.hook_phase if found else None

    def status(self, task: SyncTask) -> ResultCode | None:
        found = self.result(task)
        return found.status if found else None

    def message(self, task: SyncTask) -> str:
        found = self.result(task)
        return found.message if found else ""

    def pending(self, task: SyncTask) -> bool:
        return self.phase(task) is None

    def running(self, task: SyncTask) -> bool:
        return self.phase(task) is OperationPhase.RUNNING

    def completed(self, task: SyncTask) -> bool:
        phase = self.phase(task)
        return phase is not None and phase.completed

    def successful(self, task: SyncTask) -> bool:
        return self.phase(task) is OperationPhase.SUCCEEDED

    def record(
        self,
        task: SyncTask,
        status: ResultCode | None,
        phase: OperationPhase | None,
        message: str = "",
    ) -> None:
        """Set a task's result code, phase and (when not empty) message."""
        existing = self._results.get(task.result_key)
        if existing is not None:
            self._results[task.result_key] = ResourceResult(
                group=existing.group,
                version=existing.version,
                kind=existing.kind,
                namespace=existing.namespace,
                name=existing.name,
                status=status,
                message=message or existing.message,
                hook_type=existing.hook_type,
                hook_phase=phase,
                sync_phase=existing.sync_phase,
                images=existing.images,
            )
            return
        ref = task.ref
        self._results[task.result_key] = ResourceResult(
            group=ref.group,
            version=ref.version,
            kind=ref.kind,
            namespace=ref.namespace,
            name=ref.name,
            status=status,
            message=message,
            hook_type=task.hook_type,
            hook_phase=phase,
            sync_phase=task.phase,
            images=task.images(),
        )

    def results(self) -> tuple[ResourceResult, ...]:
        return tuple(self._results.values())


def waiting_message(tasks: Sequence[SyncTask], *, deletion: bool = False) -> str:
    """`waiting for <reason> <group>/<kind>/<name>[ and <N> more <hooks|resources>]`
    (reference 3.10): the first hook is named if there is one, else the first task."""
    hook_tasks = [t for t in tasks if t.is_hook]
    named = hook_tasks[0] if hook_tasks else tasks[0]
    if deletion:
        reason = "deletion of hook" if hook_tasks else "deletion of"
    else:
        reason = "completion of hook" if hook_tasks else "healthy state of"
    message = f"waiting for {reason} {named.group}/{named.kind}/{named.name}"
    if len(tasks) > 1:
        noun = "hooks" if len(hook_tasks) == len(tasks) else "resources"
        message += f" and {len(tasks) - 1} more {noun}"
    return message


def confirmation_message(tasks: Sequence[SyncTask]) -> str:
    """`waiting for pruning confirmation of <group>/<kind>/<name>[ and N more resources]`."""
    first = tasks[0]
    message = f"waiting for pruning confirmation of {first.group}/{first.kind}/{first.name}"
    if len(tasks) > 1:
        message += f" and {len(tasks) - 1} more resources"
    return message


def failure_message(base: str, failed: Sequence[SyncTask], progress: Progress) -> str:
    """`<base>[, reason: <distinct messages of the failed tasks, comma-joined>]` (3.8)."""
    reasons: list[str] = []
    for task in failed:
        message = progress.message(task)
        if message and message not in reasons:
            reasons.append(message)
    return f"{base}, reason: {','.join(reasons)}" if reasons else base


def hook_outcome(health: Health | None, name: str) -> tuple[OperationPhase, str]:
    """A hook's progress from its health (reference 5.6): Healthy or no health check
    succeeds, Degraded or Unknown fails, Progressing or Suspended is still running."""
    if health is None:
        return OperationPhase.SUCCEEDED, f"{name} created"
    status = str(health.status)
    if status == "Healthy":
        return OperationPhase.SUCCEEDED, health.message
    if status in ("Degraded", "Unknown"):
        return OperationPhase.FAILED, health.message
    if status in ("Progressing", "Suspended"):
        return OperationPhase.RUNNING, health.message
    return OperationPhase.SUCCEEDED, f"{name} created"


def resource_outcome(health: Health | None) -> tuple[OperationPhase, str] | None:
    """A resource's progress in a multi-step sync: done when Healthy or without health,
    failed when Degraded, otherwise unchanged (None)."""
    if health is None:
        return OperationPhase.SUCCEEDED, ""
    status = str(health.status)
    if status == "Healthy":
        return OperationPhase.SUCCEEDED, health.message
    if status == "Degraded":
        return OperationPhase.FAILED, health.message
    return None
