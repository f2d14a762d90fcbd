"""Argo CD's own health test inputs (`../shared/corpus/argocd-health-testdata`, read in place)
must get the health Argo CD's tests expect of them. The expectation is encoded in each file's
name; this table spells it out, one row per file. Skipped where the corpus is absent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gitferry._kit import yamlio
from gitferry.health import assess

H, P, D, S, U = "Healthy", "Progressing", "Degraded", "Suspended", "Unknown"
OPT_IN = assess.HealthOptions(child_applications=True)

# file -> (status by default, status with the child-Application rule on); None: no health.
EXPECTED: dict[str, tuple[str | None, str | None]] = {
    "apiservice-v1-false.yaml": (P, P),  # Available False is Progressing, never Degraded
    "apiservice-v1-true.yaml": (H, H),
    "apiservice-v1beta1-false.yaml": (P, P),
    "apiservice-v1beta1-true.yaml": (H, H),
    # Child Applications have no built-in health; the opt-in rule reads their status.health.
    "application-degraded.yaml": (None, D),
    "application-healthy.yaml": (None, H),
    # OnDelete is Healthy at once, although no pod reports as updated.
    "daemonset-ondelete.yaml": (H, H),
    "deployment-degraded.yaml": (D, D),
    "deployment-healthy-nginx.yaml": (H, H),
    # Named progressing: 2 replicas, 1 updated, so one old replica is pending termination.
    "deployment-progressing.yaml": (P, P),
    "deployment-suspended.yaml": (S, S),
    # Degraded only with HEAD's longer failure list (FailedGetObjectMetric) checked before
    # the healthy AbleToScale=True that comes first.
    "hpa-v1-degraded-failedgetobjectmetric.yaml": (D, D),
    # AbleToScale is "True" but its reason FailedGetScale is a failure: status is not read.
    "hpa-v1-degraded.yaml": (D, D),
    # "toofew": ScalingLimited True (TooFewReplicas) is a healthy condition, not a problem.
    "hpa-v1-healthy-toofew.yaml": (H, H),
    "hpa-v1-healthy.yaml": (H, H),
    "hpa-v1-progressing-with-no-annotations.yaml": (P, P),
    # The only condition is AbleToScale False with a reason that is not a failure.
    "hpa-v1-progressing.yaml": (P, P),
    "hpa-v2-degraded.yaml": (D, D),
    "hpa-v2-healthy.yaml": (H, H),
    "hpa-v2-progressing.yaml": (P, P),
    # An entry of `{}` counts as an address.
    "ingress-nonemptylist.yaml": (H, H),
    "ingress-unassigned.yaml": (P, P),
    "ingress.yaml": (H, H),
    "job-failed.yaml": (D, D),
    "job-running.yaml": (P, P),
    "job-succeeded.yaml": (H, H),
    "job-suspended.yaml": (S, S),
    # serving.knative.dev/Service is not the core Service: no built-in check.
    "knative-service.yaml": (None, None),
    "pod-crashloop.yaml": (D, D),
    # A Pending pod being deleted: "Pending deletion" comes first.
    "pod-deletion.yaml": (P, P),
    # Running, not ready, a container terminated before: Degraded.
    "pod-error.yaml": (D, D),
    "pod-failed.yaml": (D, D),
    # ImagePullBackOff on a long-running pod is Degraded even while Pending.
    "pod-imagepullbackoff.yaml": (D, D),
    "pod-pending.yaml": (P, P),
    "pod-running-not-ready.yaml": (P, P),
    "pod-running-restart-always.yaml": (H, H),
    # A PostSync hook: ignore-restart-policy does not apply to hooks, so Never -> Progressing.
    "pod-running-restart-never-hook-with-ignore-annotation.yaml": (P, P),
    # ignore-restart-policy makes this Never pod long-running: its back-off is Degraded...
    "pod-running-restart-never-with-ignore-annotation-backoff.yaml": (D, D),
    # ...and Running + Ready is Healthy instead of Progressing.
    "pod-running-restart-never-with-ignore-annotation.yaml": (H, H),
    # Ready, but a Never pod runs to completion: Progressing.
    "pod-running-restart-never.yaml": (P, P),
    # CrashLoopBackOff on an OnFailure pod is not Degraded: such pods may be hooks.
    "pod-running-restart-onfailure.yaml": (P, P),
    "pod-succeeded.yaml": (H, H),
    "pvc-bound.yaml": (H, H),
    "pvc-pending.yaml": (P, P),
    "statefulset-ondelete.yaml": (H, H),
    # Also an OnDelete set (its spec is that of statefulset-ondelete.yaml): Healthy.
    "statefulset.yaml": (H, H),
    "svc-clusterip.yaml": (H, H),
    "svc-loadbalancer-nonemptylist.yaml": (H, H),
    "svc-loadbalancer-unassigned.yaml": (P, P),
    "svc-loadbalancer.yaml": (H, H),
}


@pytest.fixture(scope="module")
def testdata(corpus: Path) -> Path:
    folder = corpus / "argocd-health-testdata"
    if not folder.is_dir():
        pytest.skip(f"{folder} is not present")
    return folder


def status_of(obj: dict[str, Any], options: assess.HealthOptions | None = None) -> str | None:
    health = assess.assess(obj, options=options)
    return None if health is None else health.status.value


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_argocd_test_input_gets_argocd_health(testdata: Path, name: str) -> None:
    [obj] = yamlio.load_documents(testdata / name)
    default, opted_in = EXPECTED[name]
    assert status_of(obj) == default
    assert status_of(obj, OPT_IN) == opted_in


def test_the_table_covers_every_corpus_file(testdata: Path) -> None:
    assert {path.name for path in testdata.glob("*.yaml")} == set(EXPECTED)
