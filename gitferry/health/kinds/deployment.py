"""Deployment (apps/v1) health, as `kubectl rollout status` judges a rollout (reference 5.3).

1. `spec.paused` -> Suspended.
2. Once the generation is observed: a Progressing condition with reason
   ProgressDeadlineExceeded -> Degraded; fewer updated replicas than `spec.replicas`, old
   replicas still present, or updated replicas not yet available -> Progressing; else Healthy.
3. Generation not observed yet -> Progressing.

Available and ReplicaFailure conditions are not read. Called through `assess`.
"""

from __future__ import annotations

from gitferry.health import fields
from gitferry.health.fields import Obj
from gitferry.health.status import Health, HealthStatus

_PAUSED = Health(HealthStatus.SUSPENDED, "Deployment is paused")
_NOT_OBSERVED = Health(
    HealthStatus.PROGRESSING,
    "Waiting for rollout to finish: observed deployment generation less than desired generation",
)
_HEALTHY = Health(HealthStatus.HEALTHY)


def check(obj: Obj) -> Health:
    meta = fields.mapping(obj, "metadata")
    spec = fields.mapping(obj, "spec")
    status = fields.mapping(obj, "status")
    if fields.flag(spec, "paused"):
        return _PAUSED
    if fields.integer(meta, "generation") > fields.integer(status, "observedGeneration"):
        return _NOT_OBSERVED
    progressing = fields.condition(status, "Progressing")
    if progressing is not None and fields.text(progressing, "reason") == "ProgressDeadlineExceeded":
        name = fields.text(meta, "name")
        return Health(HealthStatus.DEGRADED, f'Deployment "{name}" exceeded its progress deadline')
    wanted = fields.optional_integer(spec, "replicas")
    updated = fields.integer(status, "updatedReplicas")
    if wanted is not None and updated < wanted:
        return Health(
            HealthStatus.PROGRESSING,
            f"Waiting for rollout to finish: {updated} out of {wanted} new replicas have been "
            "updated...",
        )
    replicas = fields.integer(status, "replicas")
    if replicas > updated:
        return Health(
            HealthStatus.PROGRESSING,
            f"Waiting for rollout to finish: {replicas - updated} old replicas are pending "
            "termination...",
        )
    available = fields.integer(status, "availableReplicas")
    if available < updated:
        return Health(
            HealthStatus.PROGRESSING,
            f"Waiting for rollout to finish: {available} of {updated} updated replicas are "
            "available...",
        )
    return _HEALTHY
