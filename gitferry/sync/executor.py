"""One invocation of Argo CD's `Sync()` (reference 3.6): `step` advances an operation by at
most one phase/wave and returns the new `operationState`.

The controller's operation runner calls `step` again and again (when the operation starts,
when managed objects change, and at least every 30 s), each time with a fresh plan and the
`operationState` it persisted after the previous step. Because every task's progress lives
in `syncResult.resources`, a controller killed mid-sync resumes where it stopped: completed
hooks are never run again, and a hook created just before a crash, whose result was never
persisted, is recognised by gitferry's attempt mark and adopted rather than re-created
(see `_adopt`). Sleeping between waves is the
caller's job (`StepOutcome.wave_delay`). An operation in phase Terminating is terminated.
"""

from __future__ import annotations

from gitferry.model import keys
from gitferry.model.errors import ClusterError
from gitferry.model.operation import OperationPhase, ResultCode, SyncPhase
from gitferry.sync import hooks, terminate
from gitferry.sync.context import WAVE_DELAY_SECONDS, Session, StepContext, StepOutcome
from gitferry.sync.progress import failure_message, hook_outcome, resource_outcome
from gitferry.sync.run import RunState, run_tasks
from gitferry.sync.tasks import ObjectRef, SyncTask


async def step(ctx: StepContext) -> StepOutcome:
    """Advance the operation in `ctx.state` by one step."""
    session = Session(ctx)
    if ctx.state.phase is OperationPhase.TERMINATING:
        await terminate.terminate(session)
        return session.outcome()
    tasks = list(ctx.tasks)
    progress = session.progress

    errors = await _check(session, tasks)
    if errors:
        message = "one or more synchronization tasks are not valid"
        session.set(OperationPhase.FAILED, f"{message}: {'; '.join(sorted(set(errors)))}")
        return session.outcome()
    first = not progress.started
    _adopt(session, tasks)

    if first:
        dry_tasks = tasks
        creating = next(
            (t for t in tasks if _creates_namespace(t, ctx.destination_namespace)), None
        )
        if creating is not None:
            if (await run_tasks(session, [creating], dry_run=False)).state is RunState.FAILED:
                await _sync_fail_phase(session, [], [creating], "the namespace failed to apply")
                return session.outcome()
            dry_tasks = [t for t in tasks if t is not creating]
        dry_tasks = _out_of_sync_only(ctx, dry_tasks)
        if (await run_tasks(session, dry_tasks, dry_run=True)).state is RunState.FAILED:
            session.set(OperationPhase.FAILED, "one or more objects failed to apply (dry run)")
            return session.outcome()

    for task in tasks:
        if progress.running(task) and task.live is not None:
            _refresh(session, task, task.live)

    multi_step = bool(tasks) and (tasks[0].phase, tasks[0].wave) != (
        tasks[-1].phase,
        tasks[-1].wave,
    )
    waiting = [t for t in tasks if (multi_step or t.is_hook) and progress.running(t)]
    if waiting:
        waiting = await _drop_missing(session, waiting)
        if waiting:
            session.wait_for(waiting)
            return session.outcome()

    deleting = [
        t
        for t in tasks
        if progress.status(t) is ResultCode.PRUNED
        and t.live is not None
        and keys.metadata_of(t.live).get("deletionTimestamp")
    ]
    if deleting:
        session.wait_for(deleting, deletion=True)
        return session.outcome()

    for task in tasks:
        if task.is_hook and progress.completed(task):
            error = await session.remove_hook_finalizer(task)
            if error:
                progress.record(task, progress.status(task), OperationPhase.ERROR, error)
    done_hooks = [t for t in tasks if t.is_hook and t.live is not None and progress.completed(t)]
    on_success = [t for t in done_hooks if t.has_policy(hooks.DeletePolicy.HOOK_SUCCEEDED)]
    on_failure = [t for t in done_hooks if t.has_policy(hooks.DeletePolicy.HOOK_FAILED)]

    sync_fail = [t for t in tasks if t.phase is SyncPhase.SYNC_FAIL]
    tasks = [t for t in tasks if t.phase is not SyncPhase.SYNC_FAIL]
    if any(progress.completed(t) and not progress.successful(t) for t in tasks):
        await session.delete_hooks(on_failure)
        failed = [t for t in tasks if progress.status(t) is ResultCode.SYNC_FAILED]
        base = "one or more synchronization tasks completed unsuccessfully"
        await _sync_fail_phase(session, sync_fail, failed, base)
        return session.outcome()

    pending = _out_of_sync_only(ctx, [t for t in tasks if progress.pending(t)])
    if not pending:
        await session.delete_hooks(on_success)
        session.set(OperationPhase.SUCCEEDED, "successfully synced (no more tasks)")
        return session.outcome()

    phase, wave = pending[0].phase, pending[0].wave
    final = (phase, wave) == (pending[-1].phase, pending[-1].wave)
    current = [t for t in pending if (t.phase, t.wave) == (phase, wave)]
    remaining = [t for t in pending if (t.phase, t.wave) != (phase, wave) or t.is_hook]
    session.set(OperationPhase.RUNNING, "one or more tasks are running")
    run = await run_tasks(session, current, dry_run=False)
    delay = WAVE_DELAY_SECONDS if run.state is not RunState.FAILED and not final else 0.0

    if run.state is RunState.FAILED:
        still_running = [t for t in current if progress.running(t)]
        if still_running:
            # Wait for what did start before failing; SyncFail hooks start now.
            starting = [t for t in sync_fail if progress.pending(t)]
            if starting:
                await run_tasks(session, starting, dry_run=False)
            session.wait_for(still_running)
        else:
            await session.delete_hooks(on_failure)
            failed = [t for t in current if progress.status(t) is ResultCode.SYNC_FAILED]
            await _sync_fail_phase(
                session, sync_fail, failed, "one or more objects failed to apply"
            )
    elif run.state is RunState.PENDING:
        if run.confirmation:
            session.set(OperationPhase.RUNNING, run.confirmation)
        else:
            session.wait_for(run.deleted, deletion=True)
    elif not remaining:
        await session.delete_hooks(on_success)
        session.set(OperationPhase.SUCCEEDED, "successfully synced (all tasks run)")
    else:
        session.wait_for(current)
    return session.outcome(delay)


