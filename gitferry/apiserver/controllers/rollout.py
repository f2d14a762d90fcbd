"""Deployment arithmetic, as the deployment controller computes it: surge and unavailability
budgets, the size of the new ReplicaSet, status sums and the Available and Progressing
conditions with kube's exact reasons, messages and timestamp rules.

Pure functions over plain objects; called by `deployments.py`.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from gitferry._kit.clock import parse_rfc3339, rfc3339
from gitferry.apiserver.controllers import meta

Obj = dict[str, Any]
REVISION = "deployment.kubernetes.io/revision"
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
HISTORY = "deployment.kubernetes.io/revision-history"
HASH_LABEL = "pod-template-hash"
NO_DEADLINE = 2**31 - 1
_SKIP_ANNOTATIONS = {
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    HISTORY,
    DESIRED,
    MAX_REPLICAS,
    "deprecated.deployment.rollback.to",
}


def replicas(obj: Obj | None) -> int:
    return int(((obj or {}).get("spec") or {}).get("replicas", 1) or 0)


def status_of(obj: Obj | None, key: str) -> int:
    return int(((obj or {}).get("status") or {}).get(key) or 0)


def rs_revision(obj: Obj) -> int:
    try:
        return int((obj["metadata"].get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def _resolve(value: Any, total: int, *, up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        fraction = int(value[:-1]) * total / 100
        return math.ceil(fraction) if up else math.floor(fraction)
    return int(value or 0)


def is_rolling(deploy: Obj) -> bool:
    strategy = (deploy.get("spec") or {}).get("strategy") or {}
    return bool(strategy.get("type", "RollingUpdate") != "Recreate")


def surge_and_unavailable(deploy: Obj) -> tuple[int, int]:
    """maxSurge (rounded up) and maxUnavailable (rounded down; 1 when both are 0)."""
    if not is_rolling(deploy):
        return 0, 0
    rolling = ((deploy.get("spec") or {}).get("strategy") or {}).get("rollingUpdate") or {}
    want = replicas(deploy)
    surge = _resolve(rolling.get("maxSurge", "25%"), want, up=True)
    unavailable = _resolve(rolling.get("maxUnavailable", "25%"), want, up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_unavailable(deploy: Obj) -> int:
    want = replicas(deploy)
    if not is_rolling(deploy) or want == 0:
        return 0
    return min(surge_and_unavailable(deploy)[1], want)


def new_rs_replicas(deploy: Obj, all_rs: list[Obj], new_rs: Obj | None) -> int:
    """How big the new ReplicaSet may be now."""
    want = replicas(deploy)
    current = replicas(new_rs) if new_rs else 0
    if not is_rolling(deploy):
        return want
    surge = surge_and_unavailable(deploy)[0]
    total = sum(replicas(rs) for rs in all_rs)
    if total >= want + surge:
        return current
    return current + min(want + surge - total, want - current)


def has_deadline(deploy: Obj) -> bool:
    deadline = (deploy.get("spec") or {}).get("progressDeadlineSeconds", 600)
    return deadline is not None and int(deadline) != NO_DEADLINE


def deadline(deploy: Obj) -> int:
    return int((deploy.get("spec") or {}).get("progressDeadlineSeconds", 600))


def condition(kind: str, status: str, reason: str, message: str, now: str) -> Obj:
    return {
        "type": kind,
        "status": status,
        "lastUpdateTime": now,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    }


def set_condition(status: Obj, new: Obj) -> None:
    """Deployment condition rules: same status and reason change nothing; same status keeps
    lastTransitionTime; the set condition moves to the end."""
    conditions: list[Obj] = status.get("conditions") or []
    current = meta.condition(conditions, new["type"])
    if (
        current is not None
        and current["status"] == new["status"]
        and current.get("reason") == new.get("reason")
    ):
        return
    if current is not None and current["status"] == new["status"]:
        new["lastTransitionTime"] = current.get("lastTransitionTime")
    status["conditions"] = [c for c in conditions if c["type"] != new["type"]] + [new]


def remove_condition(status: Obj, kind: str) -> None:
    status["conditions"] = [c for c in status.get("conditions") or [] if c["type"] != kind]


def calculate_status(deploy: Obj, all_rs: list[Obj], new_rs: Obj | None, now: str) -> Obj:
    """Counters summed over the ReplicaSets, and the Available condition."""
    available = sum(status_of(rs, "availableReplicas") for rs in all_rs)
    total = sum(replicas(rs) for rs in all_rs)
    old: Obj = deploy.get("status") or {}
    status: Obj = {
        "observedGeneration": deploy["metadata"].get("generation", 1),
        "replicas": sum(status_of(rs, "replicas") for rs in all_rs),
        "updatedReplicas": status_of(new_rs, "replicas") if new_rs else 0,
        "readyReplicas": sum(status_of(rs, "readyReplicas") for rs in all_rs),
        "availableReplicas": available,
        "unavailableReplicas": max(total - available, 0),
        "conditions": meta.deep(old.get("conditions") or []),
    }
    if old.get("collisionCount"):
        status["collisionCount"] = old["collisionCount"]
    if available >= replicas(deploy) - max_unavailable(deploy):
        set_condition(
            status,
            condition(
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
                now,
            ),
        )
    else:
        set_condition(
            status,
            condition(
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
                now,
            ),
        )
    return status


def complete(deploy: Obj, status: Obj) -> bool:
    want = replicas(deploy)
    return bool(
        status.get("updatedReplicas", 0) == want
        and status.get("replicas", 0) == want
        and status.get("availableReplicas", 0) == want
        and status.get("observedGeneration", 0) >= deploy["metadata"].get("generation", 1)
    )


def progressing(deploy: Obj, status: Obj) -> bool:
    old: Obj = deploy.get("status") or {}
    old_old = old.get("replicas", 0) - old.get("updatedReplicas", 0)
    new_old = status.get("replicas", 0) - status.get("updatedReplicas", 0)
    return bool(
        status.get("updatedReplicas", 0) > old.get("updatedReplicas", 0)
        or new_old < old_old
        or status.get("readyReplicas", 0) > old.get("readyReplicas", 0)
        or status.get("availableReplicas", 0) > old.get("availableReplicas", 0)
    )


def timed_out(deploy: Obj, status: Obj, now: datetime) -> bool:
    if not has_deadline(deploy):
        return False
    current = meta.condition(status.get("conditions"), "Progressing")
    if current is None or current.get("reason") == "NewReplicaSetAvailable":
        return False
    if current.get("reason") == "ProgressDeadlineExceeded":
        return True
    since = parse_rfc3339(current.get("lastUpdateTime") or rfc3339(now))
    return (now - since).total_seconds() > deadline(deploy)


def rollout_status(deploy: Obj, all_rs: list[Obj], new_rs: Obj | None, now: datetime) -> Obj:
    """The status after a rollout step: counters, Available, Progressing, ReplicaFailure."""
    stamp = rfc3339(now)
    status = calculate_status(deploy, all_rs, new_rs, stamp)
    if not has_deadline(deploy):
        remove_condition(status, "Progressing")
    current = meta.condition(status.get("conditions"), "Progressing")
    finished = (
        status["replicas"] == status["updatedReplicas"]
        and current is not None
        and current.get("reason") == "NewReplicaSetAvailable"
    )
    name = deploy["metadata"]["name"]
    subject = f'ReplicaSet "{new_rs["metadata"]["name"]}"' if new_rs else f'Deployment "{name}"'
    if has_deadline(deploy) and not finished:
        if complete(deploy, status):
            set_condition(
                status,
                condition(
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable",
                    f"{subject} has successfully progressed.",
                    stamp,
                ),
            )
        elif progressing(deploy, status):
            new = condition(
                "Progressing", "True", "ReplicaSetUpdated", f"{subject} is progressing.", stamp
            )
            if current is not None:
                if current["status"] == "True":
                    new["lastTransitionTime"] = current.get("lastTransitionTime")
                remove_condition(status, "Progressing")
            set_condition(status, new)
        elif timed_out(deploy, status, now):
            set_condition(
                status,
                condition(
                    "Progressing",
                    "False",
                    "ProgressDeadlineExceeded",
                    f"{subject} has timed out progressing.",
                    stamp,
                ),
            )
    failure = _replica_failure(all_rs, new_rs, stamp)
    if failure is not None:
        set_condition(status, failure)
    else:
        remove_condition(status, "ReplicaFailure")
    return finish(status)


def _replica_failure(all_rs: list[Obj], new_rs: Obj | None, now: str) -> Obj | None:
    for rs in ([new_rs] if new_rs else []) + all_rs:
        found = meta.condition((rs.get("status") or {}).get("conditions"), "ReplicaFailure")
        if found is not None and found.get("status") == "True":
            return condition(
                "ReplicaFailure", "True", found.get("reason", ""), found.get("message", ""), now
            )
    return None


def finish(status: Obj) -> Obj:
    """Drop the zero counters and empty lists Go's omitempty leaves out."""
    return meta.drop_zero(
        status,
        "observedGeneration",
        "replicas",
        "updatedReplicas",
        "readyReplicas",
        "availableReplicas",
        "unavailableReplicas",
        "conditions",
        "collisionCount",
    )


