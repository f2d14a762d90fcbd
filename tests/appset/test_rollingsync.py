"""RollingSync planning: steps, per-Application status transitions, step gating and maxUpdate
(reference section 5.7)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gitferry.appset import rollingsync
from gitferry.appset.rollingsync import HEALTHY, PENDING, PROGRESSING, WAITING

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
STAMP = "2026-01-02T03:04:05Z"
EARLIER = "2026-01-02T03:00:00Z"
LATER = "2026-01-02T03:02:00Z"

STEPS = [
    {"matchExpressions": [{"key": "env", "operator": "In", "values": ["dev"]}]},
    {"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod"]}], "maxUpdate": 1},
]


def app(
    name: str,
    env: str | None = None,
    *,
    health: str = "Healthy",
    sync: str = "Synced",
    phase: str = "",
    started: str = "",
    revision: str = "r1",
) -> dict[str, Any]:
    labels = {"env": env} if env else {}
    status: dict[str, Any] = {
        "health": {"status": health},
        "sync": {"status": sync, "revision": revision},
    }
    if phase:
        status["operationState"] = {"phase": phase, "startedAt": started or LATER}
    return {"metadata": {"name": name, "labels": labels}, "status": status}


def entry(name: str, status: str, step: str = "1", since: str = EARLIER) -> dict[str, Any]:
    return {
        "application": name,
        "status": status,
        "step": step,
        "message": "",
        "lastTransitionTime": since,
        "targetRevisions": ["r1"],
    }


def plan(apps: list[dict], previous: list[dict], steps: list[dict] | None = None) -> Any:
    return rollingsync.plan(steps or STEPS, apps, apps, previous, NOW)


@pytest.mark.parametrize(
    ("expressions", "labels", "selected"),
    [
        ([{"key": "env", "operator": "In", "values": ["dev", "qa"]}], {"env": "qa"}, True),
        ([{"key": "env", "operator": "In", "values": ["dev"]}], {}, False),
        ([{"key": "env", "operator": "NotIn", "values": ["dev"]}], {}, True),
        ([{"key": "env", "operator": "NotIn", "values": ["dev"]}], {"env": "dev"}, False),
        ([{"key": "env", "operator": "Exists"}], {"env": "dev"}, False),
        (
            [
                {"key": "env", "operator": "In", "values": ["dev"]},
                {"key": "tier", "operator": "NotIn", "values": ["db"]},
            ],
            {"env": "dev", "tier": "db"},
            False,
        ),
    ],
)
def test_step_selection(expressions: list, labels: dict, selected: bool) -> None:
    target = {"metadata": {"name": "a", "labels": labels}}
    rollout = rollingsync.plan([{"matchExpressions": expressions}], [target], [], [], NOW)
    assert (rollout.steps.get("a") == 0) is selected


def test_an_application_in_several_steps_belongs_to_the_first() -> None:
    steps = [{"matchExpressions": []}, {"matchExpressions": []}]
    rollout = plan([app("a")], [], steps)
    assert rollout.steps == {"a": 0}
    assert "selected by steps 1 and 2" in rollout.warnings[0]


TRANSITIONS = {
    # step 1 is always enabled, so a Waiting application there moves on to Pending at once
    "new application waits, then is pending": (
        app("d", "dev", health="Missing", sync="OutOfSync"),
        None,
        PENDING,
    ),
    "new but already healthy": (app("d", "dev"), None, HEALTHY),
    "out of sync goes back to waiting, then pending": (
        app("d", "dev", sync="OutOfSync", health="Progressing"),
        entry("d", HEALTHY),
        PENDING,
    ),
    "pending: sync started after the transition succeeded": (
        app("d", "dev", health="Progressing", phase="Succeeded", started=LATER),
        entry("d", PENDING),
        PROGRESSING,
    ),
    "pending: an older successful sync does not count": (
        app("d", "dev", health="Missing", phase="Succeeded", started="2026-01-01T00:00:00Z"),
        entry("d", PENDING),
        PENDING,
    ),
    "pending: running operation": (
        app("d", "dev", health="Missing", phase="Running"),
        entry("d", PENDING),
        PROGRESSING,
    ),
    "pending: degraded counts as started": (
        app("d", "dev", health="Degraded", sync="Synced"),
        entry("d", PENDING),
        PROGRESSING,
    ),
    "pending then healthy in one pass": (
        app("d", "dev", phase="Succeeded", started=LATER),
        entry("d", PENDING),
        HEALTHY,
    ),
    "progressing stays until healthy": (
        app("d", "dev", health="Progressing"),
        entry("d", PROGRESSING),
        PROGRESSING,
    ),
    "progressing becomes healthy": (app("d", "dev"), entry("d", PROGRESSING), HEALTHY),
}


@pytest.mark.parametrize("case", TRANSITIONS)
def test_status_transitions(case: str) -> None:
    current, previous, expected = TRANSITIONS[case]
    rollout = plan([current], [previous] if previous else [])
    assert rollout.status_of("d") == expected
    assert rollout.statuses[0]["step"] == "1"


def test_new_status_entry_shape() -> None:
    rollout = plan([app("d", "dev", health="Missing", sync="OutOfSync")], [])
    assert rollout.statuses == [
        {
            "application": "d",
            "targetRevisions": ["r1"],
            "status": PENDING,
            "message": (
                "Application moved to Pending status, watching for the Application resource "
                "to start Progressing."
            ),
            "step": "1",
            "lastTransitionTime": STAMP,
        }
    ]


def test_later_steps_wait_until_every_earlier_application_is_healthy() -> None:
    apps = [
        app("d1", "dev"),
        app("d2", "dev", health="Progressing", sync="OutOfSync"),
        app("p1", "prod", sync="OutOfSync"),
    ]
    previous = [entry("d1", HEALTHY), entry("d2", WAITING), entry("p1", WAITING, "2")]
    rollout = plan(apps, previous)
    assert rollout.sync == {"d1", "d2"}
    assert rollout.status_of("d2") == PENDING
    assert rollout.status_of("p1") == WAITING


def test_next_step_starts_when_the_previous_one_is_healthy() -> None:
    apps = [app("d1", "dev"), app("p1", "prod", sync="OutOfSync")]
    rollout = plan(apps, [entry("d1", HEALTHY), entry("p1", WAITING, "2")])
    assert rollout.sync == {"d1", "p1"}
    assert rollout.status_of("p1") == PENDING


def test_an_application_missing_from_the_cluster_blocks_later_steps() -> None:
    desired = [app("d1", "dev"), app("p1", "prod", sync="OutOfSync")]
    current = [desired[1]]
    rollout = rollingsync.plan(STEPS, desired, current, [entry("p1", WAITING, "2")], NOW)
    assert rollout.sync == {"d1"}
    assert rollout.status_of("p1") == WAITING


@pytest.mark.parametrize(
    ("max_update", "pending"),
    [(None, 4), (1, 1), (2, 2), (0, 0), ("50%", 2), ("10%", 1), ("0%", 0), ("bogus", 1)],
)
def test_max_update_caps_pending_and_progressing(max_update: Any, pending: int) -> None:
    step: dict[str, Any] = {"matchExpressions": []}
    if max_update is not None:
        step["maxUpdate"] = max_update
    apps = [app(f"a{i}", sync="OutOfSync", health="Missing") for i in range(4)]
    rollout = plan(apps, [entry(f"a{i}", WAITING) for i in range(4)], [step])
    assert sum(s["status"] == PENDING for s in rollout.statuses) == pending


def test_progressing_applications_count_against_max_update() -> None:
    apps = [app("p1", "prod", health="Progressing"), app("p2", "prod", sync="OutOfSync")]
    previous = [entry("p1", PROGRESSING, "2"), entry("p2", WAITING, "2")]
    rollout = plan([app("d", "dev"), *apps], [entry("d", HEALTHY), *previous])
    assert rollout.status_of("p2") == WAITING


def test_applications_in_no_step_are_never_synced() -> None:
    rollout = plan([app("x", "other", sync="OutOfSync", health="Missing")], [])
    assert rollout.status_of("x") == WAITING and rollout.statuses[0]["step"] == "0"
    assert "x" not in rollout.sync


def test_prepare_removes_automated_and_sets_an_operation_for_pending_applications() -> None:
    generated = [
        {"metadata": {"name": "d"}, "spec": {"syncPolicy": {"automated": {"prune": True}}}},
        {
            "metadata": {"name": "p"},
            "spec": {"syncPolicy": {"automated": {}, "syncOptions": ["A"]}},
        },
    ]
    rollout = rollingsync.RolloutPlan(
        steps={"d": 0, "p": 1},
        sync=frozenset({"d"}),
        statuses=[entry("d", PENDING), entry("p", WAITING, "2")],
    )
    prepared = rollingsync.prepare(generated, rollout)
    assert prepared[0]["spec"]["syncPolicy"] == {}
    assert prepared[0]["operation"] == {
        "initiatedBy": {"username": "applicationset-controller", "automated": True},
        "info": [{"name": "Reason", "value": rollingsync.SYNC_REASON}],
        "sync": {"prune": True},
    }
    assert prepared[1]["spec"]["syncPolicy"] == {"syncOptions": ["A"]}
    assert "operation" not in prepared[1]
    assert "automated" in generated[0]["spec"]["syncPolicy"]  # inputs are not changed


def test_steps_and_strategy_from_the_applicationset() -> None:
    appset = {"spec": {"strategy": {"type": "RollingSync", "rollingSync": {"steps": STEPS}}}}
    assert rollingsync.enabled(appset) and rollingsync.steps_of(appset) == STEPS
    assert not rollingsync.enabled({"spec": {}}) and rollingsync.steps_of({"spec": {}}) == []
