"""Job (batch/v1) health from its conditions (reference 5.3).

A `Failed` condition marks the Job failed and complete, `Complete` marks it complete, and
`Suspended` marks it complete, and suspended only when its status is True; no other status is
read. Not complete -> Progressing; failed -> Degraded (the failure message); suspended ->
Suspended (the Suspended condition's message); else Healthy. So a resumed Job (Suspended
False) reads Healthy while it still runs: that is Argo CD's behaviour. Called through `assess`.
"""

from __future__ import annotations

from gitferry.health import fields
from gitferry.health.fields import Obj
from gitferry.health.status import Health, HealthStatus

_PROGRESSING = Health(HealthStatus.PROGRESSING)


def check(obj: Obj) -> Health:
    failed = complete = suspended = False
    failure = message = suspended_message = ""
    for entry in fields.objects(fields.mapping(obj, "status"), "conditions"):
        kind = fields.text(entry, "type")
        if kind == "Failed":
            failed = complete = True
            failure = fields.text(entry, "message")
        elif kind == "Complete":
            complete = True
            message = fields.text(entry, "message")
        elif kind == "Suspended":
            complete = True
            message = suspended_message = fields.text(entry, "message")
            if fields.text(entry, "status") == "True":
                suspended = True
    if not complete:
        return _PROGRESSING
    if failed:
        return Health(HealthStatus.DEGRADED, failure)
    if suspended:
        return Health(HealthStatus.SUSPENDED, suspended_message)
    return Health(HealthStatus.HEALTHY, message)
