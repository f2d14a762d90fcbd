"""Orphaned resources (reference 4.9): what counts, what never does, and the warning."""

from __future__ import annotations

from typing import Any

import pytest

from gitferry.diff.orphans import OrphanedResources, find_orphans, orphan_condition
from gitferry.model import keys
from gitferry.model.errors import InvalidSpecError
from gitferry.model.keys import ResourceKey, TrackingMethod


def obj(
    kind: str, name: str, namespace: str = "dest", api: str = "v1", **meta: Any
) -> dict[str, Any]:
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace, **meta},
    }


def tracked(app: str) -> dict[str, Any]:
    return {"annotations": {keys.TRACKING_ID_ANNOTATION: f"{app}:/ConfigMap:dest/x"}}


MANAGED = ResourceKey("", "ConfigMap", "dest", "managed")
# id -> (live object, orphaned with the default settings)
CASES = {
    "an untracked object in the destination namespace": (obj("ConfigMap", "stray"), True),
    "a managed resource": (obj("ConfigMap", "managed"), False),
    "another namespace": (obj("ConfigMap", "stray", "elsewhere"), False),
    "cluster-scoped": (obj("ClusterRole", "r", "", api="rbac.authorization.k8s.io/v1"), False),
    "owned by another object": (obj("Pod", "p", ownerReferences=[{"kind": "ReplicaSet"}]), False),
    "tracked by an app that exists": (obj("ConfigMap", "x", **tracked("other")), False),
    "tracked by an app that is gone": (obj("ConfigMap", "x", **tracked("gone")), True),
    "the default service account": (obj("ServiceAccount", "default"), False),
    "kube-root-ca.crt": (obj("ConfigMap", "kube-root-ca.crt"), False),
    "the kubernetes service outside default is reported": (obj("Service", "kubernetes"), True),
    "the kubernetes service in default": (obj("Service", "kubernetes", "default"), False),
    "a kind the project denies": (obj("Secret", "s"), False),
}


@pytest.mark.parametrize(("live", "orphaned"), CASES.values(), ids=CASES.keys())
def test_orphan_rules(live: dict[str, Any], orphaned: bool) -> None:
    namespace = live["metadata"]["namespace"] if live["kind"] == "Service" else "dest"
    found = find_orphans(
        [live],
        settings=OrphanedResources(),
        destination_namespace=namespace or "dest",
        managed={MANAGED},
        owner=lambda o: keys.owner_app(o, TrackingMethod.ANNOTATION),
        existing_apps={"this", "other"},
        is_permitted=lambda group, kind, name, namespaced: kind != "Secret",
    )
    assert bool(found) is orphaned


IGNORES = {
    "kind glob": ({"kind": "Config*"}, False),
    "empty kind and name match anything in the core group": ({}, False),
    "empty group is the core group only": ({"group": "", "kind": "ConfigMap"}, False),
    "group must match": ({"group": "apps", "kind": "ConfigMap"}, True),
    "name glob": ({"kind": "ConfigMap", "name": "str*"}, False),
    "other name": ({"kind": "ConfigMap", "name": "other"}, True),
}


@pytest.mark.parametrize(("entry", "orphaned"), IGNORES.values(), ids=IGNORES.keys())
def test_project_ignore_entries(entry: dict[str, str], orphaned: bool) -> None:
    settings = OrphanedResources.parse({"warn": True, "ignore": [entry]})
    assert settings is not None
    found = find_orphans(
        [obj("ConfigMap", "stray")],
        settings=settings,
        destination_namespace="dest",
        managed=(),
        owner=lambda o: "",
        existing_apps=(),
    )
    assert bool(found) is orphaned


def test_warning_only_when_asked() -> None:
    orphans = [ResourceKey("", "ConfigMap", "dest", "a"), ResourceKey("", "ConfigMap", "dest", "b")]
    warn = OrphanedResources.parse({"warn": True})
    quiet = OrphanedResources.parse({})
    assert warn is not None and quiet is not None
    condition = orphan_condition(orphans, warn)
    assert condition is not None
    assert (condition.type, condition.message) == (
        "OrphanedResourceWarning",
        "Application has 2 orphaned resources",
    )
    assert orphan_condition(orphans, quiet) is None
    assert orphan_condition([], warn) is None


def test_monitoring_is_off_without_the_setting() -> None:
    assert OrphanedResources.parse(None) is None
    with pytest.raises(InvalidSpecError):
        OrphanedResources.parse({"ignore": "ConfigMap"})


def test_orphans_are_sorted() -> None:
    found = find_orphans(
        [obj("Service", "b"), obj("ConfigMap", "a")],
        settings=OrphanedResources(),
        destination_namespace="dest",
        managed=(),
        owner=lambda o: "",
        existing_apps=(),
    )
    assert [str(k) for k in found] == ["/ConfigMap/dest/a", "/Service/dest/b"]
