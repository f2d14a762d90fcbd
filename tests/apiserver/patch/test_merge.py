"""JSON merge patch, as kube-apiserver 1.32 applies it (evanphx/json-patch v4).

The first table is RFC 7386's appendix A; the second pins where v4 goes its own way with
nulls, and the merge patches kubectl sends (reference/kubernetes-write-semantics.md 3.1).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitferry.apiserver.patch import merge

RFC_7386_EXAMPLES = [
    pytest.param({"a": "b"}, {"a": "c"}, {"a": "c"}, id="replaces-a-member"),
    pytest.param({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}, id="adds-a-member"),
    pytest.param({"a": "b"}, {"a": None}, {}, id="null-removes-a-member"),
    pytest.param({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}, id="null-removes-only-its-member"),
    pytest.param({"a": ["b"]}, {"a": "c"}, {"a": "c"}, id="scalar-replaces-an-array"),
    pytest.param({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}, id="array-replaces-a-scalar"),
    pytest.param(
        {"a": {"b": "c"}},
        {"a": {"b": "d", "c": None}},
        {"a": {"b": "d"}},
        id="objects-merge-recursively",
    ),
    pytest.param({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}, id="arrays-are-replaced-whole"),
    pytest.param(["a", "b"], ["c", "d"], ["c", "d"], id="array-patch-replaces-an-array"),
    pytest.param({"a": "b"}, ["c"], ["c"], id="array-patch-replaces-an-object"),
    pytest.param({"a": "foo"}, None, None, id="null-patch-replaces-everything"),
    pytest.param({"a": "foo"}, "bar", "bar", id="scalar-patch-replaces-everything"),
    pytest.param({"e": None}, {"a": 1}, {"e": None, "a": 1}, id="target-nulls-are-kept"),
    pytest.param([1, 2], {"a": "b", "c": None}, {"a": "b"}, id="object-patch-on-an-array"),
    pytest.param(
        {}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}, id="nested-nulls-of-new-members"
    ),
]

V4_AND_KUBECTL = [
    pytest.param(
        {},
        {"a": [1, None, {"b": None, "c": 2}]},
        {"a": [1, {"c": 2}]},
        id="new-array-loses-null-items-and-members",
    ),
    pytest.param(
        {"a": [0]},
        {"a": [None, {"b": None}]},
        {"a": [{}]},
        id="array-replacing-an-array-is-pruned",
    ),
    pytest.param(
        {"a": {"x": 1}},
        {"a": [None, {"b": None}]},
        {"a": [None, {"b": None}]},
        id="array-replacing-an-object-is-kept-as-sent",
    ),
    pytest.param(
        {"a": None},
        {"a": {"b": None, "c": 1}},
        {"a": {"c": 1}},
        id="null-target-member-counts-as-absent",
    ),
    pytest.param({"a": 1}, [1, None], [1], id="array-patch-loses-null-items"),
    pytest.param(
        {"metadata": {"name": "x", "labels": {"a": "1"}}},
        {"metadata": {"labels": {"b": "2"}}},
        {"metadata": {"name": "x", "labels": {"a": "1", "b": "2"}}},
        id="kubectl-label",
    ),
    pytest.param(
        {"metadata": {"annotations": {"a": "1", "b": "2"}}},
        {"metadata": {"annotations": {"a": None}}},
        {"metadata": {"annotations": {"b": "2"}}},
        id="kubectl-annotate-remove",
    ),
    pytest.param(
        {"spec": {"containers": [{"name": "a"}]}},
        {"spec": {"containers": [{"name": "b"}, {"$patch": "replace"}]}},
        {"spec": {"containers": [{"name": "b"}, {"$patch": "replace"}]}},
        id="strategic-directives-are-plain-data",
    ),
]


@pytest.mark.parametrize(("original", "patch", "expected"), RFC_7386_EXAMPLES + V4_AND_KUBECTL)
def test_merge_patch_gives_what_kube_apiserver_stores(
    original: Any, patch: Any, expected: Any
) -> None:
    before = copy.deepcopy((original, patch))
    assert merge.apply(original, patch) == expected
    assert (original, patch) == before, "inputs must not be mutated"


def test_merge_patch_result_does_not_alias_the_patch() -> None:
    patch = {"a": {"b": [1]}, "c": [{"d": 1}]}
    result = merge.apply({"c": {}}, patch)
    result["a"]["b"].append(2)
    result["c"][0]["d"] = 2
    assert patch == {"a": {"b": [1]}, "c": [{"d": 1}]}


# -- properties --------------------------------------------------------------------------

_documents = st.recursive(
    st.booleans() | st.integers(-3, 3) | st.floats(-2, 2) | st.text("ab", max_size=2),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text("abcxy", min_size=1, max_size=2), inner, max_size=3)
    ),
    max_leaves=15,
)
_objects = st.dictionaries(st.text("abcxy", min_size=1, max_size=2), _documents, max_size=4)


def _same(left: Any, right: Any) -> bool:
    return type(left) is type(right) and left == right


def _diff(source: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
    """The merge patch that turns `source` into `target` (neither holds nulls)."""
    patch: dict[str, Any] = {key: None for key in source if key not in target}
    for key, value in target.items():
        if key not in source:
            patch[key] = value
        elif isinstance(source[key], dict) and isinstance(value, dict):
            if nested := _diff(source[key], value):
                patch[key] = nested
        elif not _same(source[key], value):
            patch[key] = value
    return patch


@given(_objects, _objects)
def test_applying_the_diff_reproduces_the_target(
    source: dict[str, Any], target: dict[str, Any]
) -> None:
    assert merge.apply(source, _diff(source, target)) == target


@given(_objects)
def test_empty_patch_changes_nothing(document: dict[str, Any]) -> None:
    assert merge.apply(document, {}) == document
