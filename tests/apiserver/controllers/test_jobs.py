"""Jobs run pods to completion and report 1.31+ statuses; CronJobs create them on schedule."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.anyio

BEHAVIOR = "sim.gitferry.io/behavior"


async def test_a_job_completes(cluster: Any, build: Any) -> None:
    cluster.create(build.job())
    await cluster.settle()

    job = cluster.get("Job", "task")
    status = job["status"]
    assert [(c["type"], c["status"], c["reason"], c["message"]) for c in status["conditions"]] == [
        (
            "SuccessCriteriaMet",
            "True",
            "CompletionsReached",
            "Reached expected number of succeeded pods",
        ),
        ("Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods"),
    ]
    assert {k: v for k, v in status.items() if k != "conditions"} == {
        "startTime": status["startTime"],
        "completionTime": status["completionTime"],
        "ready": 0,
        "terminating": 0,
        "succeeded": 1,
        "uncountedTerminatedPods": {},
    }
    (pod,) = cluster.list("Pod")
    assert pod["status"]["phase"] == "Succeeded"
    assert pod["metadata"]["name"].startswith("task-")
    assert "finalizers" not in pod["metadata"], "the job-tracking finalizer was removed"


async def test_a_failing_job_reaches_its_backoff_limit(cluster: Any, build: Any) -> None:
    cluster.create(build.job(annotations={BEHAVIOR: "exit:1"}, backoffLimit=2))
    await cluster.settle()

    job = cluster.get("Job", "task")
    status = job["status"]
    assert status["failed"] == 3
    assert "succeeded" not in status
    message = "Job has reached the specified backoff limit"
    assert [(c["type"], c["reason"], c["message"]) for c in status["conditions"]] == [
        ("FailureTarget", "BackoffLimitExceeded", message),
        ("Failed", "BackoffLimitExceeded", message),
    ]
    pods = cluster.list("Pod")
    assert len(pods) == 3
    assert {p["status"]["phase"] for p in pods} == {"Failed"}
    terminated = pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (1, "Error")


async def test_pod_failures_back_off_on_the_clock(cluster_at: Any, build: Any) -> None:
    async with cluster_at(speed=1.0) as cluster:
        cluster.create(build.job(annotations={BEHAVIOR: "exit:1"}, backoffLimit=1))
        await cluster.advance(5)
        assert cluster.get("Job", "task")["status"]["failed"] == 1
        assert len(cluster.list("Pod")) == 1, "the replacement waits out the 10 s back-off"
        await cluster.advance(10)
        assert len(cluster.list("Pod")) == 2
        await cluster.advance(5)
        assert build.condition(cluster.get("Job", "task"), "Failed")["status"] == "True"


async def test_active_deadline_fails_the_job(cluster_at: Any, build: Any) -> None:
    async with cluster_at(speed=1.0) as cluster:
        cluster.create(
            build.job(annotations={"sim.gitferry.io/duration": "1h"}, activeDeadlineSeconds=30)
        )
        await cluster.advance(31)
        job = cluster.get("Job", "task")
        assert build.condition(job, "FailureTarget")["reason"] == "DeadlineExceeded"
        await cluster.advance(2)
        job = cluster.get("Job", "task")
        assert build.brief(build.condition(job, "Failed")) == (
            "True",
            "DeadlineExceeded",
            "Job was active longer than specified deadline",
        )
        assert job["status"]["failed"] == 1


async def test_parallel_indexed_job_reports_completed_indexes(cluster: Any, build: Any) -> None:
    cluster.create(build.job(completions=3, parallelism=3, completionMode="Indexed"))
    await cluster.settle()
    job = cluster.get("Job", "task")
    assert job["status"]["succeeded"] == 3
    assert job["status"]["completedIndexes"] == "0-2"
    names = sorted(p["metadata"]["name"].rsplit("-", 1)[0] for p in cluster.list("Pod"))
    assert names == ["task-0", "task-1", "task-2"]


async def test_ttl_after_finished_deletes_the_job_and_its_pods(cluster: Any, build: Any) -> None:
    cluster.create(build.job(ttlSecondsAfterFinished=60))
    await cluster.settle()
    assert cluster.get("Job", "task") is not None
    await cluster.advance(61)
    assert cluster.get("Job", "task") is None
    assert cluster.list("Pod") == []


def cronjob(schedule: str = "*/5 * * * *", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "hello", "namespace": "default"},
        "spec": {
            "schedule": schedule,
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "OnFailure",
                            "containers": [{"name": "hello", "image": "busybox"}],
                        }
                    }
                }
            },
            **spec,
        },
    }


async def test_cronjob_creates_jobs_named_by_scheduled_minute(cluster: Any) -> None:
    cluster.create(cronjob())
    await cluster.settle()
    assert cluster.get("CronJob", "hello")["status"] == {}

    await cluster.advance(5 * 60)
    (job,) = cluster.list("Job")
    scheduled = cluster.clock.now().replace(second=0, microsecond=0)
    assert job["metadata"]["name"] == f"hello-{int(scheduled.timestamp()) // 60}"
    assert job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == (
        "2026-01-01T00:05:00Z"
    )
    status = cluster.get("CronJob", "hello")["status"]
    assert status["lastScheduleTime"] == "2026-01-01T00:05:00Z"
    assert status["lastSuccessfulTime"] == job["status"]["completionTime"]
    assert "active" not in status


async def test_cronjob_keeps_its_history_limits(cluster: Any) -> None:
    cluster.create(cronjob(schedule="* * * * *"))
    await cluster.advance(6 * 60)
    jobs = cluster.list("Job")
    assert len(jobs) == 3, "successfulJobsHistoryLimit defaults to 3"
    status = cluster.get("CronJob", "hello")["status"]
    assert status["lastScheduleTime"] == "2026-01-01T00:06:00Z"


async def test_deleting_a_running_job_in_background_releases_its_pods(
    cluster_at: Any, build: Any
) -> None:
    async with cluster_at(speed=1.0) as cluster:
        cluster.create(build.job(annotations={"sim.gitferry.io/duration": "1h"}))
        await cluster.advance(3)
        (pod,) = cluster.list("Pod")
        assert pod["status"]["phase"] == "Running"
        assert pod["metadata"]["finalizers"] == ["batch.kubernetes.io/job-tracking"]
        cluster.delete("Job", "task", propagation="Background")
        await cluster.advance(2)
        assert cluster.list("Pod") == []


async def test_on_failure_pods_restart_in_place_until_the_limit(cluster: Any, build: Any) -> None:
    spec = build.job(annotations={BEHAVIOR: "exit:1"}, backoffLimit=2)
    spec["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    cluster.create(spec)
    await cluster.advance(5)
    job = cluster.get("Job", "task")
    assert build.condition(job, "Failed")["reason"] == "BackoffLimitExceeded"
    assert job["status"]["failed"] == 1
    assert cluster.list("Pod") == [], "the crash-looping pod was deleted"
