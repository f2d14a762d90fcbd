"""The Deployment controller: rolls pod templates out through ReplicaSets.

Each sync follows kube's order: a paused Deployment only gets its Progressing condition
(DeploymentPaused / DeploymentResumed) and proportional scaling; a change of `replicas` is a
scaling event; otherwise the strategy runs. RollingUpdate creates the new ReplicaSet
`<deployment>-<pod-template-hash>` (found again by template, not by name, so a rollback reuses
the old one), scales it up within maxSurge and the old ones down within maxUnavailable;
Recreate scales the old ones to zero, waits until their pods are gone, then creates the new
one. Revisions go on the ReplicaSets and on the Deployment; old ReplicaSets beyond
`revisionHistoryLimit` are deleted once the rollout is complete. Status and conditions come
from `rollout`; a timer fires at the progress deadline. Started by the controller manager.
"""

from __future__ import annotations

from typing import Any

from gitferry.apiserver import errors
from gitferry.apiserver.controllers import meta, rollout, runtime
from gitferry.apiserver.controllers.rollout import (
    DESIRED,
    HASH_LABEL,
    HISTORY,
    MAX_REPLICAS,
    REVISION,
    replicas,
    status_of,
)
from gitferry.apiserver.store import Event
from gitferry.apiserver.writes import WriteOptions

Obj = dict[str, Any]
_SKIP_ANNOTATIONS = {
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    HISTORY,
    DESIRED,
    MAX_REPLICAS,
    "deprecated.deployment.rollback.to",
}


class Deployments(runtime.Controller):
    """Reconciles Deployments."""

    name = "deployment"
    component = "deployment-controller"

    def start(self) -> None:
        for key in self.keys_of("deployments.apps"):
            self.queue(key)

    def watches(self) -> dict[str, runtime.Handler]:
        return {
            "deployments.apps": self._on_self,
            "replicasets.apps": self._on_rs,
            "pods": self._on_pod,
        }

    def _on_self(self, event: Event) -> None:
        meta_ = event.entry.obj["metadata"]
        self.queue((meta_["namespace"], meta_["name"]))

    def _on_rs(self, event: Event) -> None:
        for obj in (event.old, event.entry.obj):
            ref = runtime.controller_ref(obj)
            if ref is not None and ref.get("kind") == "Deployment":
                self.queue((event.entry.obj["metadata"]["namespace"], ref["name"]))

    def _on_pod(self, event: Event) -> None:
        """Recreate waits for the old pods to be gone."""
        if event.type != "DELETED" and not meta.is_terminal(event.entry.obj):
            return
        uid = runtime.controller_uid(event.entry.obj)
        found = self.manager.index.lookup(uid) if uid else None
        if found is None or found[0] != "replicasets.apps":
            return
        rs = self.store.get(*found)
        ref = runtime.controller_ref(rs.obj if rs else None)
        if ref is not None and ref.get("kind") == "Deployment":
            self.queue((found[1], ref["name"]))

    def reconcile(self, key: Any) -> None:
        namespace, name = key
        entry = self.store.get("deployments.apps", namespace, name)
        if entry is None:
            return
        selector = (entry.obj.get("spec") or {}).get("selector") or {}
        if not selector.get("matchLabels") and not selector.get("matchExpressions"):
            return
        sync = _Sync(self, entry.copy())
        sync.run()
        deploy = sync.deploy
        if deploy != entry.obj:
            self.registry.write_status(self.rt("deployments.apps"), deploy, self.manager_name)
        wait = rollout.wake_after(deploy, deploy.get("status") or {}, self.manager.clock.now())
        if wait is not None:
            self.wake(key, wait)


