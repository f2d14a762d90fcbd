"""JSON merge patch (`application/merge-patch+json`, RFC 7386), as kube-apiserver 1.32 applies
it with gopkg.in/evanphx/json-patch.v4.

Called by the PATCH handler of the API server (`registry.patch`) with the stored object and
the decoded patch; kubectl sends merge patches for `label`, `annotate`, `scale`, and for
`apply`/`edit` of custom resources. The rules (reference/kubernetes-write-semantics.md 3.1):

* an object merges into an object member by member, and a `null` member deletes (absent is
  fine); arrays are never merged, they replace;
* a value landing where the target has nothing, `null`, or a non-object is stored with its
  nulls pruned at every depth: null members go and, as v4 does, so do null array items;
* a non-object value replacing an object is stored exactly as sent (v4 prunes nothing there);
* a patch that is not an object replaces the whole target (arrays pruned as above). The
  handler answers the 400s the API server gives for such bodies before this runs.
"""

from __future__ import annotations

import copy
from typing import Any


def apply(original: Any, patch: Any) -> Any:
    """The document `original` becomes under `patch`. Neither input is mutated; the result
    shares the members the patch does not touch with `original`."""
    if isinstance(patch, dict) and isinstance(original, dict):
        return _merge(original, patch)
    return _pruned(patch)


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    result = dict(target)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif not isinstance(result.get(key), dict):
            result[key] = _pruned(value)
        elif isinstance(value, dict):
            result[key] = _merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _pruned(value: Any) -> Any:
    """A copy of `value` without nulls: neither null members nor null array items."""
    if isinstance(value, dict):
        return {key: _pruned(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_pruned(item) for item in value if item is not None]
    return value
