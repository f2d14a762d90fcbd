"""Hooks in a sync (reference 3.1 and 3.2): the phases an object runs in, hook delete
policies, the hook finalizer, and the names generated for hooks with only `generateName`.

Which objects are hooks, Skip or ignored, and their hook types (Argo values, else mapped
Helm values) are read by `gitferry.model.hooks`; this module adds what only a sync needs:

* Sync phases: none for Skip; a hook's types among PreSync, Sync, PostSync, SyncFail,
  without duplicates (a hook can run in several phases); Sync for anything else.
* Delete policies: the valid values of `argocd.argoproj.io/hook-delete-policy` plus the
  mapped `helm.sh/hook-delete-policy` ones (hook-succeeded, hook-failed,
  before-hook-creation); none at all means BeforeHookCreation.
* Generated names: `generateName + lower(rev7 + "-" + phase + "-" + unix seconds of the
  operation start)`, rev7 being the whole revision when shorter than 8 characters.
* gitferry stamps the hooks it creates with `gitferry.io/sync-attempt` (operation start,
  retry count, phase) so a restarted controller can tell its own unrecorded hook from an
  older one (Argo CD would delete and re-create it; the hook would run twice).

Pure. Used by the planner, by `tasks.SyncTask` and by the executor.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from gitferry.model import hooks as model_hooks
from gitferry.model.operation import SyncPhase
from gitferry.sync.options import Obj

HOOK_DELETE_POLICY_ANNOTATION = "argocd.argoproj.io/hook-delete-policy"
HELM_DELETE_POLICY_ANNOTATION = "helm.sh/hook-delete-policy"
HOOK_FINALIZER = "argocd.argoproj.io/hook-finalizer"
# gitferry's own mark on the hooks it creates: which attempt of which operation, in which
# phase, created this object (see `attempt_mark`).
ATTEMPT_ANNOTATION = "gitferry.io/sync-attempt"


class DeletePolicy(StrEnum):
    HOOK_SUCCEEDED = "HookSucceeded"
    HOOK_FAILED = "HookFailed"
    BEFORE_HOOK_CREATION = "BeforeHookCreation"


_HELM_POLICIES = {
    "hook-succeeded": DeletePolicy.HOOK_SUCCEEDED,
    "hook-failed": DeletePolicy.HOOK_FAILED,
    "before-hook-creation": DeletePolicy.BEFORE_HOOK_CREATION,
}
_PHASES = {
    model_hooks.HookType.PRE_SYNC: SyncPhase.PRE_SYNC,
    model_hooks.HookType.SYNC: SyncPhase.SYNC,
    model_hooks.HookType.POST_SYNC: SyncPhase.POST_SYNC,
    model_hooks.HookType.SYNC_FAIL: SyncPhase.SYNC_FAIL,
}
_PHASE_ORDER = list(SyncPhase)


def sync_phases(obj: Obj) -> tuple[SyncPhase, ...]:
    """The phases an object syncs in, in running order."""
    if model_hooks.is_skip(obj):
        return ()
    if not model_hooks.is_hook(obj):
        return (SyncPhase.SYNC,)
    phases = {_PHASES[t] for t in model_hooks.hook_types(obj) if t in _PHASES}
    return tuple(sorted(phases, key=_PHASE_ORDER.index))


def delete_policies(obj: Obj) -> frozenset[DeletePolicy]:
    """A hook's delete policies, BeforeHookCreation when it names none."""
    valid = {p.value for p in DeletePolicy}
    argo = model_hooks.csv_annotation(obj, HOOK_DELETE_POLICY_ANNOTATION)
    helm = model_hooks.csv_annotation(obj, HELM_DELETE_POLICY_ANNOTATION)
    policies = {DeletePolicy(v) for v in argo if v in valid}
    policies |= {_HELM_POLICIES[v] for v in helm if v in _HELM_POLICIES}
    return frozenset(policies or {DeletePolicy.BEFORE_HOOK_CREATION})


def attempt_mark(started_at: datetime, retry_count: int, phase: SyncPhase) -> str:
    """`<unix seconds of the operation start>/<retry count>/<phase>`: stamped on every hook
    the executor creates, so that after a crash it recognises a hook its own attempt created
    but never recorded, and does not create it a second time."""
    seconds = int(started_at.astimezone(UTC).timestamp())
    return f"{seconds}/{retry_count}/{phase.value}"


def hook_name(generate_name: str, revision: str, phase: SyncPhase, started_at: datetime) -> str:
    """The name of a hook that has only `generateName`, for one phase of one operation."""
    short = revision[:7] if len(revision) >= 8 else revision
    seconds = int(started_at.astimezone(UTC).timestamp())
    return generate_name + f"{short}-{phase.value}-{seconds}".lower()
