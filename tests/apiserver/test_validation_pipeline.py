"""The whole write pipeline (defaulting, dropping unknown fields, validation) on real and
random objects: the argocd example apps and objects stored by real clusters pass, small
ConfigMap writes are cheap, and malformed objects never crash it.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gitferry.apiserver import decode, defaults, errors, validation
from tests.apiserver.validation_objects import (
    CATALOG,
    bound_claim,
    changed,
    config_map,
    cron_job,
    deployment,
    job,
    kind,
    meta,
    prepared,
    resource_of,
    running_pod,
    sts,
    svc,
)


def _documents(folder: Path) -> list[dict[str, Any]]:
    docs = []
    for path in sorted(folder.rglob("*.yaml")):
        if path.name in ("kustomization.yaml", "Chart.yaml") or "templates" in path.parts:
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and "kind" in doc and "apiVersion" in doc:
                kinds = {(r.group, r.kind) for r in CATALOG.all()}
                if (doc["apiVersion"].rpartition("/")[0], doc["kind"]) in kinds:
                    docs.append(doc)
    return docs


@pytest.mark.parametrize(
    "app", ["guestbook", "sock-shop", "pre-post-sync", "helm-hooks", "sync-waves"]
)
def test_example_app_manifests_are_valid(corpus: Path, app: str) -> None:
    docs = _documents(corpus / "argocd-example-apps" / app)
    assert docs
    for doc in docs:
        obj = prepared(doc)
        assert validation.problems(resource_of(obj), obj, None) == [], obj["metadata"]
        assert decode.drop_unknown_fields(resource_of(obj).type, copy.deepcopy(doc)) == []


def _has_untyped_ingress_path(doc: dict[str, Any]) -> bool:
    rules = doc.get("spec", {}).get("rules") or []
    paths = [p for r in rules for p in (r.get("http") or {}).get("paths") or []]
    return any("pathType" not in p for p in paths)


def test_objects_stored_by_real_clusters_are_valid(corpus: Path) -> None:
    """Live objects (from 2018-era clusters) pass as a no-op update, and as a create.

    Their Ingresses predate networking.k8s.io/v1, which made `pathType` required; those are
    left out. A stored Job is no valid create body (its selector names its old uid), so Jobs
    are checked as updates only.
    """
    docs = [d for d in _documents(corpus / "argocd-health-testdata")
            if not _has_untyped_ingress_path(d)]  # fmt: skip
    assert len(docs) > 20
    for doc in docs:
        obj = prepared(doc)
        if obj["kind"] != "Job":
            assert validation.problems(resource_of(obj), obj, None) == [], obj["metadata"]
        assert validation.problems(resource_of(obj), obj, obj) == [], obj["metadata"]


def test_small_configmap_writes_are_cheap() -> None:
    """The server budgets ~1,500 small ConfigMap writes a second; these checks take a sliver."""
    resource = CATALOG.by_kind("", "ConfigMap")
    assert resource is not None
    labelled = meta(config_map(data={"a": "1", "b": "2"}), labels={"app": "web"})
    old = prepared(meta(labelled, annotations={"team": "core"}))
    new = changed(old, "data.a", "3")
    started = time.perf_counter()
    for _ in range(1500):
        defaults.apply_defaults(resource, new)
        decode.drop_unknown_fields(resource.type, copy.deepcopy(new))
        validation.validate(resource, new, old)
    assert time.perf_counter() - started < 0.5


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 70000) | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
SKELETONS = [
    meta(
        deployment(),
        labels={"app": "web"},
        annotations={"a": "b"},
        finalizers=["a.io/b"],
        ownerReferences=[{"apiVersion": "v1", "kind": "X", "name": "x", "uid": "1"}],
    ),
    job(),
    cron_job(),
    svc(ports=[{"port": 80, "name": "http", "targetPort": "http"}], clusterIP="10.0.0.1"),
    config_map(data={"a": "1"}, binaryData={"b": "MQ=="}, immutable=True),
    kind("v1", "Secret", "s", data={"a": "YQ=="}, type="kubernetes.io/tls"),
    running_pod(),
    sts(volumeClaimTemplates=[{"metadata": {"name": "d"}, "spec": {}}]),
    bound_claim("1Gi"),
    kind("networking.k8s.io/v1", "Ingress", "web", spec={"rules": [{"http": {"paths": [{}]}}]}),
    kind("v1", "Namespace", "prod", spec={"finalizers": ["kubernetes"]}),
]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found += _paths(child, (*prefix, i))
    return found


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SKELETONS), st.data(), JSON_VALUES, JSON_VALUES)
def test_malformed_objects_never_crash_the_pipeline(
    skeleton: dict[str, Any], data: st.DataObject, value: Any, old_value: Any
) -> None:
    """Whatever the types, defaulting and validation answer with API errors, never a crash."""
    obj = changed(prepared(skeleton), data.draw(st.sampled_from(_paths(skeleton))), value)
    old = changed(prepared(skeleton), data.draw(st.sampled_from(_paths(skeleton))), old_value)
    resource = resource_of(skeleton)
    for args in ((obj, None), (obj, old), (old, obj)):
        candidate = copy.deepcopy(args[0])
        try:
            defaults.apply_defaults(resource, candidate)
            decode.drop_unknown_fields(resource.type, copy.deepcopy(candidate))
            validation.validate(resource, candidate, args[1])
        except errors.ApiError:
            pass
