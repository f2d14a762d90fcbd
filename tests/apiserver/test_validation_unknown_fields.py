"""Unknown fields are reported as kube-apiserver 1.32 reports them: as kube paths in object
order, joined into one strict decoding message; fields that preserve unknown fields take anything.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gitferry.apiserver import decode, schema
from tests.apiserver.validation_objects import (
    changed,
    config_map,
    deployment,
    meta,
    resource_of,
    with_containers,
)


def _container(**extra: Any) -> dict[str, Any]:
    return {"name": "a", "image": "a:1", **extra}


# (id, object, unknown field paths in object order)
UNKNOWN = [
    ("all-known", deployment(), []),
    ("spec-field", deployment(replica=2), ["spec.replica"]),
    ("metadata-field", meta(deployment(), label={"a": "b"}), ["metadata.label"]),
    ("container-field-with-index", with_containers(_container(), _container(imagePolicy="x")),
     ["spec.template.spec.containers[1].imagePolicy"]),
    ("case-matters", changed(deployment(), "spec.Replicas", 2), ["spec.Replicas"]),
    ("several-in-object-order", changed(deployment(foo=1), "spec.template.bar", 2),
     ["spec.template.bar", "spec.foo"]),
    ("map-keys-are-free", meta(config_map(data={"any key": "v"}), labels={"x": "y"}), []),
    ("top-level", config_map(extra=True), ["extra"]),
]  # fmt: skip


@pytest.mark.parametrize(("obj", "expected"), [pytest.param(o, e, id=i) for i, o, e in UNKNOWN])
def test_unknown_fields_are_reported_as_kube_paths(
    obj: dict[str, Any], expected: list[str]
) -> None:
    assert decode.drop_unknown_fields(resource_of(obj).type, copy.deepcopy(obj)) == expected


def test_strict_decoding_message_joins_every_unknown_field() -> None:
    assert decode.strict_message(["spec.foo", "spec.template.bar"]) == (
        'strict decoding error: unknown field "spec.foo", unknown field "spec.template.bar"'
    )


def test_preserve_unknown_fields_accept_anything() -> None:
    node = schema.from_crd({"type": "object", "x-kubernetes-preserve-unknown-fields": True})
    assert decode.drop_unknown_fields(node, {"spec": {"anything": {"goes": [1]}}}) == []
