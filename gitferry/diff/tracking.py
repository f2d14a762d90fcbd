"""Tracking, as the comparison sees it (reference 4.3 pre-normalisation step 1 and 4.7).

* `normalize_live`: with the annotation tracking methods, a live object that carries the
  instance label (it was applied under label tracking) gets the target's tracking-id
  annotation, and loses the label when the target has none; so changing the tracking method
  does not show up as a diff. CRDs never carry tracking and are left alone. (Argo CD's code
  overwrites the live annotation with the target's whenever the live object has the label;
  that is what is done here.)
* `is_self_referencing`: whether the tracking id really names the live object. A live object
  that copied another object's annotation (a controller copying annotations to its children)
  is shown but gets no sync status and is never pruned. With a target, the id is the target's
  identity; without one, the live object's parsed annotation; the `label` method, and live
  objects without a valid id, always match.

Pure; called by `diff.compare` and `diff.syncstatus`.
"""

from __future__ import annotations

from typing import Any

from gitferry.model import keys
from gitferry.model.keys import TRACKING_ID_ANNOTATION, TrackingMethod

Json = dict[str, Any]


def normalize_live(
    target: Json, live: Json, method: TrackingMethod, label_key: str = keys.DEFAULT_LABEL_KEY
) -> Json:
    """`live` with tracking differences that only come from the tracking method removed."""
    if method is TrackingMethod.LABEL or keys.is_crd(live):
        return live
    if not keys.labels_of(live).get(label_key):
        return live
    meta = dict(keys.metadata_of(live))
    wanted = keys.annotations_of(target).get(TRACKING_ID_ANNOTATION)
    if isinstance(wanted, str) and keys.annotations_of(live).get(TRACKING_ID_ANNOTATION) != wanted:
        meta["annotations"] = {**keys.annotations_of(live), TRACKING_ID_ANNOTATION: wanted}
    if not keys.labels_of(target).get(label_key):
        remaining = {k: v for k, v in keys.labels_of(live).items() if k != label_key}
        if remaining:
            meta["labels"] = remaining
        else:
            meta.pop("labels", None)
    if meta == keys.metadata_of(live):
        return live
    return {**live, "metadata": meta}


def _matches(live_key: keys.ResourceKey, group: str, kind: str, namespace: str, name: str) -> bool:
    return (
        live_key.namespace in (namespace, "")
        and live_key.name == name
        and live_key.group == group
        and live_key.kind == kind
    )


def is_self_referencing(
    live: Json | None,
    target: Json | None,
    method: TrackingMethod,
    installation_id: str = "",
) -> bool:
    """Whether the tracking id of a live object names that object (reference 4.7)."""
    if live is None or method is TrackingMethod.LABEL:
        return True
    live_key = keys.ResourceKey.of(live)
    if target is not None:
        t = keys.ResourceKey.of(target)
        return _matches(live_key, t.group, t.kind, t.namespace, t.name)
    parsed = keys.tracking_id_of(live, installation_id)
    if parsed is None:
        return True
    return _matches(live_key, parsed.group, parsed.kind, parsed.namespace, parsed.name)