class _Sync:
    """One sync of one Deployment: `deploy` is a private copy whose status and revision
    annotation are written at the end; `sets` are its ReplicaSets as last written."""

    def __init__(self, controller: Deployments, deploy: Obj) -> None:
        self.c = controller
        self.deploy = deploy
        self.now = controller.manager.clock.now()
        uid = deploy["metadata"]["uid"]
        self.sets: list[Obj] = sorted(
            (e.obj for e in controller.owned(uid, "replicasets.apps")), key=rollout.age
        )

    def run(self) -> None:
        spec = self.deploy.get("spec") or {}
        if self.deploy["metadata"].get("deletionTimestamp"):
            new, _ = self.new_rs(create=False)
            return self.finish(new, rollout_step=False)
        self.paused_condition()
        if spec.get("paused") or self.scaling_event():
            return self.scale_only()
        if rollout.is_rolling(self.deploy):
            return self.rolling()
        return self.recreate()

    # -- the new ReplicaSet ---------------------------------------------------------------

    def new_rs(self, *, create: bool) -> tuple[Obj | None, list[Obj]]:
        template = (self.deploy.get("spec") or {}).get("template") or {}
        found = next(
            (
                rs
                for rs in self.sets
                if meta.without_label((rs.get("spec") or {}).get("template") or {}, HASH_LABEL)
                == template
            ),
            None,
        )
        old = [rs for rs in self.sets if rs is not found]
        revision = str(max((rollout.rs_revision(rs) for rs in old), default=0) + 1)
        if found is not None:
            copy = meta.deep(found)
            changed = rollout.rs_annotations(self.deploy, copy, revision, exists=True)
            min_ready = (self.deploy.get("spec") or {}).get("minReadySeconds", 0)
            if (copy.get("spec") or {}).get("minReadySeconds", 0) != min_ready:
                copy["spec"]["minReadySeconds"] = min_ready
                changed = True
            if changed:
                found = self.replace(copy)
            self.set_revision(found["metadata"]["annotations"][REVISION])
            status = self.deploy.setdefault("status", {})
            if (
                rollout.has_deadline(self.deploy)
                and meta.condition(status.get("conditions"), "Progressing") is None
            ):
                rollout.set_condition(
                    status,
                    rollout.condition(
                        "Progressing",
                        "True",
                        "FoundNewReplicaSet",
                        f'Found new replica set "{found["metadata"]["name"]}"',
                        self.stamp,
                    ),
                )
            return found, old
        if not create:
            return None, old
        created = self.create_rs(template, revision, old)
        return created, old

    def create_rs(self, template: Obj, revision: str, old: list[Obj]) -> Obj | None:
        meta_ = self.deploy["metadata"]
        status = self.deploy.setdefault("status", {})
        collisions = int(status.get("collisionCount") or 0)
        pod_hash = meta.template_hash(template, collisions)
        name = f"{meta_['name']}-{pod_hash}"
        rs_template = meta.deep(template)
        rs_template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = pod_hash
        selector = meta.deep((self.deploy.get("spec") or {}).get("selector") or {})
        selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash
        rs: Obj = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": name,
                "namespace": meta_["namespace"],
                "labels": dict(rs_template["metadata"]["labels"]),
                "annotations": {},
                "ownerReferences": [meta.owner_ref(self.deploy)],
            },
            "spec": {
                "replicas": 0,
                "minReadySeconds": (self.deploy.get("spec") or {}).get("minReadySeconds", 0),
                "selector": selector,
                "template": rs_template,
            },
        }
        rollout.rs_annotations(self.deploy, rs, revision, exists=False)
        size = rollout.new_rs_replicas(self.deploy, old, None)
        rs["spec"]["replicas"] = size
        try:
            created = self.c.registry.create(
                self.c.rt("replicasets.apps"),
                meta_["namespace"],
                rs,
                WriteOptions(manager=self.c.manager_name),
            ).obj
        except errors.ApiError as err:
            if err.code == 409 and err.reason == "AlreadyExists":
                status["collisionCount"] = collisions + 1
                return None
            rollout.set_condition(
                status,
                rollout.condition(
                    "Progressing",
                    "False",
                    "ReplicaSetCreateError",
                    f'Failed to create new replica set "{name}": {err.message}',
                    self.stamp,
                ),
            )
            return None
        self.sets.append(created)
        if size > 0:
            self.c.event(
                self.deploy,
                "Normal",
                "ScalingReplicaSet",
                f"Scaled up replica set {name} from 0 to {size}",
            )
        self.set_revision(revision)
        if rollout.has_deadline(self.deploy):
            rollout.set_condition(
                status,
                rollout.condition(
                    "Progressing",
                    "True",
                    "NewReplicaSetCreated",
                    f'Created new replica set "{name}"',
                    self.stamp,
                ),
            )
        return created

    def set_revision(self, revision: str) -> None:
        annotations = self.deploy["metadata"].setdefault("annotations", {})
        if annotations.get(REVISION) != revision:
            annotations[REVISION] = revision

    # -- writes to ReplicaSets ------------------------------------------------------------

    def replace(self, rs: Obj) -> Obj:
        written = self.c.registry.write(self.c.rt("replicasets.apps"), rs, self.c.manager_name).obj
        uid = written["metadata"]["uid"]
        self.sets = [written if s["metadata"]["uid"] == uid else s for s in self.sets]
        return written

    def scale(self, rs: Obj, size: int) -> bool:
        """Set a ReplicaSet's size and replica annotations; True when the size changed."""
        before = replicas(rs)
        copy = meta.deep(rs)
        copy["spec"]["replicas"] = size
        annotated = rollout.replica_annotations(self.deploy, copy)
        if before == size and not annotated:
            return False
        self.replace(copy)
        if before != size:
            verb = "up" if size > before else "down"
            self.c.event(
                self.deploy,
                "Normal",
                "ScalingReplicaSet",
                f"Scaled {verb} replica set {rs['metadata']['name']} from {before} to {size}",
            )
        return before != size

    def current(self, rs: Obj | None) -> Obj | None:
        if rs is None:
            return None
        uid = rs["metadata"]["uid"]
        return next((s for s in self.sets if s["metadata"]["uid"] == uid), rs)

    # -- strategies ----------------------------------------------------------------------

    @property
    def stamp(self) -> str:
        return self.c.registry.now()

    def paused_condition(self) -> None:
        if not rollout.has_deadline(self.deploy):
            return
        status = self.deploy.setdefault("status", {})
        current = meta.condition(status.get("conditions"), "Progressing")
        if current is not None and current.get("reason") == "ProgressDeadlineExceeded":
            return
        paused_now = current is not None and current.get("reason") == "DeploymentPaused"
        if (self.deploy.get("spec") or {}).get("paused") and not paused_now:
            rollout.set_condition(
                status,
                rollout.condition(
                    "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", self.stamp
                ),
            )
        elif not (self.deploy.get("spec") or {}).get("paused") and paused_now:
            rollout.set_condition(
                status,
                rollout.condition(
                    "Progressing",
                    "Unknown",
                    "DeploymentResumed",
                    "Deployment is resumed",
                    self.stamp,
                ),
            )

    def scaling_event(self) -> bool:
        new, old = self.new_rs(create=False)
        for rs in ([new] if new else []) + old:
            desired = (rs["metadata"].get("annotations") or {}).get(DESIRED)
            if replicas(rs) > 0 and desired is not None and desired != str(replicas(self.deploy)):
                return True
        return False

    def rolling(self) -> None:
        new, old = self.new_rs(create=True)
        if self.scale_new(new):
            return self.finish(self.current(new))
        if self.scale_old(self.current(new), old):
            return self.finish(self.current(new))
        if rollout.complete(self.deploy, self.deploy.get("status") or {}):
            self.cleanup()
        return self.finish(self.current(new))

    def scale_new(self, new: Obj | None) -> bool:
        if new is None:
            return False
        want = replicas(self.deploy)
        if replicas(new) == want:
            return False
        if replicas(new) > want:
            return self.scale(new, want)
        return self.scale(new, rollout.new_rs_replicas(self.deploy, self.sets, new))

    def scale_old(self, new: Obj | None, old: list[Obj]) -> bool:
        old = [s for s in (self.current(o) for o in old) if s is not None]
        if sum(replicas(rs) for rs in old) == 0:
            return False
        minimum = replicas(self.deploy) - rollout.max_unavailable(self.deploy)
        new_unavailable = replicas(new) - status_of(new, "availableReplicas") if new else 0
        budget = sum(replicas(rs) for rs in self.sets) - minimum - new_unavailable
        if budget <= 0:
            return False
        cleaned = 0
        for rs in old:
            if cleaned >= budget:
                break
            unhealthy = replicas(rs) - status_of(rs, "availableReplicas")
            if replicas(rs) == 0 or unhealthy <= 0:
                continue
            count = min(budget - cleaned, unhealthy)
            self.scale(rs, replicas(rs) - count)
            cleaned += count
        available = sum(status_of(rs, "availableReplicas") for rs in self.sets)
        excess = available - minimum
        scaled = 0
        for rs in old:
            rs = self.current(rs) or rs
            if scaled >= excess:
                break
            if replicas(rs) == 0:
                continue
            count = min(replicas(rs), excess - scaled)
            self.scale(rs, replicas(rs) - count)
            scaled += count
        return cleaned + max(scaled, 0) > 0

    def recreate(self) -> None:
        new, old = self.new_rs(create=False)
        scaled = False
        for rs in old:
            if replicas(rs) > 0:
                scaled = self.scale(rs, 0) or scaled
        if scaled or self.old_pods_running(old):
            return self.finish(self.current(new))
        if new is None:
            new, old = self.new_rs(create=True)
        if new is not None:
            self.scale(new, replicas(self.deploy))
        if rollout.complete(self.deploy, self.deploy.get("status") or {}):
            self.cleanup()
        return self.finish(self.current(new))

    def old_pods_running(self, old: list[Obj]) -> bool:
        if any(status_of(rs, "replicas") > 0 for rs in old):
            return True
        return any(
            not meta.is_terminal(pod.obj)
            for rs in old
            for pod in self.c.owned(rs["metadata"]["uid"], "pods")
        )

    def scale_only(self) -> None:
        new, old = self.new_rs(create=False)
        self.proportional(new, old)
        if (self.deploy.get("spec") or {}).get("paused"):
            self.cleanup()
        self.finish(self.current(new), rollout_step=False)

    def proportional(self, new: Obj | None, old: list[Obj]) -> None:
        for rs, size in rollout.proportional_sizes(self.deploy, new, old):
            self.scale(rs, size)

    def cleanup(self) -> None:
        limit = (self.deploy.get("spec") or {}).get("revisionHistoryLimit", 10)
        if limit is None:
            return
        _, old = self.new_rs(create=False)
        alive = [rs for rs in old if not rs["metadata"].get("deletionTimestamp")]
        excess = len(alive) - int(limit)
        alive.sort(key=lambda r: (rollout.rs_revision(r), rollout.age(r)))
        for rs in alive[: max(excess, 0)]:
            if (
                status_of(rs, "replicas")
                or replicas(rs)
                or rs["metadata"].get("generation", 1) > status_of(rs, "observedGeneration")
            ):
                continue
            meta_ = rs["metadata"]
            self.c.remove("replicasets.apps", meta_["namespace"], meta_["name"], uid=meta_["uid"])

    def finish(self, new: Obj | None, *, rollout_step: bool = True) -> None:
        if rollout_step:
            status = rollout.rollout_status(self.deploy, self.sets, new, self.now)
        else:
            status = rollout.finish(
                rollout.calculate_status(self.deploy, self.sets, new, self.stamp)
            )
        self.deploy["status"] = status
