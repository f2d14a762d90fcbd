"""Argo CD's built-in normalisation (reference 4.3) and tracking normalisation (4.3 step 1,
4.7), and that none of it mutates its input."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gitferry.diff import normalizers, tracking
from gitferry.model.keys import TrackingMethod

TRACKING = "argocd.argoproj.io/tracking-id"
LABEL = "app.kubernetes.io/instance"
RBAC = "rbac.authorization.k8s.io/v1"


def secret(**fields: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, **fields}


def role(kind: str = "Role", **fields: Any) -> dict[str, Any]:
    return {"apiVersion": RBAC, "kind": kind, "metadata": {"name": "r"}, **fields}


def endpoints(subsets: list[Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "e"}, "subsets": subsets}


def addr(ip: str, uid: str | None = None) -> dict[str, Any]:
    return {"ip": ip, **({"targetRef": {"uid": uid}} if uid is not None else {})}


# id -> (object, ignore aggregated roles, normalised object)
CASES: dict[str, tuple[dict[str, Any], bool, dict[str, Any]]] = {
    "creationTimestamp is removed": (
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "c", "creationTimestamp": None},
        },
        False,
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}},
    ),
    "secret stringData moves into data, base64": (
        secret(stringData={"user": "admin"}, data={"pass": "cGFzcw=="}),
        False,
        secret(data={"pass": "cGFzcw==", "user": "YWRtaW4="}),
    ),
    "secret stringData wins over data": (
        secret(stringData={"k": "new"}, data={"k": "b2xk"}),
        False,
        secret(data={"k": "bmV3"}),
    ),
    "secret stringData non-strings kept as they are": (
        secret(stringData={"n": 1}),
        False,
        secret(data={"n": 1}),
    ),
    "secret null data values become empty strings": (
        secret(data={"a": None, "b": ""}),
        False,
        secret(data={"a": "", "b": ""}),
    ),
    "secret in another group is left alone": (
        {
            "apiVersion": "x.io/v1",
            "kind": "Secret",
            "metadata": {"name": "s"},
            "stringData": {"a": "b"},
        },
        False,
        {
            "apiVersion": "x.io/v1",
            "kind": "Secret",
            "metadata": {"name": "s"},
            "stringData": {"a": "b"},
        },
    ),
    "role empty rules become null": (role(rules=[]), False, role(rules=None)),
    "clusterrole empty rules become null": (
        role("ClusterRole", rules=[]),
        False,
        role("ClusterRole", rules=None),
    ),
    "role rules kept": (role(rules=[{"verbs": ["get"]}]), False, role(rules=[{"verbs": ["get"]}])),
    "aggregated clusterrole rules kept by default": (
        role(
            "ClusterRole", aggregationRule={"clusterRoleSelectors": []}, rules=[{"verbs": ["get"]}]
        ),
        False,
        role(
            "ClusterRole", aggregationRule={"clusterRoleSelectors": []}, rules=[{"verbs": ["get"]}]
        ),
    ),
    "aggregated clusterrole rules ignored on request": (
        role(
            "ClusterRole", aggregationRule={"clusterRoleSelectors": []}, rules=[{"verbs": ["get"]}]
        ),
        True,
        role("ClusterRole", aggregationRule={"clusterRoleSelectors": []}, rules=None),
    ),
    "endpoints addresses sorted by ip then target uid": (
        endpoints(
            [
                {
                    "addresses": [
                        addr("10.0.0.2"),
                        addr("10.0.0.1", "b"),
                        addr("10.0.0.1", "a"),
                        addr("10.0.0.1"),
                    ]
                }
            ]
        ),
        False,
        endpoints(
            [
                {
                    "addresses": [
                        addr("10.0.0.1"),
                        addr("10.0.0.1", "a"),
                        addr("10.0.0.1", "b"),
                        addr("10.0.0.2"),
                    ]
                }
            ]
        ),
    ),
    "endpoints ports get TCP": (
        endpoints([{"ports": [{"port": 80}]}]),
        False,
        endpoints([{"ports": [{"port": 80, "protocol": "TCP"}]}]),
    ),
}


@pytest.mark.parametrize(("given", "aggregated", "expected"), CASES.values(), ids=CASES.keys())
def test_normalize_like_argo(
    given: dict[str, Any], aggregated: bool, expected: dict[str, Any]
) -> None:
    before = copy.deepcopy(given)
    assert normalizers.normalize(given, ignore_aggregated_roles=aggregated) == expected
    assert given == before


def test_endpoints_order_does_not_matter() -> None:
    one = endpoints(
        [
            {
                "addresses": [addr("10.0.0.1")],
                "ports": [{"port": 80, "protocol": "TCP"}, {"port": 443, "protocol": "TCP"}],
            },
            {"addresses": [addr("10.0.0.9")], "ports": [{"port": 53, "protocol": "UDP"}]},
        ]
    )
    other = endpoints(
        [
            {"ports": [{"port": 53, "protocol": "UDP"}], "addresses": [addr("10.0.0.9")]},
            {"ports": [{"port": 443}, {"port": 80}], "addresses": [addr("10.0.0.1")]},
        ]
    )
    assert normalizers.normalize(one) == normalizers.normalize(other)


def test_an_object_needing_nothing_is_returned_as_is() -> None:
    given = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {}}
    assert normalizers.normalize(given) is given


def tracked(annotation: str | None, label: str | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "cm", "namespace": "ns"}
    if annotation is not None:
        meta["annotations"] = {TRACKING: annotation}
    if label is not None:
        meta["labels"] = {LABEL: label, "team": "a"}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}


ID = "app:/ConfigMap:ns/cm"
# id -> (method, target, live, expected live)
TRACKING_CASES = {
    "label to annotation: the live object gets the annotation and loses the label": (
        TrackingMethod.ANNOTATION,
        tracked(ID, None),
        tracked(None, "app"),
        {
            **tracked(ID, None),
            "metadata": {**tracked(ID, None)["metadata"], "labels": {"team": "a"}},
        },
    ),
    "annotation+label keeps the label": (
        TrackingMethod.ANNOTATION_AND_LABEL,
        tracked(ID, "app"),
        tracked(None, "app"),
        tracked(ID, "app"),
    ),
    "the live annotation is overwritten with the target's": (
        TrackingMethod.ANNOTATION_AND_LABEL,
        tracked(ID, "app"),
        tracked("old:/ConfigMap:ns/cm", "app"),
        tracked(ID, "app"),
    ),
    "no instance label on live: nothing to do": (
        TrackingMethod.ANNOTATION,
        tracked(ID, None),
        tracked(None, None),
        tracked(None, None),
    ),
    "label method: nothing to do": (
        TrackingMethod.LABEL,
        tracked(None, "app"),
        tracked(None, "other"),
        tracked(None, "other"),
    ),
}


@pytest.mark.parametrize(
    ("method", "target", "live", "expected"), TRACKING_CASES.values(), ids=TRACKING_CASES.keys()
)
def test_tracking_method_changes_do_not_show_as_diffs(
    method: TrackingMethod, target: dict[str, Any], live: dict[str, Any], expected: dict[str, Any]
) -> None:
    before = copy.deepcopy(live)
    assert tracking.normalize_live(target, live, method) == expected
    assert live == before


def test_crds_are_never_tracking_normalised() -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "w.x.io", "labels": {LABEL: "app"}},
    }
    assert tracking.normalize_live(crd, crd, TrackingMethod.ANNOTATION) is crd


SELF_REF = {
    "no live object": (None, None, TrackingMethod.ANNOTATION, True),
    "label method always matches": (
        tracked("x:/Secret:ns/other", None),
        None,
        TrackingMethod.LABEL,
        True,
    ),
    "live annotation names the object": (tracked(ID, None), None, TrackingMethod.ANNOTATION, True),
    "live annotation copied from another object": (
        tracked("app:/ConfigMap:ns/other", None),
        None,
        TrackingMethod.ANNOTATION,
        False,
    ),
    "other namespace in the id": (
        tracked("app:/ConfigMap:elsewhere/cm", None),
        None,
        TrackingMethod.ANNOTATION,
        False,
    ),
    "unparseable id counts as matching": (
        tracked("garbage", None),
        None,
        TrackingMethod.ANNOTATION,
        True,
    ),
    "with a target, the target's identity is used": (
        tracked("app:/ConfigMap:ns/other", None),
        tracked(ID, None),
        TrackingMethod.ANNOTATION,
        True,
    ),
}


@pytest.mark.parametrize(
    ("live", "target", "method", "expected"), SELF_REF.values(), ids=SELF_REF.keys()
)
def test_self_reference(
    live: dict[str, Any] | None,
    target: dict[str, Any] | None,
    method: TrackingMethod,
    expected: bool,
) -> None:
    assert tracking.is_self_referencing(live, target, method) is expected


def test_cluster_scoped_live_object_matches_any_namespace_in_its_id() -> None:
    role_obj = {
        "apiVersion": RBAC,
        "kind": "ClusterRole",
        "metadata": {
            "name": "r",
            "annotations": {TRACKING: "app:rbac.authorization.k8s.io/ClusterRole:dest/r"},
        },
    }
    assert tracking.is_self_referencing(role_obj, None, TrackingMethod.ANNOTATION)
