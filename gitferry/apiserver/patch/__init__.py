"""The three PATCH algorithms of the embedded API server, as pure functions.

`registry.patch` (the PATCH handler) picks one by Content-Type and calls its `apply`:

* `strategic`: strategic merge patch, built-in kinds only, driven by the kind's `TypeNode`;
* `merge`: JSON merge patch (RFC 7386, as evanphx/json-patch v4 applies it);
* `jsonpatch`: JSON patch (RFC 6902, as evanphx/json-patch v4 applies it).

Rules shared by all three:

* They reproduce what kube-apiserver 1.32 does, quirks included, because kubectl and
  controllers depend on the results (reference/kubernetes-write-semantics.md sections 2
  and 3); each module says where it knowingly differs.
* Inputs are never mutated. A result may share the subtrees a patch does not touch with the
  original document (copying only along changed paths keeps `kubectl apply` on large objects
  cheap), so a caller that mutates the result in place must own the original, as `registry`
  does by patching a private copy of the stored object.
* Failures raise `errors.ApiError` with the status kube-apiserver gives for the same input;
  decoding the result into the kind (and the 422s that produces) is the caller's job.
"""
