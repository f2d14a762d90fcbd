"""ReplicaSet (apps/v1) health (reference 5.3).

1. Once the generation is observed: a `ReplicaFailure` condition with status True -> Degraded
   (its message); fewer available replicas than `spec.replicas` -> Progressing; else Healthy.
2. Generation not observed yet -> Progressing.

Called through `assess`.
"""

from __future__ import annotations

from gitferry.health import fields
from gitferry.health.fields import Obj
from gitferry.health.status import Health, HealthStatus

_NOT_OBSERVED = Health(
    HealthStatus.PROGRESSING,
    "Waiting for rollout to finish: observed replica set generation less than desired generation",
)
_HEALTHY = Health(HealthStatus.HEALTHY)


def check(obj: Obj) -> Health:
    meta = fields.mapping(obj, "metadata")
    spec = fields.mapping(obj, "spec")
    status = fields.mapping(obj, "status")
    if fields.integer(meta, "generation") > fields.integer(status, "observedGeneration"):
        return _NOT_OBSERVED
    failure = fields.condition(status, "ReplicaFailure")
    if failure is not None and fields.text(failure, "status") == "True":
        return Health(HealthStatus.DEGRADED, fields.text(failure, "message"))
    wanted = fields.optional_integer(spec, "replicas")
    available = fields.integer(status, "availableReplicas")
    if wanted is not None and available < wanted:
        return Health(
            HealthStatus.PROGRESSING,
            f"Waiting for rollout to finish: {available} out of {wanted} new replicas are "
            "available...",
        )
    return _HEALTHY
