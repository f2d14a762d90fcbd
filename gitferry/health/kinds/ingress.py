"""Ingress health, for `extensions` and `networking.k8s.io`, any version (reference 5.3):
Healthy once `status.loadBalancer.ingress` has an entry, else Progressing. Argo CD reads the
field without a typed conversion, so a malformed value counts as no entry. Called through
`assess`.
"""

from __future__ import annotations

from gitferry.health.fields import Obj
from gitferry.health.status import Health, HealthStatus

_HEALTHY = Health(HealthStatus.HEALTHY)
_PROGRESSING = Health(HealthStatus.PROGRESSING)


def check(obj: Obj) -> Health:
    status = obj.get("status")
    balancer = status.get("loadBalancer") if isinstance(status, dict) else None
    entries = balancer.get("ingress") if isinstance(balancer, dict) else None
    return _HEALTHY if isinstance(entries, list) and entries else _PROGRESSING
