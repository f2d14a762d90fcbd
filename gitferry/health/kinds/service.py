"""Service (v1) health (reference 5.3): a LoadBalancer is Healthy once
`status.loadBalancer.ingress` has an entry (even an empty one), Progressing until then; every
other type is Healthy. Called through `assess`.
"""

from __future__ import annotations

from gitferry.health import fields
from gitferry.health.fields import Obj
from gitferry.health.status import Health, HealthStatus

_HEALTHY = Health(HealthStatus.HEALTHY)
_PROGRESSING = Health(HealthStatus.PROGRESSING)


def check(obj: Obj) -> Health:
    if fields.text(fields.mapping(obj, "spec"), "type") != "LoadBalancer":
        return _HEALTHY
    balancer = fields.mapping(fields.mapping(obj, "status"), "loadBalancer")
    return _HEALTHY if fields.objects(balancer, "ingress") else _PROGRESSING
