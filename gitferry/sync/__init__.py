"""Sync operations as Argo CD runs them (reference `argocd-application.md` section 3): a pure
planner that orders tasks, and an executor that advances an operation one phase/wave per
step and records per-task results, so an interrupted operation resumes where it stopped.

The controller's operation runner, on every pass of a running operation:
`plan.build(targets, live, options=...)` -> `executor.step(StepContext(...))` -> persist
`StepOutcome.state` as `status.operationState` -> wait `wave_delay`, or for a change of the
managed objects, or 30 s -> again, until the phase is completed.

The rules:

* A task is one object in one phase: a target to apply (create when there is no live object)
  or a live object to prune (no target). Hooks become tasks only from the targets, one per
  hook phase; live hooks are never pruned. Skip-only objects get no task; hooks with no
  valid type are ignored entirely.
* Order: phase (PreSync, Sync, PostSync, SyncFail), wave, kind rank (Namespace first ...
  APIService; other kinds last), name. Namespaces and CRDs are then pulled ahead of, and into
  the phase and wave of, the first task that needs them. Prune waves are mirrored so the
  last created goes first; PruneLast prunes go one wave past the last Sync wave.
* A step: the first one creates the destination namespace for real and dry-runs everything
  else. Each step refreshes running tasks from health, waits while a hook (or, in a
  multi-step sync, any task) runs or a pruned object is still being deleted, fails into the
  SyncFail phase when a task failed, and otherwise runs the next (phase, wave): prunes first,
  then BeforeHookCreation deletions, then applies kind by kind.
* A sync that is one step with no hooks succeeds as soon as the applies succeed; otherwise
  every step waits until its resources are Healthy (or have no health check), its hooks are
  Healthy, and its pruned objects are gone.
* Hooks carry the finalizer `argocd.argoproj.io/hook-finalizer` until they complete.
  HookSucceeded hooks are deleted when the operation succeeds, HookFailed hooks when it
  fails; BeforeHookCreation (the default) deletes an old hook before the new one is created.
* gitferry applies server-side (field manager `argocd-controller`, forced) unless
  `ServerSideApply=false`; Replace=true creates or replaces instead.
* Resuming: each step restores every task's progress from `syncResult.resources` (keyed
  `group/kind/namespace/name:phase`). Hooks gitferry creates carry its mark
  `gitferry.io/sync-attempt` (operation start, retry count, phase), so a hook created by a
  step whose results were lost in a crash is adopted, not created a second time.
* The messages of the operation and of each result are Argo CD's, word for word.

Modules: `options` (sync options), `hooks`, `waves`, `tasks`, `order`, `plan` (pure);
`seams` (the Cluster and health Protocols), `progress`, `context`, `run`, `executor`,
`terminate` (the executor).
"""
