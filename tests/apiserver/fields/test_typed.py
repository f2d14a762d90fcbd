"""Objects walked with their schema (SMD's typed package): the field set of an applied
configuration (reference 1.4) and its typing errors, merge and item order (1.6), the diff
between two objects, removal of paths, and named fields made members for pruning.

Field sets are shown as FieldsV1 JSON without the paths nobody owns (apiVersion, kind,
metadata.name ...), as they are stored.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gitferry.apiserver import schema
from gitferry.apiserver.fields import fieldset, managed, typed

DEPLOYMENT = schema.builtin().by_gvk[("apps", "v1", "Deployment")]
SERVICE = schema.builtin().by_gvk[("", "v1", "Service")]
WIDGET = schema.from_crd(
    {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "items": {
                        "type": "array",
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["name"],
                        "items": {
                            "type": "object",
                            "properties": {"name": {"type": "string"}, "v": {"type": "integer"}},
                        },
                    },
                    "tags": {
                        "type": "array",
                        "x-kubernetes-list-type": "set",
                        "items": {"type": "string"},
                    },
                    "plain": {"type": "array", "items": {"type": "string"}},
                    "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                },
            }
        },
    }
)
NODES = {"Deployment": DEPLOYMENT, "Service": SERVICE, "Widget": WIDGET}


def obj(kind: str, **top: Any) -> dict[str, Any]:
    version = {"Deployment": "apps/v1", "Service": "v1", "Widget": "example.com/v1"}[kind]
    return {"apiVersion": version, "kind": kind, "metadata": {"name": "web"}, **top}


def template(**pod_spec: Any) -> dict[str, Any]:
    return {"template": {"spec": pod_spec}}


def stored_json(fields: dict[str, Any]) -> str:
    return fieldset.to_json(fieldset.difference(fields, managed.STRIPPED))


CONFIG_SETS = [
    pytest.param(obj("Deployment", spec={}), "{}", id="empty-struct-claims-nothing"),
    pytest.param(obj("Deployment", spec={"template": None}), "{}", id="null-struct-claims-nothing"),
    pytest.param(
        obj("Deployment", spec={"replicas": None}),
        '{"f:spec":{"f:replicas":{}}}',
        id="null-scalar-is-claimed",
    ),
    pytest.param(
        obj("Deployment", spec={"selector": {}}),
        '{"f:spec":{"f:selector":{}}}',
        id="empty-atomic-struct-is-a-leaf",
    ),
    pytest.param(
        obj("Deployment", spec=template(tolerations=[], containers=[])),
        '{"f:spec":{"f:template":{"f:spec":{"f:tolerations":{}}}}}',
        id="empty-atomic-list-claimed-empty-keyed-list-not",
    ),
    pytest.param(
        obj(
            "Deployment", spec=template(containers=[{"name": "a", "resources": {}, "args": ["x"]}])
        ),
        '{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"a\\"}":'
        '{".":{},"f:args":{},"f:name":{}}}}}}}',
        id="keyed-item-is-a-member-with-its-fields",
    ),
    pytest.param(
        obj("Service", spec={"ports": [{"port": 80}]}),
        '{"f:spec":{"f:ports":{"k:{\\"port\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:port":{}}}}}',
        id="absent-key-field-takes-its-default",
    ),
    pytest.param(
        obj("Widget", spec={"config": {"a": {"b": 1}, "c": {}, "d": [1]}}),
        '{"f:spec":{"f:config":{"f:a":{".":{},"f:b":{}},"f:c":{},"f:d":{}}}}',
        id="untyped-map-keys-are-members-lists-atomic",
    ),
    pytest.param(
        obj("Widget", spec={"items": [{"name": "x", "v": 1}], "tags": ["b", "a"], "plain": []}),
        '{"f:spec":{"f:items":{"k:{\\"name\\":\\"x\\"}":{".":{},"f:name":{},"f:v":{}}},'
        '"f:plain":{},"f:tags":{"v:\\"a\\"":{},"v:\\"b\\"":{}}}}',
        id="crd-map-set-and-default-atomic-lists",
    ),
]


@pytest.mark.parametrize(("config", "expected"), CONFIG_SETS)
def test_config_field_sets(config: dict[str, Any], expected: str) -> None:
    fields, problems = typed.config_set(config, NODES[config["kind"]])
    assert problems == []
    assert stored_json(fields) == expected


TYPING_ERRORS = [
    pytest.param(
        obj("Deployment", spec=template(tolerations=[{"key": "a", "foo": 1}])),
        [".spec.template.spec.tolerations[0].foo: field not declared in schema"],
        id="atomic-list-items-are-still-validated",
    ),
    pytest.param(
        obj("Deployment", spec={"selector": {"foo": 1}}),
        [".spec.selector.foo: field not declared in schema"],
        id="atomic-struct-is-still-validated",
    ),
    pytest.param(
        obj("Deployment", spec={"foo": 1, "bar": 2}),
        [".spec.foo: field not declared in schema"],
        id="first-undeclared-field-stops-the-object",
    ),
    pytest.param(
        {**obj("Deployment"), "metadata": {"name": "web", "finalizers": [{"a": 1}]}},
        [
            ".metadata.finalizers: element 0: associative list without keys has an element "
            "that's a map type"
        ],
        id="set-item-cannot-be-a-map",
    ),
    pytest.param(
        obj("Deployment", spec=template(containers=[None])),
        [
            ".spec.template.spec.containers: element 0: associative list with keys may not "
            "have a null element"
        ],
        id="keyed-item-cannot-be-null",
    ),
    pytest.param(
        obj("Deployment", spec="x"),
        [".spec: expected map, got &{x}"],
        id="struct-given-a-string",
    ),
    pytest.param(
        obj("Deployment", spec={"minReadySeconds": True, "paused": "no"}),
        [
            ".spec.minReadySeconds: expected numeric (int or float), got bool",
            ".spec.paused: expected boolean, got &{no}",
        ],
        id="scalar-types",
    ),
    pytest.param(
        {**obj("Deployment"), "metadata": {"name": 5}},
        [".metadata.name: expected string, got &value.valueUnstructured{Value:5}"],
        id="string-given-a-number",
    ),
]


@pytest.mark.parametrize(("config", "expected"), TYPING_ERRORS)
def test_typing_errors(config: dict[str, Any], expected: list[str]) -> None:
    assert typed.config_set(config, NODES[config["kind"]])[1] == expected


def names(items: list[dict[str, Any]]) -> list[str]:
    return [item["name"] for item in items]


MERGES = [
    pytest.param(
        "Deployment",
        {"spec": {"replicas": 1}},
        {"spec": {"replicas": 2}},
        {"spec": {"replicas": 2}},
        id="scalar-replaced",
    ),
    pytest.param(
        "Deployment",
        {"metadata": {"labels": {"a": "1", "b": "2"}}},
        {"metadata": {"labels": {"c": "3", "a": "0"}}},
        {"metadata": {"labels": {"a": "0", "b": "2", "c": "3"}}},
        id="granular-map-merged-live-keys-first",
    ),
    pytest.param(
        "Deployment",
        {"metadata": {"labels": {"a": "1"}}},
        {"metadata": {"labels": None}},
        {"metadata": {"labels": {"a": "1"}}},
        id="null-over-non-empty-map-changes-nothing",
    ),
    pytest.param(
        "Deployment",
        {"metadata": {"labels": {}}},
        {"metadata": {"labels": None}},
        {"metadata": {"labels": None}},
        id="null-over-empty-map-is-kept",
    ),
    pytest.param(
        "Deployment",
        {"spec": {"minReadySeconds": 5}},
        {"spec": {"minReadySeconds": None}},
        {"spec": {"minReadySeconds": None}},
        id="null-scalar-is-kept",
    ),
    pytest.param(
        "Deployment",
        {"spec": {"selector": {"matchLabels": {"a": "1"}}}},
        {"spec": {"selector": {"matchLabels": {"b": "2"}}}},
        {"spec": {"selector": {"matchLabels": {"b": "2"}}}},
        id="atomic-struct-replaced",
    ),
    pytest.param(
        "Service",
        {"spec": {"ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}]}},
        {"spec": {"ports": [{"port": 80, "name": "http"}]}},
        {"spec": {"ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080, "name": "http"}]}},
        id="keyed-items-match-with-defaulted-key",
    ),
    pytest.param(
        "Widget",
        {"spec": {"plain": ["a", "b"]}},
        {"spec": {"plain": ["c"]}},
        {"spec": {"plain": ["c"]}},
        id="atomic-list-replaced",
    ),
    pytest.param(
        "Widget",
        {"spec": {"tags": []}},
        {"spec": {"tags": []}},
        {"spec": {"tags": []}},
        id="empty-on-both-sides-keeps-config",
    ),
    pytest.param(
        "Widget",
        {"spec": {"tags": ["a", "x", "b"]}},
        {"spec": {"tags": ["b", "a", "new"]}},
        {"spec": {"tags": ["x", "b", "a", "new"]}},
        id="set-live-only-first-then-config-order",
    ),
    pytest.param(
        "Widget",
        {"spec": {"config": {"a": {"b": 1}}}},
        {"spec": {"config": {"a": "x"}}},
        {"spec": {"config": {"a": "x"}}},
        id="untyped-value-changing-shape-takes-config",
    ),
]


@pytest.mark.parametrize(("kind", "live", "config", "expected"), MERGES)
def test_merge(
    kind: str, live: dict[str, Any], config: dict[str, Any], expected: dict[str, Any]
) -> None:
    merged = typed.merge(live, config, NODES[kind])
    assert merged == expected
    assert json.dumps(merged) == json.dumps(expected)  # key order too


ORDERS = [
    pytest.param(
        ["a", "b", "c"],
        ["c", "a"],
        ["b", "c", "a"],
        id="shared-items-in-config-order-live-only-stays-before",
    ),
    pytest.param(["c", "a"], ["d"], ["c", "a", "d"], id="new-item-appended"),
    pytest.param(
        ["c", "a", "d"], ["c", "e", "a"], ["c", "e", "a", "d"], id="new-item-between-shared"
    ),
    pytest.param(
        ["a", "x", "b"],
        ["b", "a", "new"],
        ["x", "b", "a", "new"],
        id="live-only-item-before-reordered-shared",
    ),
    pytest.param(["a", "b"], ["b", "a"], ["b", "a"], id="swap"),
]


@pytest.mark.parametrize(("live", "config", "expected"), ORDERS)
def test_keyed_list_order(live: list[str], config: list[str], expected: list[str]) -> None:
    def deployment(order: list[str]) -> dict[str, Any]:
        return {"spec": template(containers=[{"name": n} for n in order])}

    merged = typed.merge(deployment(live), deployment(config), DEPLOYMENT)
    assert names(merged["spec"]["template"]["spec"]["containers"]) == expected


COMPARES = [
    pytest.param(
        "Deployment",
        {"spec": {"replicas": 1}},
        {"spec": {"replicas": 2}},
        ("{}", '{"f:spec":{"f:replicas":{}}}', "{}"),
        id="leaf-modified",
    ),
    pytest.param(
        "Deployment",
        {"metadata": {}},
        {"metadata": {"labels": {"a": "1"}}},
        ('{"f:metadata":{"f:labels":{".":{},"f:a":{}}}}', "{}", "{}"),
        id="added-map-is-a-member-with-its-keys",
    ),
    pytest.param(
        "Deployment",
        {"metadata": {"labels": {"a": "1"}}},
        {"metadata": {"labels": {"a": "1", "b": "2"}}},
        ('{"f:metadata":{"f:labels":{"f:b":{}}}}', "{}", "{}"),
        id="added-key-only",
    ),
    pytest.param(
        "Deployment",
        {"spec": template(containers=[{"name": "a"}, {"name": "b", "image": "b"}])},
        {"spec": template(containers=[{"name": "a"}])},
        (
            "{}",
            "{}",
            '{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"b\\"}":{".":{},"f:image":{},"f:name":{}}}}}}}',
        ),
        id="removed-item-with-everything-in-it",
    ),
    pytest.param(
        "Deployment",
        {"spec": template(containers=[{"name": "a"}])},
        {"spec": template(containers=[{"name": "a", "resources": {}}])},
        (
            '{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"a\\"}":{"f:resources":{}}}}}}}',
            "{}",
            "{}",
        ),
        id="added-empty-struct-is-a-leaf",
    ),
    pytest.param(
        "Widget",
        {"spec": {"tags": ["a", "b"]}},
        {"spec": {"tags": ["b", "a"]}},
        ("{}", "{}", "{}"),
        id="set-order-is-no-change",
    ),
    pytest.param(
        "Widget",
        {"spec": {"plain": ["a", "b"]}},
        {"spec": {"plain": ["b", "a"]}},
        ("{}", '{"f:spec":{"f:plain":{}}}', "{}"),
        id="atomic-list-order-is-a-change",
    ),
    pytest.param(
        "Widget",
        {"spec": {"config": {"a": {"b": 1}}}},
        {"spec": {"config": {"a": 2}}},
        ("{}", '{"f:spec":{"f:config":{"f:a":{}}}}', '{"f:spec":{"f:config":{"f:a":{"f:b":{}}}}}'),
        id="untyped-shape-change-modified-and-children-removed",
    ),
    pytest.param(
        "Widget",
        {"spec": {"config": {"a": 1}}},
        {"spec": {"config": {"a": True}}},
        ("{}", '{"f:spec":{"f:config":{"f:a":{}}}}', "{}"),
        id="bool-is-not-an-int",
    ),
    pytest.param(
        "Widget",
        {"spec": {"config": {"a": 1}}},
        {"spec": {"config": {"a": 1.0}}},
        ("{}", "{}", "{}"),
        id="int-equals-float",
    ),
]


@pytest.mark.parametrize(("kind", "old", "new", "expected"), COMPARES)
def test_compare(
    kind: str, old: dict[str, Any], new: dict[str, Any], expected: tuple[str, str, str]
) -> None:
    diff = typed.compare(old, new, NODES[kind])
    assert tuple(map(fieldset.to_json, (diff.added, diff.modified, diff.removed))) == expected


LABELS_AB = {"metadata": {"name": "web", "labels": {"a": "1", "b": "2"}}}
REMOVALS = [
    pytest.param(
        LABELS_AB,
        {"f:metadata": {"f:labels": {"f:a": {}}}},
        False,
        {"metadata": {"name": "web", "labels": {"b": "2"}}},
        id="member-removed",
    ),
    pytest.param(
        LABELS_AB,
        {"f:metadata": {"f:labels": {"f:a": {}, "f:b": {}}}},
        False,
        {"metadata": {"name": "web", "labels": None}},
        id="emptied-map-becomes-null",
    ),
    pytest.param(
        LABELS_AB,
        {"f:metadata": {"f:labels": {"f:a": {}, "f:b": {}}}},
        True,
        {"metadata": {"name": "web"}},
        id="emptied-map-dropped-when-asked",
    ),
    pytest.param(
        LABELS_AB,
        {"f:metadata": {"f:labels": {}}},
        False,
        {"metadata": {"name": "web"}},
        id="member-node-removed-whole",
    ),
    pytest.param(
        {"spec": template(containers=[{"name": "a", "image": "x"}, {"name": "b"}])},
        {
            "f:spec": {
                "f:template": {
                    "f:spec": {
                        "f:containers": {'k:{"name":"a"}': {"f:image": {}}, 'k:{"name":"b"}': {}}
                    }
                }
            }
        },
        False,
        {"spec": template(containers=[{"name": "a"}])},
        id="keyed-items-removed-or-descended",
    ),
]


@pytest.mark.parametrize(("value", "paths", "drop", "expected"), REMOVALS)
def test_remove(
    value: dict[str, Any], paths: dict[str, Any], drop: bool, expected: dict[str, Any]
) -> None:
    assert typed.remove(value, paths, DEPLOYMENT, drop_emptied=drop) == expected


def test_remove_shares_what_it_does_not_touch() -> None:
    value = {"metadata": {"labels": {"a": "1"}}, "spec": {"replicas": 1}}
    out = typed.remove(
        value, {"f:metadata": {"f:labels": {"f:a": {}}}}, DEPLOYMENT, drop_emptied=True
    )
    assert out["spec"] is value["spec"]
    assert typed.remove(value, {}, DEPLOYMENT, drop_emptied=True) is value


NAMED = [
    pytest.param(
        "Deployment",
        '{"f:spec":{"f:replicas":{}}}',
        '{"f:spec":{".":{},"f:replicas":{}}}',
        id="struct-field-with-children",
    ),
    pytest.param(
        "Widget",
        '{"f:spec":{"f:config":{"f:a":{"f:b":{}}}}}',
        '{"f:spec":{".":{},"f:config":{".":{},"f:a":{"f:b":{}}}}}',
        id="map-keys-are-not-named",
    ),
    pytest.param(
        "Deployment",
        '{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"a\\"}":{"f:resources":{"f:limits":{"f:cpu":{}}}}}}}}}',
        '{"f:spec":{".":{},"f:template":{".":{},"f:spec":{".":{},"f:containers":{".":{},"k:{\\"name\\":\\"a\\"}":{"f:resources":{".":{},"f:limits":{".":{},"f:cpu":{}}}}}}}}}',
        id="through-keyed-items",
    ),
]


@pytest.mark.parametrize(("kind", "fields", "expected"), NAMED)
def test_named_members(kind: str, fields: str, expected: str) -> None:
    named = typed.named_members(fieldset.decode(json.loads(fields)), NODES[kind])
    assert fieldset.to_json(named) == expected
