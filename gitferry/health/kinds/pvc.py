"""PersistentVolumeClaim (v1) health by `status.phase` (reference 5.3): Bound -> Healthy,
Pending -> Progressing, Lost -> Degraded, anything else (empty included) -> Unknown. Called
through `assess`.
"""

from __future__ import annotations

from gitferry.health import fields
from gitferry.health.fields import Obj
from gitferry.health.status import Health, HealthStatus

_BY_PHASE = {
    "Bound": Health(HealthStatus.HEALTHY),
    "Pending": Health(HealthStatus.PROGRESSING),
    "Lost": Health(HealthStatus.DEGRADED),
}
_UNKNOWN = Health(HealthStatus.UNKNOWN)


def check(obj: Obj) -> Health:
    return _BY_PHASE.get(fields.text(fields.mapping(obj, "status"), "phase"), _UNKNOWN)
