"""APIService (apiregistration.k8s.io v1 and v1beta1) health from its first `Available`
condition (reference 5.3): status True -> Healthy, any other -> Progressing, both with
"<reason>: <message>"; no such condition -> Progressing "Waiting to be processed". Called
through `assess`.
"""

from __future__ import annotations

from gitferry.health import fields
from gitferry.health.fields import Obj
from gitferry.health.status import Health, HealthStatus

_WAITING = Health(HealthStatus.PROGRESSING, "Waiting to be processed")


def check(obj: Obj) -> Health:
    available = fields.condition(fields.mapping(obj, "status"), "Available")
    if available is None:
        return _WAITING
    message = f"{fields.text(available, 'reason')}: {fields.text(available, 'message')}"
    if fields.text(available, "status") == "True":
        return Health(HealthStatus.HEALTHY, message)
    return Health(HealthStatus.PROGRESSING, message)
