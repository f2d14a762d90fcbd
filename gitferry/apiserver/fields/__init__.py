"""Server-side apply and managedFields tracking, as kube-apiserver 1.32 does them.

kube-apiserver delegates both to structured-merge-diff v4.4.2 wrapped in its field-manager
chain; this package is that code restated as pure functions over JSON values and
`schema.TypeNode`s (reference/kubernetes-write-semantics.md section 1). The PATCH handler
calls `apply.apply` for apply patches; the POST, PUT and other PATCH handlers call
`update.track_update`. Modules: `fieldset` (path sets and the FieldsV1 encoding), `typed`
(walking objects with their schema), `managed` (managedFields entries), `update`, `apply`.

Rules every module keeps:

* Ownership is a set of paths per manager identity (manager, operation, subresource, and
  apiVersion for Update). An apply conflicts only where another manager owns a path *and*
  the apply changes its value; force, and every Update, take such paths over silently. A
  path whose value a write removes leaves every manager's set.
* An applier's dropped paths are deleted from the object only if no manager owns them.
* apiVersion, kind and metadata's identity fields (name, namespace, uid, resourceVersion,
  generation, creationTimestamp, managedFields, selfLink, deletion*) are never owned.
* Inputs are never mutated and results share untouched subtrees with them; stored objects
  must be treated as immutable. A write that changes nothing returns what it was given, so
  the caller can skip storage (same resourceVersion, no watch event).
* Behaviour is upstream's, quirks included, so clients see what a real cluster shows; where
  a module knowingly differs it says so.
"""
