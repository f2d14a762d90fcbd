"""Health assessment of live Kubernetes objects, exactly as Argo CD assesses them
(`reference/argocd-application.md` section 5), and the health of an Application built from
them.

Called by the controller's refresh (every managed object, every refresh), by the sync
executor (hooks and waves complete on health) and by `gitferry health`.

Rules of the package:

* Pure functions over plain dicts as the API server returns them: no I/O, no clock, no
  copies of objects, nothing compiled per call. Imports only `gitferry.model`,
  `gitferry._kit` and the standard library; mypy --strict.
* Codes and order (`status`): Healthy < Suspended < Progressing < Missing < Degraded <
  Unknown; an Application takes the worst health of its resources.
* One object (`assess`): pending deletion first (Progressing "Pending deletion" unless the
  object carries the hook finalizer); then a custom check for its group/kind, the opt-in
  child-Application rule, and the rules Argo CD bundles as Lua (CronJob); then the built-in
  check for its group/kind and version. Other versions of a checked kind are Unknown
  `unsupported <Kind> GVK: ...`; kinds with no check have no health (None), take no part in
  the Application's health, and complete at once in a sync.
* One module per kind under `kinds/`, each a transcription of Argo CD's rule with its
  messages word for word. Missing fields read as zero values; a field of the wrong type
  makes the object Unknown, as Argo CD's typed conversion does.
* Child Applications have no built-in health; `HealthOptions.child_applications` turns on
  the override Argo CD documents for app-of-apps. `HealthOptions.custom_checks` is where
  Lua health overrides will plug in.
* A Pod's health depends on whether it is a sync hook (`hooks`, reference 3.1).
* The Application (`aggregate`): hooks and `ignore-healthcheck` objects are left out,
  missing resources do not count (the Application is Missing only when none is live),
  child Applications that are Missing or Unknown do not count, and the message names the
  first three causes.
* Health inside a sync (reference 5.6) is the sync executor's reading of these results:
  Healthy or no health completes, Degraded fails, anything else waits.
"""
