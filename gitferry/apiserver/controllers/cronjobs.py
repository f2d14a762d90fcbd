"""The CronJob controller: Jobs `<cronjob>-<scheduled unix minutes>` on a cron schedule.

At each scheduled time (croniter, in `spec.timeZone`, UTC by default; `@every <duration>` as
robfig/cron reads it) the controller creates the Job from `jobTemplate`, owned by the CronJob
and annotated with `batch.kubernetes.io/cronjob-scheduled-timestamp`, appends it to
`status.active` and sets `lastScheduleTime` to the scheduled (not the actual) time. Only the
most recent missed time runs; `startingDeadlineSeconds` skips runs that are too late;
`concurrencyPolicy` Forbid skips while a Job is active, Replace deletes it first. Finished
Jobs leave `active`, set `lastSuccessfulTime`, and the oldest beyond the history limits
(3 successful, 1 failed) are deleted. Schedules run on the clock, not scaled by the
simulation speed. Started by the controller manager.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from gitferry._kit.clock import parse_rfc3339, rfc3339
from gitferry.apiserver import errors
from gitferry.apiserver.controllers import meta, runtime
from gitferry.apiserver.store import Event
from gitferry.apiserver.writes import WriteOptions

log = logging.getLogger("gitferry.apiserver.controllers")
Obj = dict[str, Any]
SCHEDULED = "batch.kubernetes.io/cronjob-scheduled-timestamp"


class CronJobs(runtime.Controller):
    """Reconciles CronJobs."""

    name = "cronjob"
    component = "cronjob-controller"

    def start(self) -> None:
        for key in self.keys_of("cronjobs.batch"):
            self.queue(key)

    def watches(self) -> dict[str, runtime.Handler]:
        return {"cronjobs.batch": self._on_self, "jobs.batch": self._on_job}

    def _on_self(self, event: Event) -> None:
        meta_ = event.entry.obj["metadata"]
        self.queue((meta_["namespace"], meta_["name"]))

    def _on_job(self, event: Event) -> None:
        for obj in (event.old, event.entry.obj):
            ref = runtime.controller_ref(obj)
            if ref is not None and ref.get("kind") == "CronJob":
                self.queue((event.entry.obj["metadata"]["namespace"], ref["name"]))

    def reconcile(self, key: Any) -> None:
        entry = self.store.get("cronjobs.batch", *key)
        if entry is None:
            return
        cronjob = entry.obj
        status = meta.deep(cronjob.get("status") or {})
        jobs = sorted(
            (e.obj for e in self.owned(cronjob["metadata"]["uid"], "jobs.batch")), key=_started
        )
        self._track(cronjob, status, jobs)
        spec = cronjob.get("spec") or {}
        if not cronjob["metadata"].get("deletionTimestamp") and not spec.get("suspend"):
            self._schedule(cronjob, status, key)
            self._history(cronjob, jobs)
        if not status.get("active"):
            status.pop("active", None)
        meta.put_status(self.registry, self.rt("cronjobs.batch"), entry, status, self.manager_name)

    def _track(self, cronjob: Obj, status: Obj, jobs: list[Obj]) -> None:
        """Keep `active` to the running Jobs, and note the finished ones."""
        was_active = {ref.get("uid"): ref for ref in status.get("active") or ()}
        active = []
        for job in jobs:
            outcome = _outcome(job)
            if outcome is None:
                active.append(was_active.get(job["metadata"]["uid"]) or _reference(job))
                continue
            if job["metadata"]["uid"] in was_active:
                self.event(
                    cronjob,
                    "Normal",
                    "SawCompletedJob",
                    f"Saw completed job: {job['metadata']['name']}, condition: {outcome}",
                )
            done = (job.get("status") or {}).get("completionTime")
            if outcome == "Complete" and done and done > status.get("lastSuccessfulTime", ""):
                status["lastSuccessfulTime"] = done
        status["active"] = active

    def _schedule(self, cronjob: Obj, status: Obj, key: Any) -> None:
        spec = cronjob.get("spec") or {}
        now = self.manager.clock.now()
        try:
            zone = ZoneInfo(spec.get("timeZone") or "UTC")
            schedule = Schedule(str(spec.get("schedule", "")), zone)
        except (ValueError, KeyError, ZoneInfoNotFoundError) as err:
            log.warning("cronjob %s/%s: bad schedule: %s", *key, err)
            return
        since = parse_rfc3339(
            status.get("lastScheduleTime") or cronjob["metadata"]["creationTimestamp"]
        )
        latest = schedule.latest(now)
        if latest is not None and latest > since:
            deadline = spec.get("startingDeadlineSeconds")
            too_late = deadline is not None and (now - latest).total_seconds() > int(deadline)
            policy = spec.get("concurrencyPolicy", "Allow")
            if not too_late and not (policy == "Forbid" and status.get("active")):
                if policy == "Replace":
                    for ref in status.get("active") or ():
                        self._delete(cronjob, ref["name"])
                    status["active"] = []
                job = self._create(cronjob, latest.astimezone(zone))
                status["lastScheduleTime"] = rfc3339(latest)
                if job is not None:
                    status.setdefault("active", []).append(_reference(job))
        wait = (schedule.next(now) - now).total_seconds()
        self.wake(key, max(wait, 0.0))

    def _create(self, cronjob: Obj, scheduled: datetime) -> Obj | None:
        meta_ = cronjob["metadata"]
        template = (cronjob.get("spec") or {}).get("jobTemplate") or {}
        template_meta = template.get("metadata") or {}
        name = f"{meta_['name']}-{math.floor(scheduled.timestamp() / 60)}"
        annotations = dict(template_meta.get("annotations") or {})
        annotations[SCHEDULED] = scheduled.isoformat().replace("+00:00", "Z")
        job = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": name,
                "namespace": meta_["namespace"],
                "labels": dict(template_meta.get("labels") or {}),
                "annotations": annotations,
                "ownerReferences": [meta.owner_ref(cronjob)],
            },
            "spec": meta.deep(template.get("spec") or {}),
        }
        if not job["metadata"]["labels"]:
            del job["metadata"]["labels"]
        try:
            created = self.registry.create(
                self.rt("jobs.batch"),
                meta_["namespace"],
                job,
                WriteOptions(manager=self.manager_name),
            ).obj
        except errors.ApiError as err:
            if err.code == 409:
                return None
            self.event(cronjob, "Warning", "FailedCreate", f"Error creating job: {err.message}")
            raise
        self.event(cronjob, "Normal", "SuccessfulCreate", f"Created job {name}")
        return created

    def _history(self, cronjob: Obj, jobs: list[Obj]) -> None:
        spec = cronjob.get("spec") or {}
        limits = {
            "Complete": int(spec.get("successfulJobsHistoryLimit", 3)),
            "Failed": int(spec.get("failedJobsHistoryLimit", 1)),
        }
        for outcome, limit in limits.items():
            done = [
                j
                for j in jobs
                if _outcome(j) == outcome and not j["metadata"].get("deletionTimestamp")
            ]
            for job in done[: max(len(done) - limit, 0)]:
                self._delete(cronjob, job["metadata"]["name"])

    def _delete(self, cronjob: Obj, name: str) -> None:
        if not self.remove(
            "jobs.batch", cronjob["metadata"]["namespace"], name, propagation="Background"
        ):
            return
        self.event(cronjob, "Normal", "SuccessfulDelete", f"Deleted job {name}")


class Schedule:
    """A cron schedule in a time zone; also `@every <duration>`."""

    def __init__(self, text: str, zone: ZoneInfo) -> None:
        parts = text.split()
        if parts and parts[0].startswith(("TZ=", "CRON_TZ=")):
            zone = ZoneInfo(parts[0].split("=", 1)[1])
            parts = parts[1:]
        self.text = " ".join(parts)
        self.zone = zone
        self.every: float | None = None
        if self.text.startswith("@every "):
            self.every = meta.duration(self.text.removeprefix("@every ").strip())
            if self.every <= 0:
                raise ValueError(f"bad interval in {text!r}")
        elif not croniter.is_valid(self.text):
            raise ValueError(f"unparseable schedule {text!r}")

    def latest(self, now: datetime) -> datetime | None:
        """The most recent scheduled time at or before `now`."""
        if self.every is not None:
            epoch = now.timestamp()
            return datetime.fromtimestamp(epoch - epoch % self.every, now.tzinfo)
        start = (now + timedelta(seconds=1)).astimezone(self.zone)
        previous: datetime = croniter(self.text, start).get_prev(datetime)
        return previous

    def next(self, now: datetime) -> datetime:
        if self.every is not None:
            epoch = now.timestamp()
            return datetime.fromtimestamp(epoch - epoch % self.every + self.every, now.tzinfo)
        following: datetime = croniter(self.text, now.astimezone(self.zone)).get_next(datetime)
        return following


def _outcome(job: Obj) -> str | None:
    for condition in (job.get("status") or {}).get("conditions") or ():
        if condition.get("type") in ("Complete", "Failed") and condition.get("status") == "True":
            return str(condition["type"])
    return None


def _started(job: Obj) -> str:
    return str((job.get("status") or {}).get("startTime") or job["metadata"]["creationTimestamp"])


def _reference(job: Obj) -> Obj:
    meta_ = job["metadata"]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "name": meta_["name"],
        "namespace": meta_["namespace"],
        "resourceVersion": meta_.get("resourceVersion", ""),
        "uid": meta_["uid"],
    }
