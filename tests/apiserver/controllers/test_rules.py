"""The pure rules under the controllers: behaviour plans, rollout budgets, names, formats."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gitferry.apiserver.controllers import behaviour, cronjobs, jobs, meta, rollout
from gitferry.apiserver.controllers.behaviour import Plan


def pod(annotations: dict[str, str] | None = None, policy: str = "Always") -> dict[str, Any]:
    return {
        "metadata": {"name": "p", "namespace": "ns", "annotations": annotations or {}},
        "spec": {"restartPolicy": policy},
    }


PLANS = [
    ("plain long-running", {}, "Always", {}, Plan()),
    ("plain job pod", {}, "Never", {}, Plan(run_for=1.0)),
    ("duration", {"sim.gitferry.io/duration": "1m30s"}, "Never", {}, Plan(run_for=90.0)),
    (
        "sleep in the command",
        {},
        "OnFailure",
        {"command": ["sh", "-c", "sleep 5; echo done"]},
        Plan(run_for=5.0),
    ),
    (
        "shell exit",
        {},
        "Never",
        {"args": ["sh", "-c", "exit 3"]},
        Plan(run_for=1.0, exit_code=3, exit_reason="Error"),
    ),
    (
        "crashloop",
        {"sim.gitferry.io/behavior": "crashloop:exit=2:after=3s"},
        "Always",
        {},
        Plan(run_for=3.0, exit_code=2, exit_reason="Error"),
    ),
    (
        "oom",
        {"sim.gitferry.io/behavior": "oom"},
        "Always",
        {},
        Plan(run_for=1.0, exit_code=137, exit_reason="OOMKilled"),
    ),
    ("exit after", {"sim.gitferry.io/behavior": "exit:0:after=2s"}, "Never", {}, Plan(run_for=2.0)),
    (
        "combined",
        {"sim.gitferry.io/behavior": "slow-start:5s, never-ready"},
        "Always",
        {},
        Plan(slow_start=5.0, ready=False),
    ),
    (
        "pull error",
        {"sim.gitferry.io/behavior": "image-pull-error"},
        "Always",
        {},
        Plan(pull_error="ErrImagePull"),
    ),
    (
        "tag doesnotexist",
        {},
        "Always",
        {"image": "ghcr.io/x/y:doesnotexist"},
        Plan(pull_error="ErrImagePull"),
    ),
    ("invalid reference", {}, "Always", {"image": "Nginx:1"}, Plan(pull_error="InvalidImageName")),
    (
        "readiness delay",
        {},
        "Always",
        {"readinessProbe": {"initialDelaySeconds": 7}},
        Plan(ready_delay=7.0),
    ),
    ("unknown behaviour is ignored", {"sim.gitferry.io/behavior": "explode"}, "Always", {}, Plan()),
    (
        "per container",
        {"sim.gitferry.io/behavior.app": "never-ready"},
        "Always",
        {},
        Plan(ready=False),
    ),
]


@pytest.mark.parametrize(
    ("annotations", "policy", "container", "expected"),
    [case[1:] for case in PLANS],
    ids=[case[0] for case in PLANS],
)
def test_behaviour_plans(
    annotations: dict[str, str], policy: str, container: dict[str, Any], expected: Plan
) -> None:
    spec = {"name": "app", "image": "nginx:1.27", **container}
    assert behaviour.plan(pod(annotations, policy), spec, init=False) == expected


@pytest.mark.parametrize(
    ("image", "normalized"),
    [
        ("nginx", "docker.io/library/nginx:latest"),
        ("nginx:1.27", "docker.io/library/nginx:1.27"),
        ("bitnami/redis:7", "docker.io/bitnami/redis:7"),
        ("ghcr.io/org/app:v1", "ghcr.io/org/app:v1"),
        ("localhost:5000/app", "localhost:5000/app:latest"),
    ],
)
def test_image_references_are_normalized_like_containerd(image: str, normalized: str) -> None:
    assert behaviour.normalize(image) == normalized


# (replicas, maxSurge, maxUnavailable) -> (surge, unavailable)
BUDGETS = [
    ((3, "25%", "25%"), (1, 0)),
    ((4, "25%", "25%"), (1, 1)),
    ((10, "25%", "25%"), (3, 2)),
    ((3, 0, 0), (0, 1)),
    ((5, "50%", 2), (3, 2)),
]


@pytest.mark.parametrize(("given", "expected"), BUDGETS)
def test_surge_rounds_up_and_unavailable_rounds_down(
    given: tuple[int, Any, Any], expected: tuple[int, int]
) -> None:
    replicas, surge, unavailable = given
    deploy = {
        "spec": {
            "replicas": replicas,
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable},
            },
        }
    }
    assert rollout.surge_and_unavailable(deploy) == expected


def test_template_hashes_use_kube_alphabet_and_are_stable() -> None:
    template = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": []}}
    first = meta.template_hash(template)
    assert re.fullmatch(r"[4-9bcdf]{1,10}", first)
    assert meta.template_hash(meta.deep(template)) == first
    assert meta.template_hash(template, 1) != first


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(10, "10s"), (80, "1m20s"), (160, "2m40s"), (300, "5m0s"), (3600, "1h0m0s")],
)
def test_back_off_durations_print_like_go(seconds: int, text: str) -> None:
    assert meta.go_duration(seconds) == text


@pytest.mark.parametrize(
    ("indexes", "text"), [({0, 1, 2}, "0-2"), ({0, 2, 3, 5}, "0,2-3,5"), ({7}, "7")]
)
def test_completed_indexes_format(indexes: set[int], text: str) -> None:
    assert jobs._format_indexes(indexes) == text
    assert jobs._parse_indexes(text) == indexes


def test_deployment_condition_rules() -> None:
    status: dict[str, Any] = {"conditions": []}
    first = rollout.condition("Progressing", "True", "NewReplicaSetCreated", "m", "t1")
    rollout.set_condition(status, first)
    rollout.set_condition(status, rollout.condition("Available", "True", "A", "m", "t1"))
    rollout.set_condition(
        status, rollout.condition("Progressing", "True", "ReplicaSetUpdated", "m", "t2")
    )
    assert [c["type"] for c in status["conditions"]] == ["Available", "Progressing"]
    progressing = status["conditions"][1]
    assert (progressing["lastTransitionTime"], progressing["lastUpdateTime"]) == ("t1", "t2")


@pytest.mark.parametrize(
    ("schedule", "zone", "latest", "following"),
    [
        ("*/5 * * * *", "UTC", "2026-05-01T10:05:00+00:00", "2026-05-01T10:10:00+00:00"),
        ("0 12 * * *", "Europe/Paris", "2026-05-01T10:00:00+00:00", "2026-05-02T10:00:00+00:00"),
        (
            "CRON_TZ=America/New_York 0 6 * * *",
            "UTC",
            "2026-05-01T10:00:00+00:00",
            "2026-05-02T10:00:00+00:00",
        ),
        ("@every 90s", "UTC", "2026-05-01T10:06:00+00:00", "2026-05-01T10:07:30+00:00"),
    ],
)
def test_cron_schedules_in_time_zones(
    schedule: str, zone: str, latest: str, following: str
) -> None:
    now = datetime(2026, 5, 1, 10, 7, 0, tzinfo=UTC)
    parsed = cronjobs.Schedule(schedule, ZoneInfo(zone))
    found = parsed.latest(now)
    assert found is not None and found.astimezone(UTC).isoformat() == latest
    assert parsed.next(now).astimezone(UTC).isoformat() == following
