"""The executor against a fake cluster: one step at a time, as the controller drives it, with
`operationState` persisted as JSON between steps. Messages are Argo CD's (reference 3.6-3.11)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from gitferry.health import assess
from gitferry.model.operation import OperationPhase, SyncOperation, SyncOperationResource

pytestmark = pytest.mark.anyio

OLD = "2025-12-31T00:00:00Z"  # before every operation in these tests
FINALIZER = "argocd.argoproj.io/hook-finalizer"


async def test_single_step_sync_succeeds_without_waiting_for_health(driver, k8s, fake_cluster):
    d = driver(
        [k8s.make("Deployment", "web"), k8s.make("Service", "web")],
        health={"web": ("Progressing", "Waiting for rollout")},
    )
    outcome = await d.step()
    assert outcome.state.phase is OperationPhase.SUCCEEDED
    assert outcome.state.message == "successfully synced (all tasks run)"
    assert outcome.state.finished_at is not None
    assert outcome.wave_delay == 0
    assert [(v, who) for v, who, _ in fake_cluster.calls] == [
        ("dry-run", "Service/web"),
        ("dry-run", "Deployment/web"),
        ("apply", "Service/web"),
        ("apply", "Deployment/web"),
    ]
    assert fake_cluster.calls[2][2]["server_side"] is True
    assert fake_cluster.calls[2][2]["field_manager"] == "argocd-controller"
    assert fake_cluster.calls[0][2]["server_side"] is False  # dry-runs never use SSA
    result = d.result("web")
    assert result["kind"] == "Service"
    assert result["namespace"] == "apps"
    assert result["status"] == "Synced"
    assert result["hookPhase"] == "Running"
    assert result["message"] == "service/web serverside-applied"
    assert "hookType" not in result


async def test_multi_wave_sync_waits_for_healthy_before_the_next_wave(driver, k8s, fake_cluster):
    d = driver(
        [
            k8s.make("ConfigMap", "settings"),
            k8s.waved(k8s.make("Deployment", "web"), 1),
            k8s.waved(k8s.make("Service", "front"), 2),
        ],
        health={"web": ("Progressing", "Waiting for rollout")},
    )
    first = await d.step()
    assert first.state.message == "waiting for healthy state of /ConfigMap/settings"
    assert first.wave_delay == 2.0
    second = await d.step()
    assert second.state.message == "waiting for healthy state of apps/Deployment/web"
    third = await d.step()
    assert third.state.phase is OperationPhase.RUNNING
    assert third.state.message == "waiting for healthy state of apps/Deployment/web"
    assert fake_cluster.verbs("front") == ["dry-run"]
    d.health["web"] = ("Healthy", "")
    last = await d.step()
    assert last.state.phase is OperationPhase.SUCCEEDED
    assert last.state.message == "successfully synced (all tasks run)"
    assert last.wave_delay == 0
    applied = [who for verb, who, _ in fake_cluster.calls if verb == "apply"]
    assert applied == ["ConfigMap/settings", "Deployment/web", "Service/front"]
    assert d.result("settings")["hookPhase"] == "Succeeded"


async def test_degraded_resource_in_a_non_final_wave_fails_and_runs_sync_fail_hooks(
    driver, k8s, fake_cluster
):
    d = driver(
        [
            k8s.make("Deployment", "web"),
            k8s.waved(k8s.make("Service", "front"), 1),
            k8s.hook("Job", "on-fail", "SyncFail"),
        ]
    )
    await d.step()
    d.health["web"] = ("Degraded", "Deployment exceeded its progress deadline")
    second = await d.step()
    assert second.state.phase is OperationPhase.RUNNING
    assert second.state.message == "waiting for completion of hook batch/Job/on-fail"
    last = await d.step()
    assert last.state.phase is OperationPhase.FAILED
    assert last.state.message == "one or more synchronization tasks completed unsuccessfully"
    assert d.result("web")["hookPhase"] == "Failed"
    assert d.result("web")["message"] == "Deployment exceeded its progress deadline"
    assert d.result("on-fail", "SyncFail")["hookType"] == "SyncFail"
    assert fake_cluster.verbs("front") == ["dry-run"]
    assert fake_cluster.find("Job", "on-fail")["metadata"]["finalizers"] == []


async def test_pre_sync_hook_failure_stops_the_sync(driver, k8s, fake_cluster):
    d = driver([k8s.hook("Job", "migrate", "PreSync", "HookFailed"), k8s.make("Deployment", "web")])
    first = await d.step()
    assert first.state.message == "waiting for completion of hook batch/Job/migrate"
    created = fake_cluster.find("Job", "migrate")
    assert created["metadata"]["finalizers"] == [FINALIZER]
    d.health["migrate"] = ("Degraded", "Job has reached the specified backoff limit")
    last = await d.step()
    assert last.state.phase is OperationPhase.FAILED
    assert last.state.message == "one or more synchronization tasks completed unsuccessfully"
    assert (
        d.result("migrate", "PreSync")["message"] == "Job has reached the specified backoff limit"
    )
    assert [str(r) for r in last.removed_finalizers] == ["batch/Job/apps/migrate"]
    assert [str(r) for r in last.deleted_hooks] == ["batch/Job/apps/migrate"]
    assert fake_cluster.find("Job", "migrate") is None
    assert fake_cluster.verbs("web") == ["dry-run"]


async def test_before_hook_creation_deletes_then_creates_on_the_next_step(
    driver, k8s, fake_cluster
):
    previous = k8s.hook("Job", "migrate", "PreSync")
    fake_cluster.seed(previous, namespace="apps", finalizers=[FINALIZER], creationTimestamp=OLD)
    d = driver([previous, k8s.make("Deployment", "web")])
    first = await d.step()
    assert first.state.phase is OperationPhase.RUNNING
    assert first.state.message == "waiting for deletion of hook batch/Job/migrate"
    assert fake_cluster.find("Job", "migrate") is None
    assert d.saved.get("syncResult", {}).get("resources") is None
    second = await d.step()
    assert second.state.message == "waiting for completion of hook batch/Job/migrate"
    assert fake_cluster.verbs("migrate") == [
        "dry-run",
        "unfinalize",
        "delete",
        "dry-run",
        "apply",
    ]
    assert fake_cluster.find("Job", "migrate")["metadata"]["creationTimestamp"] != OLD


async def test_hook_succeeded_hooks_are_deleted_when_the_sync_succeeds(driver, k8s, fake_cluster):
    d = driver(
        [k8s.make("Deployment", "web"), k8s.hook("Job", "smoke", "PostSync", "HookSucceeded")],
        health={"smoke": ("Healthy", "Job completed")},
    )
    assert (await d.step()).state.message == "waiting for healthy state of apps/Deployment/web"
    assert (await d.step()).state.message == "waiting for completion of hook batch/Job/smoke"
    last = await d.step()
    assert last.state.phase is OperationPhase.SUCCEEDED
    assert last.state.message == "successfully synced (no more tasks)"
    assert [str(r) for r in last.deleted_hooks] == ["batch/Job/apps/smoke"]
    assert fake_cluster.verbs("smoke")[-2:] == ["unfinalize", "delete"]
    assert fake_cluster.find("Job", "smoke") is None
    result = d.result("smoke", "PostSync")
    assert (result["hookType"], result["hookPhase"], result["message"]) == (
        "PostSync",
        "Succeeded",
        "Job completed",
    )


async def test_prune_confirm_waits_for_an_approval_newer_than_the_operation(
    driver, k8s, fake_cluster, clock
):
    fake_cluster.seed(
        k8s.make("ConfigMap", "old", "apps", {k8s.OPTIONS: "Prune=confirm"}),
    )
    d = driver([k8s.make("ConfigMap", "settings")], sync=SyncOperation(prune=True))
    first = await d.step()
    assert first.state.phase is OperationPhase.RUNNING
    assert first.state.message == "waiting for pruning confirmation of /ConfigMap/old"
    assert fake_cluster.find("ConfigMap", "old") is not None
    assert fake_cluster.verbs("settings") == ["dry-run"]
    d.deletion_approved = d.state.started_at - timedelta(hours=1)
    stale = await d.step()
    assert stale.state.message == "waiting for pruning confirmation of /ConfigMap/old"
    d.deletion_approved = clock.now()
    last = await d.step()
    assert last.state.message == "successfully synced (all tasks run)"
    assert fake_cluster.find("ConfigMap", "old") is None
    assert (d.result("old")["status"], d.result("old")["message"]) == ("Pruned", "pruned")


PRUNE_SKIPS = [
    # (operation prune, app options, resource sync-options, status, message)
    (False, (), None, "PruneSkipped", "ignored (requires pruning)"),
    (True, (), "Prune=false", "PruneSkipped", "ignored (no prune)"),
    (True, ("Prune=false",), None, "PruneSkipped", "ignored (no prune)"),
    (True, ("Prune=false",), "Prune=true", "Pruned", "pruned"),
    (True, (), None, "Pruned", "pruned"),
]


@pytest.mark.parametrize(("prune", "app", "resource", "status", "message"), PRUNE_SKIPS)
async def test_prune_results(driver, k8s, fake_cluster, prune, app, resource, status, message):
    options = {k8s.OPTIONS: resource} if resource else None
    fake_cluster.seed(k8s.make("ConfigMap", "old", "apps", options))
    d = driver([], sync=SyncOperation(prune=prune), sync_options=app)
    outcome = await d.step()
    assert outcome.state.message == "successfully synced (all tasks run)"
    assert (d.result("old")["status"], d.result("old")["message"]) == (status, message)
    assert d.result("old")["hookPhase"] == "Succeeded"
    assert (fake_cluster.find("ConfigMap", "old") is None) is (status == "Pruned")


async def test_prune_propagation_policy(driver, k8s, fake_cluster):
    fake_cluster.seed(k8s.make("ConfigMap", "old", "apps"))
    d = driver(
        [],
        sync=SyncOperation(prune=True),
        sync_options=("PrunePropagationPolicy=background",),
    )
    await d.step()
    assert fake_cluster.calls[-1][2] == {"propagation": "Background"}


async def test_selective_sync_applies_only_the_named_resources_and_no_hooks(
    driver, k8s, fake_cluster
):
    only_web = SyncOperationResource(kind="Deployment", name="web", group="apps")
    d = driver(
        [
            k8s.make("Deployment", "web"),
            k8s.make("Service", "front"),
            k8s.hook("Job", "migrate", "PreSync"),
        ],
        sync=SyncOperation(resources=(only_web,)),
    )
    outcome = await d.step()
    assert outcome.state.message == "successfully synced (all tasks run)"
    assert [who for _, who, _ in fake_cluster.calls] == ["Deployment/web", "Deployment/web"]
    assert [r["name"] for r in d.saved["syncResult"]["resources"]] == ["web"]


async def test_dry_run_operation_writes_nothing_and_reports_everything(driver, k8s, fake_cluster):
    fake_cluster.seed(k8s.make("ConfigMap", "old", "apps"))
    d = driver(
        [k8s.make("Deployment", "web"), k8s.hook("Job", "migrate", "PreSync")],
        sync=SyncOperation(prune=True, dry_run=True),
    )
    outcome = await d.step()
    assert outcome.state.phase is OperationPhase.SUCCEEDED
    assert outcome.state.message == "successfully synced (no more tasks)"
    assert set(fake_cluster.verbs()) == {"dry-run"}
    assert fake_cluster.find("ConfigMap", "old") is not None
    assert d.result("web")["message"] == "deployment.apps/web created (dry run)"
    assert d.result("web")["hookPhase"] == "Succeeded"
    assert (d.result("old")["status"], d.result("old")["message"]) == (
        "Pruned",
        "pruned (dry run)",
    )
    assert d.result("migrate", "PreSync")["hookPhase"] == "Succeeded"


async def test_terminate_deletes_running_hooks(driver, k8s, fake_cluster):
    d = driver(
        [k8s.hook("Job", "long", "Sync"), k8s.make("Deployment", "web")],
        health={"long": ("Progressing", "running")},
    )
    first = await d.step()
    assert (
        first.state.message == "waiting for completion of hook batch/Job/long and 1 more resources"
    )
    d.saved["phase"] = "Terminating"
    outcome = await d.step()
    assert outcome.state.phase is OperationPhase.FAILED
    assert outcome.state.message == "Operation terminated"
    assert outcome.state.finished_at is not None
    assert [str(r) for r in outcome.deleted_hooks] == ["batch/Job/apps/long"]
    assert fake_cluster.find("Job", "long") is None
    assert (d.result("long")["hookPhase"], d.result("long")["message"]) == (
        "Failed",
        "Terminated",
    )


async def test_terminate_reports_errors(driver, k8s, fake_cluster):
    d = driver([k8s.hook("Job", "long", "Sync")], health={"long": ("Progressing", "")})
    await d.step()
    d.saved["phase"] = "Terminating"
    fake_cluster.fail[("unfinalize", "long")] = 'Job.batch "long": update failed'
    outcome = await d.step()
    assert outcome.state.phase is OperationPhase.ERROR
    assert outcome.state.message == "Operation termination had errors"
    assert d.result("long")["hookPhase"] == "Error"
    assert "update failed" in d.result("long")["message"]


async def test_create_namespace_runs_before_the_dry_run(driver, k8s, fake_cluster):
    d = driver(
        [k8s.make("ConfigMap", "settings")],
        destination="fresh",
        sync_options=("CreateNamespace=true",),
        untracked={"apps", "fresh"},
    )
    first = await d.step()
    assert first.state.message == "waiting for healthy state of /Namespace/fresh"
    assert [(v, who) for v, who, _ in fake_cluster.calls] == [
        ("apply", "Namespace/fresh"),
        ("dry-run", "ConfigMap/settings"),
    ]
    assert d.result("fresh", "PreSync")["namespace"] == ""
    last = await d.step()
    assert last.state.message == "successfully synced (all tasks run)"
    assert d.result("settings")["namespace"] == "fresh"


async def test_dry_run_failure_fails_before_anything_is_applied(driver, k8s, fake_cluster):
    error = 'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1'
    fake_cluster.fail[("dry-run", "web")] = error
    d = driver([k8s.make("Service", "front"), k8s.make("Deployment", "web")])
    outcome = await d.step()
    assert outcome.state.phase is OperationPhase.FAILED
    assert outcome.state.message == "one or more objects failed to apply (dry run)"
    assert (d.result("web")["status"], d.result("web")["message"]) == ("SyncFailed", error)
    assert "apply" not in fake_cluster.verbs()


async def test_unknown_kinds_make_the_tasks_invalid(driver, k8s, fake_cluster):
    fake_cluster.unserved.add("Widget")
    d = driver([k8s.make("Widget", "w1")])
    outcome = await d.step()
    assert outcome.state.phase is OperationPhase.FAILED
    assert outcome.state.message == (
        'one or more synchronization tasks are not valid: Widget.example.com "" not found'
    )
    assert d.result("w1")["status"] == "SyncFailed"


def crd(k8s: Any) -> dict[str, Any]:
    obj = k8s.make("CustomResourceDefinition", "widgets.example.com")
    obj["spec"] = {"group": "example.com", "names": {"kind": "Widget", "plural": "widgets"}}
    return obj


async def test_a_crd_in_the_same_sync_lets_its_resources_skip_the_dry_run(
    driver, k8s, fake_cluster
):
    fake_cluster.unserved.add("Widget")
    d = driver([k8s.make("Widget", "w1"), crd(k8s)])
    outcome = await d.step()
    assert outcome.state.message == "successfully synced (all tasks run)"
    assert [(v, who) for v, who, _ in fake_cluster.calls] == [
        ("dry-run", "CustomResourceDefinition/widgets.example.com"),
        ("apply", "CustomResourceDefinition/widgets.example.com"),
        ("wait-established", "CRD/widgets.example.com"),
        ("apply", "Widget/w1"),
    ]


async def test_skip_dry_run_on_missing_resource_annotation(driver, k8s, fake_cluster):
    fake_cluster.unserved.add("Widget")
    widget = k8s.make("Widget", "w1", None, {k8s.OPTIONS: "SkipDryRunOnMissingResource=true"})
    d = driver([widget])
    assert (await d.step()).state.message == "successfully synced (all tasks run)"
    assert fake_cluster.verbs() == ["apply"]


async def test_a_project_refusal_makes_the_tasks_invalid(driver, k8s):
    d = driver([k8s.make("Deployment", "web")])
    d.permission = lambda obj: "resource apps:Deployment is not permitted in project default"
    outcome = await d.step()
    assert outcome.state.message == (
        "one or more synchronization tasks are not valid: "
        "resource apps:Deployment is not permitted in project default"
    )


async def test_a_running_resource_that_disappeared_fails_the_sync(driver, k8s, fake_cluster):
    d = driver(
        [k8s.make("Deployment", "web"), k8s.waved(k8s.make("Service", "front"), 1)],
        health={"web": ("Progressing", "")},
    )
    await d.step()
    fake_cluster.objects.pop(("apps", "Deployment", "apps", "web"))
    outcome = await d.step()
    missing = "Resource apps/Deployment/web is missing, it might have been deleted"
    assert outcome.state.phase is OperationPhase.FAILED
    assert outcome.state.message == (
        f"one or more synchronization tasks completed unsuccessfully, reason: {missing}"
    )
    assert (d.result("web")["status"], d.result("web")["hookPhase"]) == ("SyncFailed", "Error")


async def test_prunes_run_in_reverse_waves_and_wait_for_deletion(driver, k8s, fake_cluster):
    for name, wave in (("c1", 1), ("c2", 2), ("c3", 3)):
        obj = k8s.waved(k8s.make("ConfigMap", name, "apps"), wave)
        fake_cluster.seed(obj, finalizers=["example.com/keep"] if name == "c2" else [])
    d = driver([], sync=SyncOperation(prune=True))
    await d.step()
    assert fake_cluster.find("ConfigMap", "c3") is None
    await d.step()
    assert fake_cluster.find("ConfigMap", "c2")["metadata"].get("deletionTimestamp")
    waiting = await d.step()
    assert waiting.state.message == "waiting for deletion of /ConfigMap/c2"
    assert fake_cluster.find("ConfigMap", "c1") is not None
    fake_cluster.objects.pop(("", "ConfigMap", "apps", "c2"))
    last = await d.step()
    assert last.state.message == "successfully synced (all tasks run)"
    assert [r["name"] for r in d.saved["syncResult"]["resources"]] == ["c3", "c2", "c1"]


async def test_apply_out_of_sync_only_skips_unchanged_resources(driver, k8s, fake_cluster):
    fake_cluster.seed(k8s.make("Deployment", "web", "apps"))
    fake_cluster.seed(k8s.make("Service", "front", "apps"))
    d = driver(
        [k8s.make("Deployment", "web"), k8s.make("Service", "front")],
        sync_options=("ApplyOutOfSyncOnly=true",),
        out_of_sync=frozenset({"apps/Deployment/apps/web"}),
    )
    assert (await d.step()).state.message == "successfully synced (all tasks run)"
    assert fake_cluster.verbs("front") == []
    assert fake_cluster.verbs("web") == ["dry-run", "apply"]


async def test_apply_failure_fails_the_sync_with_the_reason(driver, k8s, fake_cluster):
    fake_cluster.fail[("apply", "web")] = "admission webhook denied the request"
    d = driver([k8s.make("Deployment", "web")])
    outcome = await d.step()
    assert outcome.state.phase is OperationPhase.FAILED
    assert outcome.state.message == (
        "one or more objects failed to apply, reason: admission webhook denied the request"
    )


async def test_sync_fail_hooks_all_run_even_when_one_of_them_fails(driver, k8s, fake_cluster):
    fake_cluster.fail[("apply", "web")] = "fake pod failure"
    fake_cluster.fail[("apply", "failed-sync-fail-hook")] = "fake hook failure"
    d = driver(
        [
            k8s.make("Deployment", "web"),
            k8s.hook("Job", "successful-sync-fail-hook", "SyncFail"),
            k8s.hook("Job", "failed-sync-fail-hook", "SyncFail"),
        ]
    )
    first = await d.step()
    assert first.state.phase is OperationPhase.RUNNING
    assert first.state.message == (
        "waiting for completion of hook batch/Job/failed-sync-fail-hook and 1 more hooks"
    )
    last = await d.step()
    assert last.state.phase is OperationPhase.FAILED
    assert last.state.message == (
        "one or more synchronization tasks completed unsuccessfully, reason: fake pod failure"
        "\none or more SyncFail hooks failed, reason: fake hook failure"
    )
    assert d.result("successful-sync-fail-hook", "SyncFail")["hookPhase"] == "Succeeded"


async def test_a_failed_step_waits_for_what_started_then_fails(driver, k8s, fake_cluster):
    fake_cluster.fail[("apply", "front")] = 'Service "front" is invalid: spec.ports: Required value'
    d = driver(
        [
            k8s.make("Deployment", "web"),
            k8s.make("Service", "front"),
            k8s.waved(k8s.make("ConfigMap", "later"), 1),
        ],
        health={"web": ("Progressing", "")},
    )
    first = await d.step()
    assert first.state.phase is OperationPhase.RUNNING
    assert first.state.message == "waiting for healthy state of apps/Deployment/web"
    assert first.wave_delay == 0
    d.health["web"] = ("Healthy", "")
    last = await d.step()
    assert last.state.phase is OperationPhase.FAILED
    assert last.state.message == (
        "one or more synchronization tasks completed unsuccessfully, "
        'reason: Service "front" is invalid: spec.ports: Required value'
    )
    assert fake_cluster.verbs("later") == ["dry-run"]


async def test_hooks_complete_on_gitferry_health(driver, k8s, fake_cluster):
    """The real health assessment plugs into the executor's seam."""
    d = driver([k8s.hook("Job", "migrate", "PreSync")], health_check=assess.assess)
    assert (await d.step()).state.message == "waiting for completion of hook batch/Job/migrate"
    assert (await d.step()).state.message == "waiting for completion of hook batch/Job/migrate"
    job = fake_cluster.find("Job", "migrate")
    job["status"] = {"conditions": [{"type": "Complete", "status": "True", "message": "done"}]}
    last = await d.step()
    assert last.state.message == "successfully synced (no more tasks)"
    assert d.result("migrate", "PreSync")["message"] == "done"
