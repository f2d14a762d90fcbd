"""An Application's health from its resources (reference 5.5): which pairs count, when the
Application is Missing, child Applications, and the `Caused by` message."""

from __future__ import annotations

from typing import Any

from gitferry.health import aggregate, assess
from gitferry.health.status import Health, HealthStatus

Json = dict[str, Any]
OPT_IN = assess.HealthOptions(child_applications=True)


def pvc(name: str, phase: str, namespace: str = "shop", **annotations: str) -> Json:
    """A PVC whose phase picks its health: Bound, Pending, Lost, or "" for Unknown."""
    meta: Json = {"name": name, "namespace": namespace}
    if annotations:
        meta["annotations"] = annotations
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": meta,
        "status": {"phase": phase},
    }


def deployment(name: str, *, paused: bool = False) -> Json:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop", "generation": 1},
        "spec": {"replicas": 1, "paused": paused},
        "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1},
    }


def child_app(name: str, status: str | None, uid: str = "u-child") -> Json:
    obj: Json = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": "argocd", "uid": uid},
        "spec": {},
    }
    if status is not None:
        obj["status"] = {"health": {"status": status}}
    return obj


def hook(obj: Json, value: str = "PreSync", key: str = "argocd.argoproj.io/hook") -> Json:
    return {**obj, "metadata": {**obj["metadata"], "annotations": {key: value}}}


def config_map(name: str) -> Json:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}


def live(*objects: Json) -> list[tuple[Json | None, Json | None]]:
    """Pairs whose target is the live object (in sync)."""
    return [(obj, obj) for obj in objects]


def status_of(pairs: list[tuple[Json | None, Json | None]], **kwargs: Any) -> HealthStatus:
    return aggregate.application_health(pairs, **kwargs).health.status


def test_an_app_without_resources_is_healthy() -> None:
    assert aggregate.application_health([]).health == Health(HealthStatus.HEALTHY)


def test_the_worst_resource_decides_and_is_named() -> None:
    result = aggregate.application_health(live(pvc("a", "Bound"), pvc("b", "Lost")))
    assert result.health == Health(HealthStatus.DEGRADED, "Caused by PersistentVolumeClaim:shop/b")


def test_a_worse_resource_replaces_the_causes_and_equal_ones_join_them() -> None:
    pairs = live(pvc("a", "Pending"), pvc("b", "Lost"), pvc("c", "Pending"), pvc("d", "Lost"))
    assert aggregate.application_health(pairs).health.message == (
        "Caused by PersistentVolumeClaim:shop/b, PersistentVolumeClaim:shop/d"
    )


def test_healthy_resources_are_never_causes() -> None:
    assert aggregate.application_health(live(pvc("a", "Bound"))).health.message == ""


def test_causes_name_group_and_namespace_only_when_there_are_some() -> None:
    cluster_scoped = {**pvc("x", "Lost"), "metadata": {"name": "x"}}
    pairs = live(deployment("web", paused=True), cluster_scoped)
    # Suspended < Degraded: only the PVC is a cause; then check a Suspended-only app.
    assert aggregate.application_health(pairs).health.message == (
        "Caused by PersistentVolumeClaim:x"
    )
    assert aggregate.application_health(live(deployment("web", paused=True))).health == Health(
        HealthStatus.SUSPENDED, "Caused by apps/Deployment:shop/web"
    )


def test_more_than_three_causes_are_counted() -> None:
    pairs = live(*(pvc(name, "Pending") for name in "abcde"))
    assert aggregate.application_health(pairs).health.message == (
        "Caused by PersistentVolumeClaim:shop/a, PersistentVolumeClaim:shop/b, "
        "PersistentVolumeClaim:shop/c and 2 more"
    )


def test_skip_hooks_are_left_out_entirely() -> None:
    skipped = hook(pvc("a", "Lost"), "Skip")
    # A Skip target with nothing live would otherwise make the app Missing.
    assert status_of([(skipped, None)]) == HealthStatus.HEALTHY
    assert aggregate.application_health([(skipped, None)]).resources == (None,)


def test_live_hooks_are_left_out_and_do_not_make_the_app_live() -> None:
    failed_hook = hook(pvc("migrate", "Lost"))
    assert status_of(live(failed_hook, pvc("a", "Bound"))) == HealthStatus.HEALTHY
    # The only live object is a hook: every real resource is missing, so the app is Missing.
    assert status_of([(None, failed_hook), (pvc("a", "Bound"), None)]) == HealthStatus.MISSING


def test_helm_hooks_and_ignored_hooks_are_left_out() -> None:
    helm_hook = hook(pvc("h", "Lost"), "pre-install", key="helm.sh/hook")
    ignored = hook(pvc("g", "Lost"), "Garbage")
    assert status_of(live(helm_hook, ignored)) == HealthStatus.HEALTHY


