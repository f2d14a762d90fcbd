"""Pure comparison of desired and live objects: Argo CD's comparison (reference section 4),
from "desired manifests and live objects" to "per-resource sync status".

The controller's refresh runs, for one application:

1. `pairing.reconcile`: split hooks off the targets, de-duplicate live objects by UID, pair
   targets with live objects by key (namespace and scope rules of 4.2); leftovers are
   extraneous.
2. `compare.compare_pair` for every pair, with the server-side dry-run prediction of the
   target that the controller asks the cluster for: tracking normalisation (`tracking`),
   `managedFieldsManagers` (`fieldsv1`), `Normalize()` (`normalizers`), `ignoreDifferences`
   (`ignore`, with the system rules of `settings` and jq in a killable worker, `jqpaths`),
   then canonical JSON equality.
3. `syncstatus.sync_status`: per-resource and app sync status and the `status.resources[]`
   entries.
4. `orphans.find_orphans` for the resource tree, when the project monitors orphans.

`objects.compare` is what the CLI's `gitferry diff` prints: live against the dry-run
prediction with server fields stripped, as a unified diff.
Nothing here does I/O except running jq in its worker process.
"""
