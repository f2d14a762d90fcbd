"""StatefulSet (apps/v1) health, after kubectl's rollout status (reference 5.3).

1. Generation not observed (or `observedGeneration` 0) -> Progressing.
2. Fewer ready pods than `spec.replicas` -> Progressing.
3. RollingUpdate with a `rollingUpdate` block: Progressing while a partitioned rollout has
   updated fewer than `replicas - partition` pods, else Healthy (revisions are not compared).
4. OnDelete -> Healthy.
5. `updateRevision != currentRevision` -> Progressing; else Healthy.

Called through `assess`.
"""

from __future__ import annotations

from gitferry.health import fields
from gitferry.health.fields import Obj
from gitferry.health.status import Health, HealthStatus

_NOT_OBSERVED = Health(
    HealthStatus.PROGRESSING, "Waiting for statefulset spec update to be observed..."
)


def check(obj: Obj) -> Health:
    meta = fields.mapping(obj, "metadata")
    spec = fields.mapping(obj, "spec")
    status = fields.mapping(obj, "status")
    observed = fields.integer(status, "observedGeneration")
    if observed == 0 or fields.integer(meta, "generation") > observed:
        return _NOT_OBSERVED
    wanted = fields.optional_integer(spec, "replicas")
    ready = fields.integer(status, "readyReplicas")
    if wanted is not None and ready < wanted:
        return Health(HealthStatus.PROGRESSING, f"Waiting for {wanted - ready} pods to be ready...")
    strategy = fields.mapping(spec, "updateStrategy")
    strategy_type = fields.text(strategy, "type")
    updated = fields.integer(status, "updatedReplicas")
    if strategy_type == "RollingUpdate" and strategy.get("rollingUpdate") is not None:
        partition = fields.optional_integer(fields.mapping(strategy, "rollingUpdate"), "partition")
        if wanted is not None and partition is not None and updated < wanted - partition:
            return Health(
                HealthStatus.PROGRESSING,
                "Waiting for partitioned roll out to finish: "
                f"{updated} out of {wanted - partition} new pods have been updated...",
            )
        return Health(
            HealthStatus.HEALTHY,
            f"partitioned roll out complete: {updated} new pods have been updated...",
        )
    if strategy_type == "OnDelete":
        return Health(HealthStatus.HEALTHY, f"statefulset has {ready} ready pods")
    update_revision = fields.text(status, "updateRevision")
    current_revision = fields.text(status, "currentRevision")
    if update_revision != current_revision:
        return Health(
            HealthStatus.PROGRESSING,
            f"waiting for statefulset rolling update to complete {updated} pods at revision "
            f"{update_revision}...",
        )
    current = fields.integer(status, "currentReplicas")
    return Health(
        HealthStatus.HEALTHY,
        f"statefulset rolling update complete {current} pods at revision {current_revision}...",
    )
