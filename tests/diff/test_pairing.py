"""Pairing targets with live objects (reference 4.2): hooks split off, ignored objects dropped,
namespaces and scopes, de-duplication by UID, leftovers as extraneous."""

from __future__ import annotations

from typing import Any

import pytest

from gitferry.diff import pairing


def obj(
    kind: str,
    name: str,
    namespace: str = "",
    api: str = "v1",
    uid: str = "",
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if uid:
        meta["uid"] = uid
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": api, "kind": kind, "metadata": meta}


PRESYNC = {"argocd.argoproj.io/hook": "PreSync"}


SCOPES = {
    ("", "Namespace"): False,
    ("", "ConfigMap"): True,
    ("rbac.authorization.k8s.io", "ClusterRole"): False,
}


def scope(group: str, kind: str) -> bool | None:
    return SCOPES.get((group, kind))


def describe(result: pairing.Reconciliation) -> list[tuple[str | None, str | None]]:
    """(target key, live uid) per pair, for compact expectations."""
    return [
        (
            str(pairing.Pair(p.target, None).key) if p.target else None,
            (p.live or {}).get("metadata", {}).get("uid"),
        )
        for p in result.pairs
    ]


CM = obj("ConfigMap", "cm")
CM_LIVE = obj("ConfigMap", "cm", "dest", uid="u-cm")
ROLE = obj("ClusterRole", "admin", api="rbac.authorization.k8s.io/v1")
ROLE_LIVE = obj("ClusterRole", "admin", api="rbac.authorization.k8s.io/v1", uid="u-role")
CRD_KIND = obj("Widget", "w", api="x.io/v1")

# id -> (targets, live objects, expected (target key, live uid) pairs)
CASES: dict[str, tuple[list[Any], list[dict[str, Any]], list[tuple[str | None, str | None]]]] = {
    "a target without namespace matches in the destination namespace": (
        [CM],
        [CM_LIVE],
        [("/ConfigMap//cm", "u-cm")],
    ),
    "a target with its own namespace matches there only": (
        [obj("ConfigMap", "cm", "other")],
        [CM_LIVE],
        [("/ConfigMap/other/cm", None), (None, "u-cm")],
    ),
    "a cluster-scoped target matches the live object without namespace": (
        [ROLE],
        [ROLE_LIVE],
        [("rbac.authorization.k8s.io/ClusterRole//admin", "u-role")],
    ),
    "unknown scope: namespaced key found": (
        [CRD_KIND],
        [obj("Widget", "w", "dest", api="x.io/v1", uid="u-w")],
        [("x.io/Widget//w", "u-w")],
    ),
    "unknown scope: cluster key found too": (
        [CRD_KIND],
        [obj("Widget", "w", api="x.io/v1", uid="u-w")],
        [("x.io/Widget//w", "u-w")],
    ),
    "a live object is consumed by one target only": (
        [CM, obj("ConfigMap", "cm", "dest")],
        [CM_LIVE],
        [("/ConfigMap//cm", "u-cm"), ("/ConfigMap/dest/cm", None)],
    ),
    "missing live object": ([CM], [], [("/ConfigMap//cm", None)]),
    "leftover live objects are extraneous, in input order": (
        [],
        [obj("Secret", "b", "dest", uid="u-b"), obj("Secret", "a", "dest", uid="u-a")],
        [(None, "u-b"), (None, "u-a")],
    ),
    "hook targets are not paired; their live objects are extraneous": (
        [obj("Job", "migrate", api="batch/v1", annotations=PRESYNC)],
        [obj("Job", "migrate", "dest", api="batch/v1", uid="u-job")],
        [(None, "u-job")],
    ),
    "ignored targets are dropped": (
        [obj("Pod", "test", annotations={"helm.sh/hook": "test-success"})],
        [],
        [],
    ),
    "skip targets stay resources": (
        [obj("ConfigMap", "cm", annotations={"argocd.argoproj.io/hook": "Skip"})],
        [CM_LIVE],
        [("/ConfigMap//cm", "u-cm")],
    ),
    "None targets are skipped": ([None, CM], [CM_LIVE], [("/ConfigMap//cm", "u-cm")]),
    "same UID under two groups: the copy matching a target is kept": (
        [obj("Ingress", "web", "dest", api="networking.k8s.io/v1")],
        [
            obj("Ingress", "web", "dest", api="extensions/v1beta1", uid="u-ing"),
            obj("Ingress", "web", "dest", api="networking.k8s.io/v1", uid="u-ing"),
        ],
        [("networking.k8s.io/Ingress/dest/web", "u-ing")],
    ),
    "same UID and no matching target: one copy is kept": (
        [],
        [
            obj("Ingress", "web", "dest", api="extensions/v1beta1", uid="u-ing"),
            obj("Ingress", "web", "dest", api="networking.k8s.io/v1", uid="u-ing"),
        ],
        [(None, "u-ing")],
    ),
}


@pytest.mark.parametrize(("targets", "lives", "expected"), CASES.values(), ids=CASES.keys())
def test_reconcile_pairs_like_argo(
    targets: list[Any], lives: list[dict[str, Any]], expected: list[tuple[str | None, str | None]]
) -> None:
    result = pairing.reconcile(targets, lives, destination_namespace="dest", is_namespaced=scope)
    assert describe(result) == expected


def test_hooks_are_returned_apart() -> None:
    hook = obj("Job", "migrate", api="batch/v1", annotations=PRESYNC)
    result = pairing.reconcile([hook, CM], [], destination_namespace="dest", is_namespaced=scope)
    assert result.hooks == (hook,)
    assert [p.target for p in result.pairs] == [CM]


def test_cluster_scoped_kind_does_not_match_a_namespaced_live_object() -> None:
    namespaced_copy = obj(
        "ClusterRole", "admin", "dest", api="rbac.authorization.k8s.io/v1", uid="x"
    )
    result = pairing.reconcile(
        [ROLE], [namespaced_copy], destination_namespace="dest", is_namespaced=scope
    )
    assert describe(result) == [("rbac.authorization.k8s.io/ClusterRole//admin", None), (None, "x")]


def test_managed_keys_name_live_objects_first() -> None:
    result = pairing.reconcile([CM], [CM_LIVE], destination_namespace="dest", is_namespaced=scope)
    assert {str(k) for k in result.managed_keys()} == {"/ConfigMap/dest/cm"}