def wake_after(deploy: Obj, status: Obj, now: datetime) -> float | None:
    """Seconds until the progress deadline must be checked (None: nothing to wait for)."""
    current = meta.condition(status.get("conditions"), "Progressing")
    if (
        not has_deadline(deploy)
        or current is None
        or current.get("reason") in ("ProgressDeadlineExceeded", "NewReplicaSetAvailable")
        or complete(deploy, status)
    ):
        return None
    since = parse_rfc3339(current.get("lastUpdateTime") or rfc3339(now))
    left = deadline(deploy) - (now - since).total_seconds()
    return max(left, 0.0) + 1.0


def age(rs: Obj) -> tuple[str, str]:
    """Sort key: oldest first."""
    return (rs["metadata"].get("creationTimestamp", ""), rs["metadata"]["name"])


def rs_annotations(deploy: Obj, rs: Obj, revision: str, *, exists: bool) -> bool:
    """Copy the Deployment's annotations to its new ReplicaSet and give it `revision`
    (keeping the one it had in revision-history); whether anything changed."""
    annotations = rs["metadata"].setdefault("annotations", {})
    changed = False
    for key, value in (deploy["metadata"].get("annotations") or {}).items():
        if key not in _SKIP_ANNOTATIONS and annotations.get(key) != value:
            annotations[key] = value
            changed = True
    old = annotations.get(REVISION)
    if rs_revision(rs) < int(revision):
        annotations[REVISION] = revision
        changed = True
        if old:
            history = annotations.get(HISTORY)
            annotations[HISTORY] = f"{history},{old}" if history else old
    if not exists:
        changed = replica_annotations(deploy, rs) or changed
    return changed


