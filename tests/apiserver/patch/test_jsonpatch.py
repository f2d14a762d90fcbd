"""JSON patch, as kube-apiserver 1.32 applies it (evanphx/json-patch v4).

Tables of documents, operations and results (reference/kubernetes-write-semantics.md 3.2),
including v4's quirks that clients can observe; then the failures, every one of which is the
generic 422; then the body checks (400) and the operation limit (413).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitferry.apiserver import errors
from gitferry.apiserver.patch import jsonpatch


def op(kind: str, path: str, value: Any = ..., **fields: Any) -> dict[str, Any]:
    operation = {"op": kind, "path": path, **fields}
    if value is not ...:
        operation["value"] = value
    return operation


APPLIED = [
    pytest.param(
        {"foo": "bar"}, [op("add", "/baz", "qux")], {"foo": "bar", "baz": "qux"}, id="add-member"
    ),
    pytest.param({"foo": "bar"}, [op("add", "/foo", 1)], {"foo": 1}, id="add-overwrites-member"),
    pytest.param(
        {"foo": ["a", "b"]},
        [op("add", "/foo/1", "x")],
        {"foo": ["a", "x", "b"]},
        id="add-inserts-at-index",
    ),
    pytest.param(
        {"foo": ["a"]}, [op("add", "/foo/1", "x")], {"foo": ["a", "x"]}, id="add-at-length-appends"
    ),
    pytest.param(
        {"foo": ["a"]}, [op("add", "/foo/-", ["b"])], {"foo": ["a", ["b"]]}, id="add-dash-appends"
    ),
    pytest.param(
        {"foo": ["a", "b"]},
        [op("add", "/foo/-1", "x")],
        {"foo": ["a", "b", "x"]},
        id="add-minus-one-appends",
    ),
    pytest.param(
        {"foo": ["a", "b"]},
        [op("add", "/foo/-2", "x")],
        {"foo": ["a", "x", "b"]},
        id="add-negative-counts-from-the-end",
    ),
    pytest.param(
        {"foo": []}, [op("add", "/foo/-1", "x")], {"foo": ["x"]}, id="add-minus-one-to-empty-array"
    ),
    pytest.param({}, [op("add", "/a", None)], {"a": None}, id="add-null"),
    pytest.param({}, [op("add", "/a")], {"a": None}, id="add-without-value-adds-null"),
    pytest.param(
        {"foo": 1},
        [op("add", "/child", {"grandchild": {}})],
        {"foo": 1, "child": {"grandchild": {}}},
        id="add-object",
    ),
    pytest.param({"a": 1, "b": 2}, [op("remove", "/a")], {"b": 2}, id="remove-member"),
    pytest.param({"a": None, "b": 2}, [op("remove", "/a")], {"b": 2}, id="remove-null-member"),
    pytest.param(
        {"foo": ["a", "b", "c"]}, [op("remove", "/foo/1")], {"foo": ["a", "c"]}, id="remove-index"
    ),
    pytest.param(
        {"foo": ["a", "b", "c"]},
        [op("remove", "/foo/-2")],
        {"foo": ["a", "c"]},
        id="remove-negative-index",
    ),
    pytest.param({"a": 1}, [op("replace", "/a", 2)], {"a": 2}, id="replace-member"),
    pytest.param(
        {"foo": ["a", "b"]}, [op("replace", "/foo/0", "x")], {"foo": ["x", "b"]}, id="replace-index"
    ),
    pytest.param(
        {"foo": ["a", "b"]},
        [op("replace", "/foo/-1", "x")],
        {"foo": ["a", "x"]},
        id="replace-negative-index",
    ),
    pytest.param(
        {"a": 1}, [op("replace", "/b", 2)], {"a": 1, "b": 2}, id="v4-replace-adds-a-missing-member"
    ),
    pytest.param({"a": 1}, [op("replace", "", {"b": [2]})], {"b": [2]}, id="replace-the-root"),
    pytest.param(
        {"foo": {"bar": 1, "waldo": 2}, "qux": {}},
        [op("move", "/qux/thud", **{"from": "/foo/waldo"})],
        {"foo": {"bar": 1}, "qux": {"thud": 2}},
        id="move-member",
    ),
    pytest.param(
        {"foo": ["all", "grass", "cows", "eat"]},
        [op("move", "/foo/3", **{"from": "/foo/1"})],
        {"foo": ["all", "cows", "eat", "grass"]},
        id="move-within-an-array",
    ),
    pytest.param(
        {"a": {"b": [1]}},
        [op("copy", "/c", **{"from": "/a"})],
        {"a": {"b": [1]}, "c": {"b": [1]}},
        id="copy-member",
    ),
    pytest.param(
        {"foo": ["bar"]},
        [op("copy", "/foo/0", **{"from": "/foo"})],
        {"foo": [["bar"], "bar"]},
        id="copy-array-into-itself",
    ),
    pytest.param(
        {"a": 1},
        [op("copy", "/b", **{"from": "/zz"})],
        {"a": 1, "b": None},
        id="v4-copy-from-missing-member-copies-null",
    ),
    pytest.param(
        {"baz": "qux", "foo": ["a", 2, "c"]},
        [op("test", "/baz", "qux"), op("test", "/foo/1", 2)],
        {"baz": "qux", "foo": ["a", 2, "c"]},
        id="test-passes",
    ),
    pytest.param(
        {"a": 1}, [op("test", "/zz", None)], {"a": 1}, id="test-null-matches-missing-member"
    ),
    pytest.param({"a": None}, [op("test", "/a", None)], {"a": None}, id="test-null-matches-null"),
    pytest.param({"a": 1}, [op("test", "/a", 1.0)], {"a": 1}, id="test-compares-numbers-by-value"),
    pytest.param(
        {"a": {"x": 1, "y": [True]}},
        [op("test", "/a", {"y": [True], "x": 1})],
        {"a": {"x": 1, "y": [True]}},
        id="test-ignores-member-order",
    ),
    pytest.param({"a": 1}, [op("test", "", {"a": 1})], {"a": 1}, id="test-the-root"),
    pytest.param(
        {"metadata": {"labels": {}}},
        [op("add", "/metadata/labels/app.kubernetes.io~1name", "web")],
        {"metadata": {"labels": {"app.kubernetes.io/name": "web"}}},
        id="tilde-one-is-a-slash",
    ),
    pytest.param({}, [op("add", "/~01", 1)], {"~1": 1}, id="tilde-zero-is-a-tilde-decoded-once"),
    pytest.param(
        {"items": [{"n": 1}, {"n": 2}]},
        [op("replace", "/items/-1/n", 3)],
        {"items": [{"n": 1}, {"n": 3}]},
        id="negative-index-inside-a-path",
    ),
    pytest.param(
        {"a": 1},
        [op("add", "x/b", 2)],
        {"a": 1, "b": 2},
        id="v4-ignores-what-precedes-the-first-slash",
    ),
    pytest.param(
        {"a": []},
        [op("add", "/a/-", i) for i in range(3)],
        {"a": [0, 1, 2]},
        id="operations-apply-in-order",
    ),
    pytest.param({"a": 1}, [], {"a": 1}, id="no-operations"),
    pytest.param({"a": 1}, None, {"a": 1}, id="null-body-is-no-operation"),
    pytest.param({"a": 1}, [op("test", "/a", 1)] * 10_000, {"a": 1}, id="ten-thousand-operations"),
]


@pytest.mark.parametrize(("document", "operations", "expected"), APPLIED)
def test_json_patch_gives_what_kube_apiserver_stores(
    document: Any, operations: Any, expected: Any
) -> None:
    before = copy.deepcopy((document, operations))
    assert jsonpatch.apply(document, operations) == expected
    assert (document, operations) == before, "inputs must not be mutated"


FAILING = [
    pytest.param({"foo": "bar"}, [op("add", "/baz/bat", 1)], id="add-under-a-missing-member"),
    pytest.param({"foo": ["a"]}, [op("add", "/foo/2", 1)], id="add-beyond-the-end"),
    pytest.param({"foo": ["a", "b"]}, [op("add", "/foo/-4", 1)], id="add-before-the-start"),
    pytest.param({"foo": ["a"]}, [op("add", "/foo/x", 1)], id="add-at-a-non-index"),
    pytest.param({"a": 1}, [op("add", "", {})], id="add-at-the-root"),
    pytest.param({"a": {"b": {"d": 1}}}, [op("remove", "/a/b/c")], id="remove-missing-member"),
    pytest.param({"a": [1]}, [op("remove", "/a/1")], id="remove-beyond-the-end"),
    pytest.param({"a": []}, [op("remove", "/a/-")], id="remove-dash"),
    pytest.param({"a": []}, [op("remove", "/a/-1")], id="remove-from-an-empty-array"),
    pytest.param({"a": [1]}, [op("remove", "/a/-2")], id="remove-before-the-start"),
    pytest.param({"a": 1}, [op("remove", "")], id="remove-the-root"),
    pytest.param({"foo": ["a", "b"]}, [op("replace", "/foo/2", 1)], id="replace-beyond-the-end"),
    pytest.param(
        {"name": {"foo": 1}}, [op("replace", "/foo/bar", 1)], id="replace-under-a-missing-member"
    ),
    pytest.param({"a": 1}, [op("replace", "", "x")], id="replace-the-root-with-a-scalar"),
    pytest.param(
        {"a": {"b": {}}},
        [op("move", "/a/b/e", **{"from": "/a/b/c"})],
        id="move-from-missing-member",
    ),
    pytest.param(
        {"foo": [1, 2, 3, 4]},
        [op("move", "/foo/4", **{"from": "/foo/1"})],
        id="move-beyond-the-end",
    ),
    pytest.param({"a": {}}, [op("move", "/a/b", **{"from": "/a"})], id="move-into-itself"),
    pytest.param(
        {"foo": ["bar"]}, [op("copy", "/foo/2", **{"from": "/foo/0"})], id="copy-beyond-the-end"
    ),
    pytest.param({"a": 1}, [op("copy", "/b")], id="copy-without-from"),
    pytest.param({"baz": "qux"}, [op("test", "/baz", "bar")], id="test-different-value"),
    pytest.param({"baz": "qux"}, [op("test", "/foo", 42)], id="test-missing-member"),
    pytest.param({"foo": {}}, [op("test", "/foo", None)], id="test-empty-object-is-not-null"),
    pytest.param({"foo": []}, [op("test", "/foo", None)], id="test-empty-array-is-not-null"),
    pytest.param({"foo": True}, [op("test", "/foo", 1)], id="test-true-is-not-one"),
    pytest.param({"foo": 1}, [op("test", "/foo", "1")], id="test-number-is-not-a-string"),
    pytest.param({"foo": [1]}, [op("test", "/foo")], id="test-without-value"),
    pytest.param(
        {"metadata": {"resourceVersion": "123"}},
        [op("test", "/metadata/resourceVersion", "122"), op("replace", "/metadata/x", 1)],
        id="stale-resource-version-test",
    ),
    pytest.param({"a": "text"}, [op("add", "/a/b", 1)], id="path-through-a-scalar"),
    pytest.param({"a": None}, [op("add", "/a/b", 1)], id="path-through-null"),
    pytest.param({"a": 1}, [op("bogus", "/a")], id="unknown-operation"),
    pytest.param({"a": 1}, [{"path": "/a"}], id="operation-without-op"),
    pytest.param({"a": 1}, [op("add", "/b", 1), None], id="null-operation"),
    pytest.param({"a": 1}, [{"op": "add", "value": 1}], id="operation-without-path"),
    pytest.param({"a": 1}, [{"op": "add", "path": None, "value": 1}], id="null-path"),
    pytest.param({"a": 1}, [{"op": "add", "path": 1, "value": 1}], id="path-not-a-string"),
]


@pytest.mark.parametrize(("document", "operations"), FAILING)
def test_every_failing_json_patch_is_the_generic_422(document: Any, operations: Any) -> None:
    before = copy.deepcopy(document)
    with pytest.raises(errors.ApiError) as failure:
        jsonpatch.apply(document, operations)
    assert failure.value.status() == errors.generic_invalid().status()
    assert document == before, "a failed patch must leave the document alone"


REFUSED = [
    pytest.param(
        [op("test", "/a", 1)] * 10_001,
        413,
        "Request entity too large: The allowed maximum operations in a JSON patch is 10000, "
        "got 10001",
        id="more-than-ten-thousand-operations",
    ),
    pytest.param(
        {"op": "add", "path": "/a", "value": 1},
        400,
        "error decoding patch: json: cannot unmarshal object into Go value of type "
        "[]map[string]interface {}",
        id="body-not-an-array",
    ),
    pytest.param(
        "add",
        400,
        "error decoding patch: json: cannot unmarshal string into Go value of type "
        "[]map[string]interface {}",
        id="body-a-string",
    ),
    pytest.param(
        [op("add", "/a", 1), 7],
        400,
        "error decoding patch: json: cannot unmarshal number into Go value of type "
        "map[string]interface {}",
        id="operation-not-an-object",
    ),
]


@pytest.mark.parametrize(("operations", "code", "message"), REFUSED)
def test_json_patch_bodies_refused_before_applying(
    operations: Any, code: int, message: str
) -> None:
    with pytest.raises(errors.ApiError) as failure:
        jsonpatch.apply({"a": 1}, operations)
    assert (failure.value.code, failure.value.message) == (code, message)


def test_json_patch_result_does_not_alias_operation_values() -> None:
    value = {"b": [1]}
    result = jsonpatch.apply({}, [op("add", "/a", value), op("add", "/c", value)])
    result["a"]["b"].append(2)
    assert value == {"b": [1]}
    assert result["c"] == {"b": [1]}


# -- properties --------------------------------------------------------------------------

_keys = st.text("ab~/", min_size=1, max_size=3)
_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.text("ab", max_size=2),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=10,
)


def _pointer(key: str) -> str:
    return "/" + key.replace("~", "~0").replace("/", "~1")


@given(st.dictionaries(_keys, _values, max_size=4), _keys, _values)
def test_adding_then_removing_a_new_member_restores_the_document(
    document: dict[str, Any], key: str, value: Any
) -> None:
    document.pop(key, None)
    path = _pointer(key)
    assert jsonpatch.apply(document, [op("add", path, value), op("remove", path)]) == document


@given(st.dictionaries(_keys, _values, max_size=4))
def test_every_member_tests_equal_to_itself(document: dict[str, Any]) -> None:
    tests = [op("test", _pointer(key), value) for key, value in document.items()]
    assert jsonpatch.apply(document, tests) == document