def test_ignore_healthcheck_leaves_a_live_resource_out_but_keeps_the_app_live() -> None:
    quiet = pvc("a", "Lost", **{"argocd.argoproj.io/ignore-healthcheck": "true"})
    assert status_of(live(quiet)) == HealthStatus.HEALTHY
    assert status_of([(quiet, quiet), (pvc("b", "Bound"), None)]) == HealthStatus.HEALTHY
    not_true = pvc("c", "Lost", **{"argocd.argoproj.io/ignore-healthcheck": "yes"})
    assert status_of(live(not_true)) == HealthStatus.DEGRADED


def test_missing_resources_are_stored_but_do_not_count() -> None:
    result = aggregate.application_health([(pvc("a", "Bound"), None), *live(pvc("b", "Pending"))])
    assert result.health == Health(
        HealthStatus.PROGRESSING, "Caused by PersistentVolumeClaim:shop/b"
    )
    assert result.resources == (Health(HealthStatus.MISSING), Health(HealthStatus.PROGRESSING))


def test_the_app_is_missing_only_when_nothing_is_live() -> None:
    result = aggregate.application_health([(pvc("a", "Bound"), None), (pvc("b", "Bound"), None)])
    assert result.health == Health(HealthStatus.MISSING)


def test_missing_does_not_replace_a_worse_status() -> None:
    # An Unknown built-in would be worse than Missing, but with nothing live nothing is
    # aggregated: the app is Missing without causes.
    assert status_of([(deployment("web"), None)]) == HealthStatus.MISSING


def test_resources_without_a_health_check_are_left_out() -> None:
    result = aggregate.application_health(live(config_map("settings")))
    assert result.health == Health(HealthStatus.HEALTHY)
    assert result.resources == (None,)


def test_child_applications_have_no_health_by_default() -> None:
    assert status_of(live(child_app("payments", "Degraded"))) == HealthStatus.HEALTHY


def test_child_applications_propagate_with_the_opt_in_rule() -> None:
    result = aggregate.application_health(live(child_app("payments", "Degraded")), options=OPT_IN)
    assert result.health == Health(
        HealthStatus.DEGRADED, "Caused by argoproj.io/Application:argocd/payments"
    )


def test_child_applications_missing_or_unknown_do_not_count() -> None:
    children = live(child_app("a", "Missing"), child_app("b", "Unknown"), child_app("c", "Bogus"))
    result = aggregate.application_health(children, options=OPT_IN)
    assert result.health == Health(HealthStatus.HEALTHY)
    # Their health is still stored (the invalid one reads Unknown).
    assert [h.status if h else None for h in result.resources] == [
        HealthStatus.MISSING,
        HealthStatus.UNKNOWN,
        HealthStatus.UNKNOWN,
    ]


def test_the_application_itself_is_left_out() -> None:
    me = child_app("root", "Degraded", uid="u-root")
    parent = {**me, "status": {}}
    pairs = live(me, child_app("other", "Progressing"))
    result = aggregate.application_health(
        pairs, options=OPT_IN, is_self=lambda obj: aggregate.is_self_reference(parent, obj)
    )
    assert result.health.status == HealthStatus.PROGRESSING
    assert result.resources[0] is None


def test_self_reference_needs_the_same_uid_name_and_namespace() -> None:
    app = child_app("root", None, uid="u-root")
    assert aggregate.is_self_reference(app, child_app("root", "Healthy", uid="u-root"))
    assert not aggregate.is_self_reference(app, child_app("root", "Healthy", uid="u-other"))
    assert not aggregate.is_self_reference(
        app, {**pvc("root", "Bound"), "metadata": app["metadata"]}
    )


def test_the_first_check_error_is_reported() -> None:
    old = {**deployment("web"), "apiVersion": "apps/v1beta2"}
    older = {**deployment("api"), "apiVersion": "apps/v1beta1"}
    result = aggregate.application_health(live(old, older))
    assert result.health == Health(
        HealthStatus.UNKNOWN, "Caused by apps/Deployment:shop/web, apps/Deployment:shop/api"
    )
    assert result.error == (
        'failed to get resource health for "Deployment" with name "web" in namespace "shop": '
        "unsupported Deployment GVK: apps/v1beta2, Kind=Deployment"
    )


def test_order_of_pairs_is_kept_in_the_stored_healths() -> None:
    result = aggregate.application_health(
        [(None, pvc("a", "Bound")), (config_map("c"), None), (hook(pvc("h", "Lost"), "Skip"), None)]
    )
    assert result.resources == (Health(HealthStatus.HEALTHY), Health(HealthStatus.MISSING), None)
