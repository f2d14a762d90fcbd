"""The Job controller (1.31+ behaviour): pods that run to completion, counted exactly once.

Pods (`<job>-xxxxx`, or `<job>-<index>-xxxxx` for Indexed jobs) carry the
`batch.kubernetes.io/job-tracking` finalizer; a finished pod is first listed in
`uncountedTerminatedPods`, its finalizer removed, then it moves to `succeeded` or `failed`.
Up to `parallelism` pods run; a failed pod is replaced after a back-off of 10 s doubling to
10 min. Enough successes give SuccessCriteriaMet then Complete (CompletionsReached);
`failed > backoffLimit` (or, with OnFailure, restarts reaching it) gives FailureTarget then
Failed (BackoffLimitExceeded); `activeDeadlineSeconds` gives DeadlineExceeded. The terminal
condition follows once no pod is left running. `ttlSecondsAfterFinished` deletes the Job
(Foreground) after it finished. Started by the controller manager.
"""

from __future__ import annotations

from typing import Any

from gitferry.apiserver.controllers import meta, replicasets, runtime
from gitferry.apiserver.store import Entry, Event
from gitferry.apiserver.writes import WriteOptions

Obj = dict[str, Any]
TRACKING = "batch.kubernetes.io/job-tracking"
INDEX = "batch.kubernetes.io/job-completion-index"
BACKOFF = (10.0, 600.0)
_SUCCESS = ("CompletionsReached", "Reached expected number of succeeded pods")
_FAILURES = {
    "BackoffLimitExceeded": "Job has reached the specified backoff limit",
    "DeadlineExceeded": "Job was active longer than specified deadline",
}


class Jobs(runtime.Controller):
    """Reconciles Jobs."""

    name = "job"
    component = "job-controller"

    def __init__(self, manager: runtime.Manager) -> None:
        super().__init__(manager)
        self._failed_at: dict[str, float] = {}  # job uid -> when the last failure was counted

    def start(self) -> None:
        for key in self.keys_of("jobs.batch"):
            self.queue(key)

    def watches(self) -> dict[str, runtime.Handler]:
        return {"jobs.batch": self._on_self, "pods": self._on_pod}

    def _on_self(self, event: Event) -> None:
        meta_ = event.entry.obj["metadata"]
        if event.type == "DELETED":
            self._failed_at.pop(meta_["uid"], None)
        self.queue((meta_["namespace"], meta_["name"]))

    def _on_pod(self, event: Event) -> None:
        pod = event.entry.obj
        namespace = pod["metadata"]["namespace"]
        for obj in (event.old, pod):
            ref = runtime.controller_ref(obj)
            if ref is None or ref.get("kind") != "Job":
                continue
            self.queue((namespace, ref["name"]))
            orphaned = self.manager.index.lookup(ref["uid"]) is None
            if (
                orphaned
                and event.type != "DELETED"
                and TRACKING in (pod["metadata"].get("finalizers") or ())
            ):
                self.queue(("pod", namespace, pod["metadata"]["name"]))

    def reconcile(self, key: Any) -> None:
        if len(key) == 3:
            entry = self.store.get("pods", key[1], key[2])
            if entry is not None:
                self._release(entry.obj)
            return
        entry = self.store.get("jobs.batch", *key)
        if entry is None:
            return
        if entry.obj["metadata"].get("deletionTimestamp"):
            for pod in self.owned(entry.obj["metadata"]["uid"], "pods"):
                self._release(pod.obj)
            return
        entry, status = self._count(entry)
        _Sync(self, entry, status).run()

    # -- counting finished pods ----------------------------------------------------------

    def _count(self, entry: Entry) -> tuple[Entry, Obj]:
        """List finished pods as uncounted (written), release them, then count them (in the
        returned status, written by the sync)."""
        job = entry.obj
        pods = {p.obj["metadata"]["uid"]: p.obj for p in self.owned(job["metadata"]["uid"], "pods")}
        status = meta.deep(job.get("status") or {})
        uncounted = status.setdefault("uncountedTerminatedPods", {})
        listed = set(uncounted.get("succeeded") or ()) | set(uncounted.get("failed") or ())
        finished = [
            pod
            for uid, pod in pods.items()
            if uid not in listed
            and meta.is_terminal(pod)
            and TRACKING in (pod["metadata"].get("finalizers") or ())
        ]
        if finished:
            for pod in finished:
                bucket = "succeeded" if pod["status"]["phase"] == "Succeeded" else "failed"
                uncounted.setdefault(bucket, []).append(pod["metadata"]["uid"])
            entry = self._write(entry, status)
            for pod in finished:
                self._release(pod)
        status = meta.deep(entry.obj.get("status") or {})
        uncounted = status.setdefault("uncountedTerminatedPods", {})
        indexes = _parse_indexes(status.get("completedIndexes", ""))
        for bucket in ("succeeded", "failed"):
            for uid in uncounted.pop(bucket, None) or ():
                status[bucket] = int(status.get(bucket) or 0) + 1
                counted = pods.get(uid)
                if bucket == "failed":
                    self._failed_at[job["metadata"]["uid"]] = self.manager.clock.monotonic()
                elif counted is not None and _index(counted) is not None:
                    indexes.add(_index(counted) or 0)
        if indexes:
            status["completedIndexes"] = _format_indexes(indexes)
        return entry, status

    def _release(self, pod: Obj) -> None:
        self.drop_finalizer("pods", pod, TRACKING)

    def _write(self, entry: Entry, status: Obj) -> Entry:
        meta.put_status(self.registry, self.rt("jobs.batch"), entry, status, self.manager_name)
        return self.registry.get(
            self.rt("jobs.batch"), entry.obj["metadata"]["namespace"], entry.obj["metadata"]["name"]
        )


