"""Argo Workflows `Workflow` (argoproj.io, any version) health by `status.phase` (reference
5.3): empty, Pending or Running -> Progressing; Succeeded -> Healthy; Failed or Error ->
Degraded; anything else -> Unknown. The message is `status.message`. Called through `assess`.
"""

from __future__ import annotations

from gitferry.health import fields
from gitferry.health.fields import Obj
from gitferry.health.status import Health, HealthStatus

_BY_PHASE = {
    "": HealthStatus.PROGRESSING,
    "Pending": HealthStatus.PROGRESSING,
    "Running": HealthStatus.PROGRESSING,
    "Succeeded": HealthStatus.HEALTHY,
    "Failed": HealthStatus.DEGRADED,
    "Error": HealthStatus.DEGRADED,
}


def check(obj: Obj) -> Health:
    status = fields.mapping(obj, "status")
    code = _BY_PHASE.get(fields.text(status, "phase"), HealthStatus.UNKNOWN)
    return Health(code, fields.text(status, "message"))
