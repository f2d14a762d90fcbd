"""Field sets and the FieldsV1 encoding (reference 1.5): set arithmetic with members and
children kept apart, SMD's key order and escaping, decoding as SMD reads, path strings as
conflict messages print them, and Go's JSON and `%q`/`%v`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitferry.apiserver.fields import fieldset

A_WITH_B = {"f:a": {".": {}, "f:b": {}}}

SET_OPS = [
    pytest.param(
        fieldset.union,
        {"f:a": {}},
        {"f:a": {"f:b": {}}},
        A_WITH_B,
        id="union-member-gains-children-and-a-dot",
    ),
    pytest.param(
        fieldset.union, {"f:a": {}}, {"f:c": {}}, {"f:a": {}, "f:c": {}}, id="union-disjoint"
    ),
    pytest.param(
        fieldset.difference,
        A_WITH_B,
        {"f:a": {}},
        {"f:a": {"f:b": {}}},
        id="difference-removes-membership-keeps-children",
    ),
    pytest.param(
        fieldset.difference,
        A_WITH_B,
        {"f:a": {"f:b": {}}},
        {"f:a": {}},
        id="difference-removes-children-keeps-membership",
    ),
    pytest.param(
        fieldset.difference,
        {"f:a": {"f:b": {}}},
        {"f:a": {"f:b": {}}},
        {},
        id="difference-drops-emptied-nodes",
    ),
    pytest.param(
        fieldset.difference,
        {"f:a": {}},
        {"f:a": {"f:b": {}}},
        {"f:a": {}},
        id="difference-children-never-remove-a-member",
    ),
    pytest.param(
        fieldset.intersection,
        A_WITH_B,
        {"f:a": {"f:b": {}}},
        {"f:a": {"f:b": {}}},
        id="intersection-member-only-where-both-are",
    ),
    pytest.param(
        fieldset.intersection,
        {"f:a": {}},
        {"f:a": {"f:b": {}}},
        {},
        id="intersection-member-and-child-share-nothing",
    ),
    pytest.param(
        fieldset.recursive_difference,
        {"f:status": {"f:x": {}}, "f:spec": {"f:y": {}}},
        {"f:status": {}},
        {"f:spec": {"f:y": {}}},
        id="recursive-difference-drops-everything-under-a-member",
    ),
    pytest.param(
        fieldset.recursive_difference,
        {"f:a": {".": {}, "f:b": {}, "f:c": {}}},
        {"f:a": {"f:b": {}}},
        {"f:a": {".": {}, "f:c": {}}},
        id="recursive-difference-keeps-membership-under-children-only",
    ),
]


@pytest.mark.parametrize(("op", "a", "b", "expected"), SET_OPS)
def test_set_operations(
    op: Callable[[Any, Any], Any], a: dict[str, Any], b: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert op(a, b) == expected


def test_operations_share_untouched_inputs() -> None:
    a = {"f:a": {"f:b": {}}, "f:c": {}}
    assert fieldset.difference(a, {"f:z": {}}) is a
    assert fieldset.union(a, {}) is a
    assert fieldset.union(a, {"f:z": {}})["f:a"] is a["f:a"]


ORDERS = [
    pytest.param(
        {"f:x": {"f:b": {}, ".": {}, "f:a": {}}},
        '{"f:x":{".":{},"f:a":{},"f:b":{}}}',
        id="dot-first-then-fields-by-name",
    ),
    pytest.param(
        {'k:{"port":443}': {}, 'k:{"port":80}': {}},
        '{"k:{\\"port\\":80}":{},"k:{\\"port\\":443}":{}}',
        id="keys-by-value-not-by-json-text",
    ),
    pytest.param(
        {'k:{"a":10,"b":0}': {}, 'k:{"a":2,"b":1}': {}},
        '{"k:{\\"a\\":2,\\"b\\":1}":{},"k:{\\"a\\":10,\\"b\\":0}":{}}',
        id="keys-field-by-field",
    ),
    pytest.param(
        {"v:true": {}, 'v:"a"': {}, "v:2": {}},
        '{"v:2":{},"v:\\"a\\"":{},"v:true":{}}',
        id="values-numbers-strings-bools",
    ),
    pytest.param(
        {'v:"a"': {}, 'k:{"a":1}': {}, "f:z": {}, "i:0": {}},
        '{"f:z":{},"k:{\\"a\\":1}":{},"v:\\"a\\"":{},"i:0":{}}',
        id="fields-keys-values-indices",
    ),
    pytest.param(
        {"f:a<b": {}}, '{"f:a\\u003cb":{}}', id="html-characters-escaped-as-go-writes-keys"
    ),
]


@pytest.mark.parametrize(("fields", "expected"), ORDERS)
def test_encoding_order(fields: dict[str, Any], expected: str) -> None:
    assert fieldset.to_json(fields) == expected
    assert list(fieldset.encode(fields)) == list(json.loads(expected))


def test_encoding_an_ordered_set_returns_it() -> None:
    fields = {"f:a": {".": {}, "f:b": {}}, "f:c": {}}
    assert fieldset.encode(fields) is fields


ELEMENTS = [
    pytest.param(
        fieldset.key_element({"name": "nginx"}), 'k:{"name":"nginx"}', id="key-of-one-field"
    ),
    pytest.param(
        fieldset.key_element({"containerPort": 80, "protocol": "TCP"}),
        'k:{"containerPort":80,"protocol":"TCP"}',
        id="key-fields-sorted-numbers-bare",
    ),
    pytest.param(
        fieldset.key_element({"name": "a<b>&"}),
        'k:{"name":"a\\u003cb\\u003e\\u0026"}',
        id="key-html-escaped-inside",
    ),
    pytest.param(fieldset.value_element("a.io/x"), 'v:"a.io/x"', id="value-string"),
    pytest.param(fieldset.value_element(1.0), "v:1", id="value-integral-float-as-go-writes-it"),
]


@pytest.mark.parametrize(("element", "expected"), ELEMENTS)
def test_path_elements(element: str, expected: str) -> None:
    assert element == expected


DECODED = [
    pytest.param({".": {}, "f:a": {}}, {"f:a": {}}, id="root-dot-dropped"),
    pytest.param({"f:a": {".": {}}}, {"f:a": {}}, id="lone-dot-is-a-member"),
    pytest.param({"f:a": {"q:x": {}}}, {"f:a": {}}, id="unknown-element-types-dropped"),
    pytest.param(
        {"f:a": {".": 5, "f:b": {}}}, {"f:a": {".": {}, "f:b": {}}}, id="dot-value-ignored"
    ),
    pytest.param(
        {'k:{"b": 1, "a": "x"}': {}}, {'k:{"a":"x","b":1}': {}}, id="key-json-made-canonical"
    ),
    pytest.param({"v:1.0": {}}, {"v:1": {}}, id="value-json-made-canonical"),
    pytest.param(
        {'k:{"a": 1}': {"f:x": {}}, 'k:{"a":1}': {"f:y": {}}},
        {'k:{"a":1}': {"f:x": {}, "f:y": {}}},
        id="duplicates-after-canonical-form-merge",
    ),
    pytest.param({"i:01": {}}, {"i:1": {}}, id="index"),
]


@pytest.mark.parametrize(("raw", "expected"), DECODED)
def test_decoding_normalises_as_smd_reads(raw: dict[str, Any], expected: dict[str, Any]) -> None:
    assert fieldset.decode(raw) == expected


def test_decoding_a_normal_set_returns_it() -> None:
    raw = {"f:a": {".": {}, 'k:{"name":"x"}': {".": {}, "f:name": {}}}}
    assert fieldset.decode(raw) is raw


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param([], id="not-an-object"),
        pytest.param({"f:a": 1}, id="member-not-an-object"),
        pytest.param({"x": {}}, id="key-shorter-than-two"),
        pytest.param({"k:{": {}}, id="key-json-broken"),
        pytest.param({"k:[1]": {}}, id="key-json-not-an-object"),
    ],
)
def test_decoding_rejects_what_smd_rejects(raw: Any) -> None:
    with pytest.raises(ValueError):
        fieldset.decode(raw)


PATHS = [
    pytest.param(("f:spec", "f:replicas"), ".spec.replicas", id="fields"),
    pytest.param(
        ("f:metadata", "f:labels", "f:app.kubernetes.io/name"),
        ".metadata.labels.app.kubernetes.io/name",
        id="map-key-raw",
    ),
    pytest.param(
        ("f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"nginx"}', "f:image"),
        '.spec.template.spec.containers[name="nginx"].image',
        id="keyed-item",
    ),
    pytest.param(
        ("f:spec", "f:ports", 'k:{"port":80,"protocol":"TCP"}'),
        '.spec.ports[port=80,protocol="TCP"]',
        id="multi-key-numbers-bare",
    ),
    pytest.param(
        ("f:metadata", "f:finalizers", 'v:"a.io/x"'),
        '.metadata.finalizers[="a.io/x"]',
        id="set-item",
    ),
    pytest.param(("f:a", "i:3"), ".a[3]", id="index"),
    pytest.param(("f:a", 'k:{"k":"tab\\there\\u0007"}'), '.a[k="tab\\there\\a"]', id="go-quoting"),
]


@pytest.mark.parametrize(("path", "expected"), PATHS)
def test_path_strings(path: tuple[str, ...], expected: str) -> None:
    assert fieldset.path_string(path) == expected


def test_members_in_smd_iteration_order() -> None:
    fields = {"f:b": {".": {}, "f:y": {}, "f:x": {}}, "f:a": {"f:z": {}}, "f:c": {}}
    assert list(fieldset.members(fields)) == [
        ("f:b",),
        ("f:c",),
        ("f:a", "f:z"),
        ("f:b", "f:x"),
        ("f:b", "f:y"),
    ]


GO = [
    pytest.param(
        fieldset.go_json({"b": 1, "a": [True, None, 0.5]}),
        '{"a":[true,null,0.5],"b":1}',
        id="json-sorted-compact",
    ),
    pytest.param(
        fieldset.go_json("<a>&\u2028\n\x01"),
        '"\\u003ca\\u003e\\u0026\\u2028\\n\\u0001"',
        id="json-string-escapes",
    ),
    pytest.param(
        fieldset.go_json([1e21, 1.5e-7, 100.0, 1e20]),
        "[1e+21,1.5e-7,100,100000000000000000000]",
        id="json-floats",
    ),
    pytest.param(fieldset.go_float_v(1e6), "1e+06", id="percent-v-float-exponent-from-1e6"),
    pytest.param(fieldset.go_float_v(123456.0), "123456", id="percent-v-float-plain"),
    pytest.param(fieldset.go_float_v(0.00001), "1e-05", id="percent-v-float-small"),
    pytest.param(
        fieldset.go_quote('say "hi"\\ é \x7f'), '"say \\"hi\\"\\\\ é \\x7f"', id="percent-q"
    ),
]


@pytest.mark.parametrize(("text", "expected"), GO)
def test_go_formatting(text: str, expected: str) -> None:
    assert text == expected


# --- Properties -----------------------------------------------------------------------------

elements = st.one_of(
    st.text(min_size=1, max_size=4).map(lambda s: "f:" + s),
    st.text(max_size=3).map(lambda s: fieldset.key_element({"name": s})),
    st.integers(-5, 500).map(lambda n: fieldset.key_element({"port": n, "protocol": "TCP"})),
    st.one_of(st.integers(-5, 500), st.text(max_size=3), st.booleans()).map(fieldset.value_element),
)


def _node(children: dict[str, Any], member: bool) -> dict[str, Any]:
    return {**children, ".": {}} if member else children


nodes = st.deferred(
    lambda: st.one_of(
        st.just({}),
        st.builds(_node, st.dictionaries(elements, nodes, min_size=1, max_size=3), st.booleans()),
    )
)
sets = st.dictionaries(elements, nodes, max_size=4)


def member_paths(s: dict[str, Any]) -> set[tuple[str, ...]]:
    return set(fieldset.members(s))


@settings(max_examples=200)
@given(sets)
def test_fieldsv1_round_trips(s: dict[str, Any]) -> None:
    encoded = fieldset.encode(s)
    assert fieldset.decode(json.loads(fieldset.to_json(s))) == s
    assert fieldset.encode(encoded) is encoded
    assert fieldset.decode(encoded) is encoded


@settings(max_examples=200)
@given(sets, sets)
def test_operations_are_set_operations_on_member_paths(
    a: dict[str, Any], b: dict[str, Any]
) -> None:
    pa, pb = member_paths(a), member_paths(b)
    assert member_paths(fieldset.union(a, b)) == pa | pb
    assert member_paths(fieldset.difference(a, b)) == pa - pb
    assert member_paths(fieldset.intersection(a, b)) == pa & pb
    assert all(fieldset.has(a, path) for path in pa)
