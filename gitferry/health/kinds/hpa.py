"""HorizontalPodAutoscaler health, autoscaling/v1 and v2 (reference 5.3).

v2 reads `status.conditions`; v1 reads the JSON list in the annotation
`autoscaling.alpha.kubernetes.io/conditions` (missing or empty -> Progressing, invalid JSON ->
an error, so Unknown). Then:

1. Any condition whose (type, reason) is a known failure -> Degraded (its message); the
   condition's status is not read.
2. Else the first AbleToScale or ScalingLimited condition with status "True" -> Healthy (its
   message).
3. Else Progressing "Waiting to Autoscale".

Called through `assess`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from gitferry.health import fields
from gitferry.health.fields import Obj
from gitferry.health.status import Health, HealthCheckError, HealthStatus

CONDITIONS_ANNOTATION = "autoscaling.alpha.kubernetes.io/conditions"

_WAITING = Health(HealthStatus.PROGRESSING, "Waiting to Autoscale")
_DEGRADED = frozenset(
    {
        ("AbleToScale", "FailedGetScale"),
        ("AbleToScale", "FailedUpdateScale"),
        ("ScalingActive", "FailedGetResourceMetric"),
        ("ScalingActive", "FailedGetObjectMetric"),
        ("ScalingActive", "FailedGetPodsMetric"),
        ("ScalingActive", "FailedGetExternalMetric"),
        ("ScalingActive", "FailedComputeMetricsReplicas"),
        ("ScalingActive", "InvalidSelector"),
    }
)
_HEALTHY_TYPES = ("AbleToScale", "ScalingLimited")
_FIELDS = ("type", "reason", "message", "status")


def check_v1(obj: Obj) -> Health:
    annotations = fields.mapping(fields.mapping(obj, "metadata"), "annotations")
    if CONDITIONS_ANNOTATION not in annotations:
        return _WAITING
    conditions = _parse_annotation(annotations[CONDITIONS_ANNOTATION])
    return _judge(conditions) if conditions else _WAITING


def check_v2(obj: Obj) -> Health:
    conditions = fields.objects(fields.mapping(obj, "status"), "conditions")
    return _judge(
        (
            fields.text(entry, "type"),
            fields.text(entry, "reason"),
            fields.text(entry, "message"),
            fields.text(entry, "status"),
        )
        for entry in conditions
    )


def _parse_annotation(value: object) -> list[tuple[str, str, str, str]]:
    """The annotation's conditions, read as Go's JSON decoder reads them into a struct: keys
    match field names case-insensitively, unknown keys are ignored, `null` is no list."""
    try:
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {type(value).__name__}")
        decoded = json.loads(value)
        if decoded is None:
            return []
        if not isinstance(decoded, list):
            raise ValueError(f"cannot read {type(decoded).__name__} as a list of conditions")
        conditions = []
        for item in decoded:
            found = dict.fromkeys(_FIELDS, "")
            if item is not None:
                if not isinstance(item, dict):
                    raise ValueError(f"cannot read {type(item).__name__} as a condition")
                for key, field_value in item.items():
                    name = key.lower()
                    if name in found and field_value is not None:
                        if not isinstance(field_value, str):
                            raise ValueError(f"condition {key}: expected a string")
                        found[name] = field_value
            conditions.append((found["type"], found["reason"], found["message"], found["status"]))
        return conditions
    except ValueError as err:
        raise HealthCheckError(f"failed to convert conditions annotation to typed: {err}") from err


def _judge(conditions: Iterable[tuple[str, str, str, str]]) -> Health:
    healthy: Health | None = None
    for kind, reason, message, status in conditions:
        if (kind, reason) in _DEGRADED:
            return Health(HealthStatus.DEGRADED, message)
        if healthy is None and kind in _HEALTHY_TYPES and status == "True":
            healthy = Health(HealthStatus.HEALTHY, message)
    return healthy or _WAITING
