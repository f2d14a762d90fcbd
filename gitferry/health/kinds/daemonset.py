"""DaemonSet (apps/v1) health, after kubectl's rollout status (reference 5.3).

1. Generation not observed -> Progressing.
2. OnDelete -> Healthy.
3. Fewer pods updated, or fewer available, than `desiredNumberScheduled` -> Progressing.
4. Else Healthy.

Called through `assess`.
"""

from __future__ import annotations

from gitferry.health import fields
from gitferry.health.fields import Obj
from gitferry.health.status import Health, HealthStatus

_NOT_OBSERVED = Health(
    HealthStatus.PROGRESSING,
    "Waiting for rollout to finish: observed daemon set generation less than desired generation",
)
_HEALTHY = Health(HealthStatus.HEALTHY)


def check(obj: Obj) -> Health:
    meta = fields.mapping(obj, "metadata")
    spec = fields.mapping(obj, "spec")
    status = fields.mapping(obj, "status")
    if fields.integer(meta, "generation") > fields.integer(status, "observedGeneration"):
        return _NOT_OBSERVED
    desired = fields.integer(status, "desiredNumberScheduled")
    updated = fields.integer(status, "updatedNumberScheduled")
    if fields.text(fields.mapping(spec, "updateStrategy"), "type") == "OnDelete":
        return Health(
            HealthStatus.HEALTHY,
            f"daemon set {updated} out of {desired} new pods have been updated",
        )
    name = fields.text(meta, "name")
    if updated < desired:
        return Health(
            HealthStatus.PROGRESSING,
            f'Waiting for daemon set "{name}" rollout to finish: {updated} out of {desired} new '
            "pods have been updated...",
        )
    available = fields.integer(status, "numberAvailable")
    if available < desired:
        return Health(
            HealthStatus.PROGRESSING,
            f'Waiting for daemon set "{name}" rollout to finish: {available} of {desired} '
            "updated pods are available...",
        )
    return _HEALTHY
