"""Choosing the check for one object (reference 5.2): custom checks, the order of the steps,
errors, and that no object can make `assess` raise."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitferry.health import assess
from gitferry.health.status import Health, HealthStatus

Json = dict[str, Any]

BOUND_PVC: Json = {
    "apiVersion": "v1",
    "kind": "PersistentVolumeClaim",
    "metadata": {"name": "data", "namespace": "shop"},
    "status": {"phase": "Bound"},
}
DEGRADED = Health(HealthStatus.DEGRADED, "custom says no")


def custom(check: Any) -> assess.HealthOptions:
    return assess.HealthOptions(custom_checks={("", "PersistentVolumeClaim"): check})


def test_a_custom_check_replaces_the_built_in_one() -> None:
    assert assess.assess(BOUND_PVC, options=custom(lambda obj: DEGRADED)) == DEGRADED


def test_a_custom_check_that_returns_none_leaves_the_built_in_one() -> None:
    assert assess.assess(BOUND_PVC, options=custom(lambda obj: None)) == Health(
        HealthStatus.HEALTHY
    )


def test_a_custom_check_gives_health_to_kinds_without_one() -> None:
    options = assess.HealthOptions(custom_checks={("example.com", "Widget"): lambda obj: DEGRADED})
    widget = {"apiVersion": "example.com/v1alpha3", "kind": "Widget", "metadata": {"name": "w"}}
    assert assess.assess(widget, options=options) == DEGRADED
    assert assess.assess(widget) is None


def test_a_failing_custom_check_is_unknown_and_reports_its_error() -> None:
    def broken(obj: Json) -> Health:
        raise RuntimeError("attempt to index a nil value")

    result = assess.evaluate(BOUND_PVC, options=custom(broken))
    assert result.health == Health(HealthStatus.UNKNOWN, "attempt to index a nil value")
    assert str(result.error) == (
        "failed to get resource health for shop/data: attempt to index a nil value"
    )


def test_pending_deletion_comes_before_custom_checks() -> None:
    deleting = {**BOUND_PVC, "metadata": {"name": "data", "deletionTimestamp": "2026-01-01"}}
    assert assess.assess(deleting, options=custom(lambda obj: DEGRADED)) == Health(
        HealthStatus.PROGRESSING, "Pending deletion"
    )


def test_a_custom_check_wins_over_the_child_application_rule() -> None:
    app = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {}}
    options = assess.HealthOptions(
        child_applications=True,
        custom_checks={("argoproj.io", "Application"): lambda obj: DEGRADED},
    )
    assert assess.assess(app, options=options) == DEGRADED


def test_a_custom_check_wins_over_the_bundled_cronjob_rule() -> None:
    cron = {"apiVersion": "batch/v1", "kind": "CronJob", "spec": {"suspend": True}}
    options = assess.HealthOptions(custom_checks={("batch", "CronJob"): lambda obj: DEGRADED})
    assert assess.assess(cron, options=options) == DEGRADED


def test_built_in_errors_are_returned_with_the_unknown_health() -> None:
    result = assess.evaluate({**BOUND_PVC, "status": {"phase": 3}})
    assert result.health == Health(
        HealthStatus.UNKNOWN,
        "failed to convert unstructured PersistentVolumeClaim to typed: "
        "phase: expected a string, got int",
    )
    assert result.error is not None and str(result.error) == result.health.message


def test_a_healthy_object_has_no_error() -> None:
    assert assess.evaluate(BOUND_PVC) == (Health(HealthStatus.HEALTHY), None)


@pytest.mark.parametrize(
    ("api_version", "expected"),
    [
        ("v1", ("", "v1", "Pod")),
        ("apps/v1", ("apps", "v1", "Pod")),
        ("apps/", ("apps", "", "Pod")),
        ("", ("", "", "Pod")),
        ("a/b/c", ("", "", "")),  # does not parse: no group, version or kind at all
        (7, ("", "", "Pod")),
    ],
)
def test_group_version_kind(api_version: object, expected: tuple[str, str, str]) -> None:
    assert assess.group_version_kind({"apiVersion": api_version, "kind": "Pod"}) == expected


CHECKED_KINDS = [
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "ReplicaSet"),
    ("apps/v1", "DaemonSet"),
    ("v1", "Pod"),
    ("v1", "Service"),
    ("v1", "PersistentVolumeClaim"),
    ("networking.k8s.io/v1", "Ingress"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("autoscaling/v1", "HorizontalPodAutoscaler"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("apiregistration.k8s.io/v1", "APIService"),
    ("argoproj.io/v1alpha1", "Workflow"),
    ("argoproj.io/v1alpha1", "Application"),
]
FIELD_NAMES = st.sampled_from(
    [
        "metadata", "spec", "status", "annotations", "generation", "observedGeneration",
        "replicas", "updatedReplicas", "availableReplicas", "readyReplicas", "paused",
        "conditions", "type", "reason", "message", "phase", "containerStatuses",
        "initContainerStatuses", "state", "lastState", "waiting", "terminated", "exitCode",
        "restartPolicy", "updateStrategy", "rollingUpdate", "partition", "loadBalancer",
        "ingress", "health", "suspend", "active", "lastScheduleTime", "lastSuccessfulTime",
        "deletionTimestamp", "finalizers", "autoscaling.alpha.kubernetes.io/conditions",
        "desiredNumberScheduled", "updatedNumberScheduled", "numberAvailable", "name",
    ]
)  # fmt: skip
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
    | st.sampled_from(["True", "Running", "Always", "Never", "OnDelete", "RollingUpdate"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(FIELD_NAMES, inner, max_size=4),
    max_leaves=12,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(CHECKED_KINDS),
    body=st.dictionaries(FIELD_NAMES, VALUES, max_size=5),
    child_applications=st.booleans(),
)
def test_no_object_makes_assess_raise(
    kind: tuple[str, str], body: Json, child_applications: bool
) -> None:
    obj = {**body, "apiVersion": kind[0], "kind": kind[1]}
    options = assess.HealthOptions(child_applications=child_applications)
    health = assess.assess(obj, options=options)
    assert health is None or isinstance(health.status, HealthStatus)