def replica_annotations(deploy: Obj, rs: Obj) -> bool:
    """Set desired-replicas and max-replicas; whether they changed."""
    annotations = rs["metadata"].setdefault("annotations", {})
    want = replicas(deploy)
    wanted = {DESIRED: str(want), MAX_REPLICAS: str(want + surge_and_unavailable(deploy)[0])}
    if all(annotations.get(k) == v for k, v in wanted.items()):
        return False
    annotations.update(wanted)
    return True


def proportional_sizes(deploy: Obj, new: Obj | None, old: list[Obj]) -> list[tuple[Obj, int]]:
    """The ReplicaSet sizes of a scaling event: the one active set takes the new size;
    several share the change in proportion (the largest takes the rest)."""
    want = replicas(deploy)
    every = ([new] if new else []) + list(reversed(old))
    active = [rs for rs in every if replicas(rs) > 0]
    single = active[0] if len(active) == 1 else (every[0] if not active and every else None)
    if single is not None:
        return [(single, want)] if replicas(single) != want else []
    if not active:
        return []
    if (
        new is not None
        and replicas(new) == want
        and status_of(new, "availableReplicas") == want
        and (new["metadata"].get("annotations") or {}).get(DESIRED) == str(want)
    ):
        return [(rs, 0) for rs in old if replicas(rs) > 0]
    if not is_rolling(deploy):
        return []
    surge = surge_and_unavailable(deploy)[0]
    allowed = want + surge if want > 0 else 0
    to_add = allowed - sum(replicas(rs) for rs in active)
    order = sorted(active, key=lambda rs: (-replicas(rs), age(rs)))
    sizes = {rs["metadata"]["uid"]: replicas(rs) for rs in active}
    added = 0
    for rs in order:
        if to_add in (0, added):
            break
        fraction = _fraction(deploy, rs, want + surge)
        part = min(fraction, to_add - added) if to_add > 0 else max(fraction, to_add - added)
        sizes[rs["metadata"]["uid"]] += part
        added += part
    if order and added != to_add:
        first = order[0]["metadata"]["uid"]
        sizes[first] = max(sizes[first] + to_add - added, 0)
    return [(rs, sizes[rs["metadata"]["uid"]]) for rs in order]


def _fraction(deploy: Obj, rs: Obj, total: int) -> int:
    if replicas(deploy) == 0:
        return -replicas(rs)
    annotated = (rs["metadata"].get("annotations") or {}).get(MAX_REPLICAS)
    before = int(annotated) if annotated else status_of(deploy, "replicas")
    if before <= 0:
        return 0
    return math.floor(replicas(rs) * total / before + 0.5) - replicas(rs)
