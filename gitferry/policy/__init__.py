"""Pure governance rules: AppProject permissions, sync windows, RBAC.

Projects and sync windows (`project`, `windows`, `violations`, `validation`, `integrity`,
`cron`, `giturls`, on the primitives of `globs`):

* Argo CD's behaviour exactly, from `reference/argocd-policy.md` sections 1-3: the same glob
  dialect per field (gobwas with `/` for sourceRepos, gobwas elsewhere, Go `path.Match` for
  resource lists), the same order of `!` rules, null versus empty lists, robfig/cron and Go
  durations with their error wording, and Argo CD's quirks where they change an outcome.
* Parse once, evaluate often: `Project.parse` turns an AppProject object into frozen data
  (raising `InvalidSpecError` only for shapes it cannot read); the checks are plain
  functions of it, cheap enough for every app and manifest of every reconcile.
* No I/O and no clock: the time comes in as an argument (`now`), the resolved cluster and
  the project's scoped clusters too. mypy --strict; imports only `model`, `_kit` and the
  standard library.
* Refusals are typed (`violations.Violation`: rule, value, Argo CD's message, stage) and
  sync decisions are results (`windows.SyncDecision`: allowed, reason, windows); the
  controller turns them into conditions and operation messages.
* An invalid sync window never raises: it is kept with a one-line error that names it and
  blocks every app it applies to, as Argo CD refuses to sync under it.
"""