async def _check(session: Session, tasks: list[SyncTask]) -> list[str]:
    """Step 1: every kind must be served (or may skip its dry-run) and permitted."""
    ctx = session.ctx
    served: dict[tuple[str, str], bool | str] = {}
    errors: list[str] = []
    for task in tasks:
        ref = task.ref
        key = (ref.api_version, ref.kind)
        if key not in served:
            try:
                served[key] = await ctx.cluster.kind_served(*key)
            except ClusterError as err:
                served[key] = str(err)
        found = served[key]
        error = found if isinstance(found, str) else None
        if found is False:
            if task.may_skip_dry_run:
                session.skip_dry_run.add(task.result_key)
            else:
                qualified = f"{ref.kind}.{ref.group}" if ref.group else ref.kind
                error = f'{qualified} "" not found'
        if error is None and found is True and ctx.permission is not None:
            error = ctx.permission(task.obj)
        if error:
            session.progress.record(task, ResultCode.SYNC_FAILED, None, error)
            errors.append(error)
    return errors


def _adopt(session: Session, tasks: list[SyncTask]) -> None:
    """Crash recovery: a pending hook whose live object carries this attempt's mark for its
    phase was created by a step whose results were never persisted. It is taken as running
    instead of being deleted and created a second time (BeforeHookCreation)."""
    progress = session.progress
    for task in tasks:
        live = task.live
        if not task.is_hook or live is None or not progress.pending(task):
            continue
        if keys.metadata_of(live).get("deletionTimestamp"):
            continue
        mark = keys.annotations_of(live).get(hooks.ATTEMPT_ANNOTATION)
        if mark == session.attempt_mark(task):
            progress.record(task, ResultCode.SYNCED, OperationPhase.RUNNING)


def _refresh(session: Session, task: SyncTask, live: dict[str, object]) -> None:
    """Step 3: a running task's progress from the health of its live object."""
    progress = session.progress
    status = progress.status(task)
    try:
        health = session.ctx.health(live)
    except Exception as err:  # a custom health check may fail; Argo CD reports it
        if task.is_hook:
            message = f"failed to get resource health: {err}"
            progress.record(task, status, OperationPhase.ERROR, message)
        return
    if task.is_hook:
        phase, message = hook_outcome(health, task.name)
        progress.record(task, status, phase, message)
        return
    outcome = resource_outcome(health)
    if outcome is not None:
        progress.record(task, status, *outcome)


async def _drop_missing(session: Session, waiting: list[SyncTask]) -> list[SyncTask]:
    """Running tasks whose object is gone fail; the rest are still waited for."""
    still: list[SyncTask] = []
    for task in waiting:
        if task.live is None:
            ref = ObjectRef.of(task.obj)
            try:
                found = await session.ctx.cluster.get(ref)
            except ClusterError:
                found = {}  # unknown: keep waiting
            if found is None:
                message = (
                    f"Resource {ref.group}/{ref.kind}/{ref.name} is missing, "
                    "it might have been deleted"
                )
                session.progress.record(task, ResultCode.SYNC_FAILED, OperationPhase.ERROR, message)
                continue
        still.append(task)
    return still


async def _sync_fail_phase(
    session: Session, sync_fail: list[SyncTask], failed: list[SyncTask], base: str
) -> None:
    """Reference 3.8: fail, or start the SyncFail hooks and wait for them."""
    progress = session.progress
    message = failure_message(base, failed, progress)
    if not sync_fail or all(progress.completed(t) for t in sync_fail):
        hook_failures = [t for t in sync_fail if progress.status(t) is ResultCode.SYNC_FAILED]
        if hook_failures:
            detail = failure_message("one or more SyncFail hooks failed", hook_failures, progress)
            message = f"{message}\n{detail}"
        session.set(OperationPhase.FAILED, message)
        return
    starting = [t for t in sync_fail if progress.pending(t)]
    run = await run_tasks(session, starting, dry_run=False)
    if run.state is RunState.PENDING and run.deleted:
        session.wait_for(run.deleted, deletion=True)
    else:
        session.wait_for(sync_fail)


def _creates_namespace(task: SyncTask, namespace: str) -> bool:
    """The task would create the destination namespace (reference 3.6 step 2)."""
    target = task.target
    return (
        task.live is None
        and target is not None
        and bool(namespace)
        and task.kind == "Namespace"
        and task.group == ""
        and task.name == namespace
    )


def _out_of_sync_only(ctx: StepContext, tasks: list[SyncTask]) -> list[SyncTask]:
    """ApplyOutOfSyncOnly: drop resources (not hooks) with live and target that the
    comparison found unchanged."""
    if not ctx.app.apply_out_of_sync_only or ctx.out_of_sync is None:
        return tasks
    modified = ctx.out_of_sync
    return [
        t
        for t in tasks
        if t.is_hook or t.live is None or t.target is None or str(ObjectRef.of(t.live)) in modified
    ]
