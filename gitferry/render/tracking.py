"""Tracking metadata: how Argo CD marks the objects an application owns (reference 4.7).

Pure functions over rendered manifests, applied by `renderer.Renderer` after rendering and
namespace normalisation (so the tracking id carries the final namespace), never inside a
renderer. The controller's live-object pairing reads the same ids with `parse_tracking_id`.
"""

from __future__ import annotations

import re
from typing import Any

from gitferry.model.errors import RenderError
from gitferry.model.keys import (
    DEFAULT_LABEL_KEY,
    INSTALLATION_ID_ANNOTATION,
    TRACKING_ID_ANNOTATION,
    TrackingId,
    TrackingMethod,
    parse_tracking_id,
)

__all__ = [
    "DEFAULT_LABEL_KEY",
    "INSTALLATION_ID_ANNOTATION",
    "TRACKING_ID_ANNOTATION",
    "TrackingId",
    "TrackingMethod",
    "add_tracking",
    "parse_tracking_id",
    "tracking_id",
]

LABEL_MAX_LENGTH = 63
_OK_END = re.compile(r"[a-zA-Z0-9]$")


def group_of(manifest: dict[str, Any]) -> str:
    api_version = str(manifest.get("apiVersion") or "")
    return api_version.rpartition("/")[0]


def is_crd(manifest: dict[str, Any]) -> bool:
    return (
        manifest.get("kind") == "CustomResourceDefinition"
        and group_of(manifest) == "apiextensions.k8s.io"
    )


def tracking_id(manifest: dict[str, Any], instance: str, destination_namespace: str) -> str:
    """The tracking id of a manifest; cluster-scoped objects carry the destination namespace."""
    meta = manifest.get("metadata") or {}
    namespace = meta.get("namespace") or destination_namespace
    return str(
        TrackingId(
            instance,
            group_of(manifest),
            str(manifest.get("kind") or ""),
            str(namespace),
            str(meta.get("name") or ""),
        )
    )


def _label_value(instance: str, method: TrackingMethod) -> str:
    if method is TrackingMethod.LABEL or len(instance) <= LABEL_MAX_LENGTH:
        return instance
    value = instance[:LABEL_MAX_LENGTH]
    while not _OK_END.search(value):
        if len(value) <= 1:
            raise RenderError(
                f"app {instance}: cannot truncate the instance label to end with a letter or digit"
            )
        value = value[:-1]
    return value


def add_tracking(
    manifests: list[dict[str, Any]],
    *,
    instance: str,
    destination_namespace: str,
    method: TrackingMethod,
    label_key: str = DEFAULT_LABEL_KEY,
    installation_id: str = "",
) -> list[dict[str, Any]]:
    """New manifests with tracking metadata; CRDs are left untouched.

    Only `metadata` (and its labels and annotations) is copied; the rest is shared with the
    input, which callers must therefore treat as consumed.
    """
    use_annotation = method is not TrackingMethod.LABEL
    use_label = method is not TrackingMethod.ANNOTATION
    label = _label_value(instance, method) if use_label else ""
    tracked: list[dict[str, Any]] = []
    for manifest in manifests:
        if is_crd(manifest):
            tracked.append(manifest)
            continue
        meta = dict(manifest.get("metadata") or {})
        if use_annotation:
            annotations = dict(meta.get("annotations") or {})
            annotations[TRACKING_ID_ANNOTATION] = tracking_id(
                manifest, instance, destination_namespace
            )
            if installation_id:
                annotations[INSTALLATION_ID_ANNOTATION] = installation_id
            else:
                annotations.pop(INSTALLATION_ID_ANNOTATION, None)
            meta["annotations"] = annotations
        if use_label:
            meta["labels"] = {**(meta.get("labels") or {}), label_key: label}
        tracked.append({**manifest, "metadata": meta})
    return tracked
