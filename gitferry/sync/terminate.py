"""Terminating an operation (reference 3.9): what `executor.step` does when the user or the
sync timeout has set `operationState.phase` to Terminating.

* Completed hooks lose the hook finalizer.
* Every running hook is looked at once more: its finalizer is removed, its health read, and
  it is deleted when it is still running, its health is Unknown, or it has HookFailed. It is
  recorded with its real final phase, or as Failed with `Terminated` when it was still
  running.
* The operation ends Failed `Operation terminated`, or Error `Operation termination had
  errors` when a finalizer or a deletion failed. (The controller adds the sync-timeout
  wording and never retries a terminated operation.)
"""

from __future__ import annotations

from gitferry.model.errors import ClusterError
from gitferry.model.operation import OperationPhase
from gitferry.sync import hooks
from gitferry.sync.context import Session
from gitferry.sync.progress import hook_outcome


async def terminate(session: Session) -> None:
    progress = session.progress
    clean = True
    for task in session.ctx.tasks:
        live = task.live
        if not task.is_hook or live is None:
            continue
        completed = progress.completed(task)
        running = progress.running(task)
        if not completed and not running:
            continue
        status = progress.status(task)
        error = await session.remove_hook_finalizer(task)
        if error:
            progress.record(task, status, OperationPhase.ERROR, error)
            clean = False
            continue
        if completed:
            continue
        try:
            health = session.ctx.health(live)
        except Exception as err:  # a custom health check may fail; Argo CD reports it
            session.set(OperationPhase.ERROR, f"Failed to get hook health: {err}")
            return
        phase, message = hook_outcome(health, task.name)
        unknown = health is not None and str(health.status) == "Unknown"
        if (
            phase is OperationPhase.RUNNING
            or unknown
            or task.has_policy(hooks.DeletePolicy.HOOK_FAILED)
        ):
            try:
                await session.delete(task)
            except ClusterError as err:
                progress.record(task, status, OperationPhase.FAILED, f"Failed to delete: {err}")
                clean = False
                continue
        if phase is OperationPhase.RUNNING:
            progress.record(task, status, OperationPhase.FAILED, "Terminated")
        else:
            progress.record(task, status, phase, message)
    if clean:
        session.set(OperationPhase.FAILED, "Operation terminated")
    else:
        session.set(OperationPhase.ERROR, "Operation termination had errors")
