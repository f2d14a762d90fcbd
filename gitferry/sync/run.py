"""Running the tasks of one step (reference 3.7), for real or as a dry-run.

1. Pending hooks that already have a live object lose the hook finalizer first.
2. Prunes, all at once. Unconfirmed `Prune=confirm` prunes hold the whole step ("pending")
   before anything is deleted. A prune is skipped when the operation does not prune
   (`ignored (requires pruning)`) or `Prune=false` applies (`ignored (no prune)`); is only
   reported on a dry-run (`pruned (dry run)`); otherwise deletes with the propagation policy
   (`pruned`), unless the object is already being deleted.
3. BeforeHookCreation: pending hooks with a live object are deleted; the step is then
   "pending" and the hooks are created on a later step.
4. The rest is applied in order, consecutive tasks of one kind together. Replace=true
   creates or replaces (CRDs and Namespaces get an update with the live resourceVersion),
   otherwise apply: server-side unless turned off, never for a dry-run. A CRD is then given
   3 s to become Established.

States combine pessimistically: successful < pending < failed. On a dry-run pass (the first
step's check) only failures are recorded; an operation-level dry-run records everything,
and what would be running counts as succeeded.

Used by `executor` (steps, the namespace creation, the dry-run, SyncFail hooks).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from gitferry.model import keys
from gitferry.model.errors import ClusterError
from gitferry.model.operation import OperationPhase, ResultCode
from gitferry.sync import hooks
from gitferry.sync.context import Session
from gitferry.sync.options import Obj
from gitferry.sync.progress import confirmation_message
from gitferry.sync.seams import CRD_ESTABLISHED_TIMEOUT, FIELD_MANAGER
from gitferry.sync.tasks import SyncTask


class RunState(IntEnum):
    """Ordered so that `max` combines states pessimistically."""

    SUCCESSFUL = 0
    PENDING = 1
    FAILED = 2


@dataclass(frozen=True)
class RunOutcome:
    state: RunState
    # Hooks deleted before re-creation (BeforeHookCreation).
    deleted: tuple[SyncTask, ...] = ()
    # The message when prunes wait for confirmation.
    confirmation: str = ""


_PHASE_OF = {
    ResultCode.SYNCED: OperationPhase.RUNNING,
    ResultCode.SYNC_FAILED: OperationPhase.FAILED,
    ResultCode.PRUNED: OperationPhase.SUCCEEDED,
    ResultCode.PRUNE_SKIPPED: OperationPhase.SUCCEEDED,
}


async def run_tasks(session: Session, tasks: Sequence[SyncTask], *, dry_run: bool) -> RunOutcome:
    """Run `tasks`; `dry_run` marks the first step's dry-run pass."""
    dry = dry_run or session.ctx.sync.dry_run
    prunes = [t for t in tasks if t.is_prune]
    applies = [t for t in tasks if not t.is_prune]
    progress = session.progress

    if not dry:
        for task in applies:
            if task.is_hook and task.live is not None and progress.pending(task):
                await session.remove_hook_finalizer(task)

    if prunes:
        if not dry and not session.ctx.prune_confirmed:
            waiting = [t for t in prunes if t.options.prune == "confirm"]
            if waiting:
                return RunOutcome(RunState.PENDING, confirmation=confirmation_message(waiting))
        codes = await asyncio.gather(*(_prune(session, t, dry) for t in prunes))
        state = RunState.SUCCESSFUL
        for task, (code, message) in zip(prunes, codes, strict=True):
            failed = code is ResultCode.SYNC_FAILED
            state = max(state, RunState.FAILED if failed else RunState.SUCCESSFUL)
            if not dry_run or session.ctx.sync.dry_run or failed:
                progress.record(task, code, _PHASE_OF[code], message)
        if state is not RunState.SUCCESSFUL:
            return RunOutcome(state)

    doomed = [
        t
        for t in applies
        if t.live is not None
        and progress.pending(t)
        and t.has_policy(hooks.DeletePolicy.BEFORE_HOOK_CREATION)
    ]
    if doomed and not dry:
        state = RunState.SUCCESSFUL
        deleted = []
        for task in doomed:
            try:
                if await session.delete(task):
                    state = max(state, RunState.PENDING)
                    deleted.append(task)
            except ClusterError as err:
                state = RunState.FAILED
                progress.record(
                    task, None, OperationPhase.ERROR, f"failed to delete resource: {err}"
                )
        if state is not RunState.SUCCESSFUL:
            return RunOutcome(state, tuple(deleted))

    state = RunState.SUCCESSFUL
    group: list[SyncTask] = []
    for task in applies:
        if group and group[0].kind != task.kind:
            state = max(state, await _apply_group(session, group, dry_run))
            group = []
        group.append(task)
    if group:
        state = max(state, await _apply_group(session, group, dry_run))
    return RunOutcome(state)


