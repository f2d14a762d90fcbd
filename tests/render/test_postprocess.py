"""The pure steps after rendering: namespace normalisation (1.10), de-duplication (1.9) and
tracking metadata (4.7)."""

from __future__ import annotations

from typing import Any

import pytest

from gitferry.render import normalize, tracking
from gitferry.render.tracking import TrackingMethod

TRACKING_ID = "argocd.argoproj.io/tracking-id"
INSTALLATION_ID = "argocd.argoproj.io/installation-id"
LABEL = "app.kubernetes.io/instance"


def obj(kind: str, name: str, namespace: str = "", api: str = "v1", **meta: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, **meta}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": api, "kind": kind, "metadata": metadata}


DEPLOY = obj("Deployment", "web", "prod", api="apps/v1")
CM = obj("ConfigMap", "cm")
ROLE = obj("ClusterRole", "admin-x", "ignored", api="rbac.authorization.k8s.io/v1")
CRD = obj("CustomResourceDefinition", "foos.x.io", api="apiextensions.k8s.io/v1")

# id -> (manifest after normalisation, method, instance, installation id, expected metadata)
TRACKING = {
    "annotation on a namespaced object": (
        DEPLOY,
        TrackingMethod.ANNOTATION,
        "my-app",
        "",
        {"annotations": {TRACKING_ID: "my-app:apps/Deployment:prod/web"}},
    ),
    "core group is empty": (
        obj("ConfigMap", "cm", "default"),
        TrackingMethod.ANNOTATION,
        "my-app",
        "",
        {"annotations": {TRACKING_ID: "my-app:/ConfigMap:default/cm"}},
    ),
    "cluster-scoped objects carry the destination namespace": (
        obj("ClusterRole", "admin-x", api="rbac.authorization.k8s.io/v1"),
        TrackingMethod.ANNOTATION,
        "my-app",
        "",
        {
            "annotations": {
                TRACKING_ID: "my-app:rbac.authorization.k8s.io/ClusterRole:default/admin-x"
            }
        },
    ),
    "label only": (
        DEPLOY,
        TrackingMethod.LABEL,
        "my-app",
        "id-1",
        {"labels": {LABEL: "my-app"}},
    ),
    "label is not truncated with the label method": (
        DEPLOY,
        TrackingMethod.LABEL,
        "a" * 70,
        "",
        {"labels": {LABEL: "a" * 70}},
    ),
    "annotation+label truncates the label to 63 and strips the end": (
        DEPLOY,
        TrackingMethod.ANNOTATION_AND_LABEL,
        "a" * 62 + "-b",
        "",
        {
            "annotations": {TRACKING_ID: f"{'a' * 62}-b:apps/Deployment:prod/web"},
            "labels": {LABEL: "a" * 62},
        },
    ),
    "installation id in annotation mode": (
        DEPLOY,
        TrackingMethod.ANNOTATION,
        "my-app",
        "id-1",
        {"annotations": {TRACKING_ID: "my-app:apps/Deployment:prod/web", INSTALLATION_ID: "id-1"}},
    ),
    "a stale installation id is removed without one": (
        obj("Deployment", "web", "prod", api="apps/v1", annotations={INSTALLATION_ID: "old"}),
        TrackingMethod.ANNOTATION,
        "my-app",
        "",
        {"annotations": {TRACKING_ID: "my-app:apps/Deployment:prod/web"}},
    ),
    "apps outside the control namespace are ns_name": (
        DEPLOY,
        TrackingMethod.ANNOTATION,
        "team_my-app",
        "",
        {"annotations": {TRACKING_ID: "team_my-app:apps/Deployment:prod/web"}},
    ),
}


@pytest.mark.parametrize(
    ("manifest", "method", "instance", "installation", "expected"),
    TRACKING.values(),
    ids=list(TRACKING),
)
def test_tracking_metadata(
    manifest: dict[str, Any],
    method: TrackingMethod,
    instance: str,
    installation: str,
    expected: dict[str, Any],
) -> None:
    [tracked] = tracking.add_tracking(
        [manifest],
        instance=instance,
        destination_namespace="default",
        method=method,
        installation_id=installation,
    )
    meta = tracked["metadata"]
    assert {k: v for k, v in meta.items() if k in ("annotations", "labels")} == expected
    assert manifest.get("metadata", {}).get("annotations", {}).get(TRACKING_ID) is None


def test_crds_get_no_tracking() -> None:
    [tracked] = tracking.add_tracking(
        [CRD], instance="a", destination_namespace="d", method=TrackingMethod.ANNOTATION_AND_LABEL
    )
    assert tracked == CRD


def test_unknown_tracking_methods_mean_annotation() -> None:
    assert TrackingMethod.parse("") is TrackingMethod.ANNOTATION
    assert TrackingMethod.parse("annotation+label") is TrackingMethod.ANNOTATION_AND_LABEL


PARSE = [
    ("my-app:apps/Deployment:prod/web", ("my-app", "apps", "Deployment", "prod", "web")),
    ("my-app:/ConfigMap:default/cm", ("my-app", "", "ConfigMap", "default", "cm")),
    ("my-app", None),
    ("my-app:apps/Deployment", None),
    ("a:b:c", None),
    ("a:g/k/x:ns/n", None),
]


@pytest.mark.parametrize(("value", "expected"), PARSE)
def test_parse_tracking_id(value: str, expected: tuple[str, ...] | None) -> None:
    parsed = tracking.parse_tracking_id(value)
    if expected is None:
        assert parsed is None
    else:
        assert parsed is not None
        assert (parsed.app, parsed.group, parsed.kind, parsed.namespace, parsed.name) == expected


# id -> (manifest, expected namespace after normalisation to "dest")
NAMESPACES = {
    "namespaced without namespace gets the destination's": (CM, "dest"),
    "namespaced with a namespace keeps it": (DEPLOY, "prod"),
    "cluster-scoped loses its namespace": (ROLE, None),
    "unknown kinds count as namespaced": (obj("Widget", "w", api="x.io/v1"), "dest"),
    "Namespace objects are cluster-scoped": (obj("Namespace", "n", "x"), None),
}


@pytest.mark.parametrize(("manifest", "expected"), NAMESPACES.values(), ids=list(NAMESPACES))
def test_namespace_normalisation(manifest: dict[str, Any], expected: str | None) -> None:
    [result] = normalize.normalize_namespaces([manifest], "dest", normalize.builtin_scope)
    assert result["metadata"].get("namespace") == expected


def test_discovery_decides_scope() -> None:
    def scope(group: str, kind: str) -> bool | None:
        return False if kind == "Widget" else None

    widget = obj("Widget", "w", "x", api="x.io/v1")
    [result] = normalize.normalize_namespaces([widget], "dest", scope)
    assert "namespace" not in result["metadata"]


def test_duplicates_keep_the_last_with_a_warning() -> None:
    first = {**obj("ConfigMap", "cm", "d"), "data": {"v": "1"}}
    second = {**obj("ConfigMap", "cm", "d"), "data": {"v": "2"}}
    other = obj("Secret", "s", "d")
    kept, warnings = normalize.deduplicate([first, other, second])
    assert kept == [other, second]
    assert [str(w) for w in warnings] == [
        "RepeatedResourceWarning: Resource /ConfigMap/d/cm appeared 2 times among "
        "application resources."
    ]


def test_generate_name_objects_are_never_duplicates() -> None:
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"generateName": "migrate-"}}
    kept, warnings = normalize.deduplicate([job, dict(job)])
    assert len(kept) == 2
    assert warnings == []