class _Sync:
    """One sync of one Job after its finished pods were counted."""

    def __init__(self, controller: Jobs, entry: Entry, status: Obj) -> None:
        self.c = controller
        self.entry = entry
        self.job = entry.obj
        self.spec: Obj = self.job.get("spec") or {}
        self.status = status
        self.stamp = controller.registry.now()
        self.key = (self.job["metadata"]["namespace"], self.job["metadata"]["name"])
        pods = [p.obj for p in controller.owned(self.job["metadata"]["uid"], "pods")]
        self.active = [p for p in pods if meta.is_active(p)]
        self.terminating = [
            p for p in pods if p["metadata"].get("deletionTimestamp") and not meta.is_terminal(p)
        ]

    def run(self) -> None:
        if self.finished() is not None:
            self.ttl()
        elif self.spec.get("suspend"):
            self.suspend()
        else:
            self.resume()
            self.status.setdefault("startTime", self.stamp)
            failure = self.failure()
            if failure is not None:
                self.fail(failure)
            elif self.succeeded():
                self.complete()
            else:
                self.manage()
        self.write()

    def finished(self) -> str | None:
        for kind in ("Complete", "Failed"):
            found = meta.condition(self.status.get("conditions"), kind)
            if found is not None and found.get("status") == "True":
                return str(found.get("lastTransitionTime") or self.stamp)
        return None

    def set(self, kind: str, status: str, reason: str, message: str) -> None:
        current = meta.condition(self.status.get("conditions"), kind)
        if (
            current is not None
            and current.get("status") == status
            and current.get("reason") == reason
        ):
            return
        condition = {
            "type": kind,
            "status": status,
            "lastProbeTime": self.stamp,
            "lastTransitionTime": self.stamp,
            "reason": reason,
            "message": message,
        }
        self.status["conditions"] = [
            c for c in self.status.get("conditions") or () if c["type"] != kind
        ] + [condition]

    def suspend(self) -> None:
        self.delete(self.active)
        self.set("Suspended", "True", "JobSuspended", "Job suspended")
        self.status.pop("startTime", None)

    def resume(self) -> None:
        current = meta.condition(self.status.get("conditions"), "Suspended")
        if current is not None and current.get("status") == "True":
            self.set("Suspended", "False", "JobResumed", "Job resumed")
            self.status.pop("startTime", None)

    def failure(self) -> str | None:
        target = meta.condition(self.status.get("conditions"), "FailureTarget")
        if target is not None:
            return str(target.get("reason"))
        limit = int(self.spec.get("backoffLimit", 6))
        if int(self.status.get("failed") or 0) > limit:
            return "BackoffLimitExceeded"
        policy = ((self.spec.get("template") or {}).get("spec") or {}).get("restartPolicy")
        if policy == "OnFailure":
            restarts = sum(
                int(c.get("restartCount") or 0)
                for p in self.active
                for c in (p.get("status") or {}).get("containerStatuses") or ()
            )
            if restarts > 0 and restarts >= limit:
                return "BackoffLimitExceeded"
        deadline = self.spec.get("activeDeadlineSeconds")
        if deadline is not None:
            elapsed = meta.seconds_since(self.status.get("startTime"), self.c.manager.clock.now())
            if elapsed >= int(deadline):
                return "DeadlineExceeded"
            self.c.wake(self.key, int(deadline) - elapsed + 0.001)
        return None

    def fail(self, reason: str) -> None:
        message = _FAILURES.get(reason, reason)
        self.set("FailureTarget", "True", reason, message)
        self.delete(self.active)
        if not self.active and not self.terminating:
            self.set("Failed", "True", reason, message)
            self.c.event(self.job, "Warning", reason, message)

    def succeeded(self) -> bool:
        if meta.condition(self.status.get("conditions"), "SuccessCriteriaMet") is not None:
            return True
        done = int(self.status.get("succeeded") or 0)
        completions = self.spec.get("completions")
        if completions is None:
            return done > 0 and not self.active
        if self.spec.get("completionMode") == "Indexed":
            completed = _parse_indexes(self.status.get("completedIndexes", ""))
            return len(completed) >= int(completions)
        return done >= int(completions)

    def complete(self) -> None:
        self.set("SuccessCriteriaMet", "True", *_SUCCESS)
        self.delete(self.active)
        if not self.active and not self.terminating:
            self.set("Complete", "True", *_SUCCESS)
            self.status["completionTime"] = self.stamp
            self.c.event(self.job, "Normal", "Completed", "Job completed")

    def manage(self) -> None:
        parallelism = int(self.spec.get("parallelism", 1))
        completions = self.spec.get("completions")
        done = int(self.status.get("succeeded") or 0)
        indexed = self.spec.get("completionMode") == "Indexed" and completions is not None
        pending: list[int | None] = []
        if indexed and completions is not None:
            taken: set[int | None] = set(_parse_indexes(self.status.get("completedIndexes", "")))
            taken |= {_index(p) for p in self.active + self.terminating}
            pending = [i for i in range(int(completions)) if i not in taken]
            want = min(len(pending) + len(self.active), parallelism)
        elif completions is None:
            want = len(self.active) if done else parallelism
        else:
            want = min(int(completions) - done, parallelism)
        if len(self.active) > want:
            self.delete(self.active[want:])
            return
        missing = want - len(self.active)
        if missing <= 0:
            return
        failed = int(self.status.get("failed") or 0)
        last = self.c._failed_at.get(self.job["metadata"]["uid"])
        if failed and last is not None:
            delay = self.c.sim(min(BACKOFF[0] * 2 ** (failed - 1), BACKOFF[1]))
            left = last + delay - self.c.manager.clock.monotonic()
            if left > 0:
                self.c.wake(self.key, left)
                return
        for index in pending[:missing] if indexed else [None] * missing:
            self.create(index)

    def create(self, index: int | None) -> None:
        name = self.job["metadata"]["name"]
        prefix = f"{name}-" if index is None else f"{name}-{index}-"
        pod = replicasets.pod_from_template(
            self.spec.get("template") or {}, self.job, generate_name=prefix
        )
        pod["metadata"].setdefault("finalizers", []).append(TRACKING)
        if index is not None:
            pod["metadata"].setdefault("annotations", {})[INDEX] = str(index)
            pod["metadata"].setdefault("labels", {})[INDEX] = str(index)
            pod["spec"]["hostname"] = f"{name}-{index}"
            for container in pod["spec"].get("containers") or ():
                container.setdefault("env", []).append(
                    {
                        "name": "JOB_COMPLETION_INDEX",
                        "valueFrom": {
                            "fieldRef": {"fieldPath": f"metadata.annotations['{INDEX}']"}
                        },
                    }
                )
        created = self.c.registry.create(
            self.c.rt("pods"), self.key[0], pod, WriteOptions(manager=self.c.manager_name)
        ).obj
        self.active.append(created)
        self.c.event(
            self.job, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}"
        )

    def delete(self, pods: list[Obj]) -> None:
        for pod in list(pods):
            meta_ = pod["metadata"]
            if not self.c.remove("pods", meta_["namespace"], meta_["name"], uid=meta_["uid"]):
                continue
            self.active.remove(pod)
            self.terminating.append(pod)
            self.c.event(self.job, "Normal", "SuccessfulDelete", f"Deleted pod: {meta_['name']}")

    def ttl(self) -> None:
        ttl = self.spec.get("ttlSecondsAfterFinished")
        if ttl is None:
            return
        finished = self.finished() or self.stamp
        left = int(ttl) - meta.seconds_since(finished, self.c.manager.clock.now())
        if left > 0:
            self.c.wake(self.key, left + 0.001)
            return
        self.c.remove(
            "jobs.batch", *self.key, uid=self.job["metadata"]["uid"], propagation="Foreground"
        )

    def write(self) -> None:
        status = self.status
        finished = self.finished() is not None
        ready = sum(1 for p in self.active if meta.ready_since(p) is not None)
        ordered: Obj = {}
        for key in ("startTime", "completionTime"):
            if status.get(key):
                ordered[key] = status[key]
        if self.active and not finished:
            ordered["active"] = len(self.active)
        ordered["ready"] = 0 if finished else ready
        ordered["terminating"] = len(self.terminating)
        for key in ("succeeded", "failed"):
            if status.get(key):
                ordered[key] = status[key]
        ordered["uncountedTerminatedPods"] = {
            k: v for k, v in (status.get("uncountedTerminatedPods") or {}).items() if v
        }
        if status.get("completedIndexes"):
            ordered["completedIndexes"] = status["completedIndexes"]
        if status.get("conditions"):
            ordered["conditions"] = status["conditions"]
        meta.put_status(
            self.c.registry, self.c.rt("jobs.batch"), self.entry, ordered, self.c.manager_name
        )


def _index(pod: Obj) -> int | None:
    value = (pod["metadata"].get("annotations") or {}).get(INDEX)
    return int(value) if value is not None and str(value).isdigit() else None


def _parse_indexes(text: str) -> set[int]:
    found: set[int] = set()
    for part in filter(None, text.split(",")):
        low, _, high = part.partition("-")
        found.update(range(int(low), int(high or low) + 1))
    return found


def _format_indexes(indexes: set[int]) -> str:
    """`0-2,5`: sorted indexes with runs collapsed, as completedIndexes prints them."""
    runs: list[list[int]] = []
    for value in sorted(indexes):
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)