async def _prune(session: Session, task: SyncTask, dry: bool) -> tuple[ResultCode, str]:
    if not session.ctx.sync.prune:
        return ResultCode.PRUNE_SKIPPED, "ignored (requires pruning)"
    if task.options.prune == "false":
        return ResultCode.PRUNE_SKIPPED, "ignored (no prune)"
    if dry:
        return ResultCode.PRUNED, "pruned (dry run)"
    if not keys.metadata_of(task.live or {}).get("deletionTimestamp"):
        try:
            await session.delete(task)
        except ClusterError as err:
            return ResultCode.SYNC_FAILED, str(err)
    return ResultCode.PRUNED, "pruned"


async def _apply_group(session: Session, group: list[SyncTask], dry_run: bool) -> RunState:
    op_dry_run = session.ctx.sync.dry_run
    dry = dry_run or op_dry_run
    runnable = [t for t in group if not (dry and t.result_key in session.skip_dry_run)]
    codes = await asyncio.gather(*(_apply(session, t, dry) for t in runnable))
    state = RunState.SUCCESSFUL
    for task, (code, message) in zip(runnable, codes, strict=True):
        failed = code is ResultCode.SYNC_FAILED
        state = max(state, RunState.FAILED if failed else RunState.SUCCESSFUL)
        if not dry_run or op_dry_run or failed:
            phase = _PHASE_OF[code]
            if op_dry_run and phase is OperationPhase.RUNNING:
                phase = OperationPhase.SUCCEEDED
            session.progress.record(task, code, phase, message)
    if op_dry_run:
        # A kind the server does not know cannot be checked; nothing more will happen to
        # it in a dry-run operation, so it is reported rather than left pending forever.
        for task in group:
            if task not in runnable and session.progress.pending(task):
                session.progress.record(
                    task, ResultCode.SYNCED, OperationPhase.SUCCEEDED, "dry run skipped"
                )
    return state


def _kubectl_name(task: SyncTask) -> str:
    """How kubectl names an object in its output: `deployment.apps/web`, `service/web`."""
    kind = task.kind.lower()
    return f"{kind}.{task.group}/{task.name}" if task.group else f"{kind}/{task.name}"


def _needs_migration(live: Obj | None, manager: str) -> bool:
    """The live object has fields of `manager` from a client-side (Update) apply."""
    entries = keys.metadata_of(live or {}).get("managedFields") or ()
    return any(
        isinstance(e, dict) and e.get("manager") == manager and e.get("operation") == "Update"
        for e in entries
    )


async def _apply(session: Session, task: SyncTask, dry: bool) -> tuple[ResultCode, str]:
    """Apply one task's target; the result code and kubectl-style message."""
    cluster = session.ctx.cluster
    target = task.target or {}
    if task.is_hook:
        target = copy.deepcopy(target)
        marks = target.setdefault("metadata", {}).setdefault("annotations", {})
        marks[hooks.ATTEMPT_ANNOTATION] = session.attempt_mark(task)
    opts = task.options
    server_side = opts.server_side_apply and not dry
    suffix = " (dry run)" if dry else ""
    manager = session.ctx.migration_manager
    if (
        server_side
        and not opts.replace
        and session.ctx.app.client_side_apply_migration
        and _needs_migration(task.live, manager)
    ):
        try:
            await cluster.apply(
                target,
                dry_run=False,
                server_side=False,
                force=False,
                validate=False,
                field_manager=manager,
            )
        except ClusterError as err:
            return (
                ResultCode.SYNC_FAILED,
                f"Failed to perform client-side apply migration: {err}",
            )
    try:
        if opts.replace and task.live is not None:
            if keys.is_crd(target) or target.get("kind") == "Namespace":
                update = copy.deepcopy(target)
                version = keys.metadata_of(task.live).get("resourceVersion")
                update.setdefault("metadata", {})["resourceVersion"] = version
                await cluster.replace(update, dry_run=dry, force=False)
                message = f"{task.kind}/{task.name} updated"
            else:
                await cluster.replace(target, dry_run=dry, force=opts.force)
                message = f"{_kubectl_name(task)} replaced{suffix}"
        elif opts.replace:
            await cluster.create(target, dry_run=dry, validate=opts.validate)
            message = f"{_kubectl_name(task)} created{suffix}"
        else:
            await cluster.apply(
                target,
                dry_run=dry,
                server_side=server_side,
                force=opts.force,
                validate=opts.validate,
                field_manager=FIELD_MANAGER,
            )
            if server_side:
                verb = "serverside-applied"
            else:
                verb = "created" if task.live is None else "configured"
            message = f"{_kubectl_name(task)} {verb}{suffix}"
    except ClusterError as err:
        return ResultCode.SYNC_FAILED, str(err)
    if keys.is_crd(target) and not dry:
        # Argo CD logs a CRD that is slow to be Established and goes on.
        with contextlib.suppress(ClusterError):
            await cluster.wait_established(task.name, timeout=CRD_ESTABLISHED_TIMEOUT)
    return ResultCode.SYNCED, message
