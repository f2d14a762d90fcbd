"""managedFields for POST, PUT and non-apply PATCH (reference 1.10 and the reset rules of
1.5): the writer owns what it added or changed (with "." on every added node), everyone
else loses it and whatever was removed; where a write starts from when the request carries
managedFields; when an object is (not) tracked.

Each row is (stored object, new object, write options) and the entries that come out, as
(manager, operation, apiVersion, subresource, time, FieldsV1).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gitferry.apiserver import schema
from gitferry.apiserver.fields import fieldset, update

CONFIGMAP = schema.builtin().by_gvk[("", "v1", "ConfigMap")]
DEPLOYMENT = schema.builtin().by_gvk[("apps", "v1", "Deployment")]
T0, T1 = "2025-01-02T03:04:00Z", "2025-01-02T03:04:01Z"
UID = "0b0b0b0b-0000-4000-8000-000000000001"


def entry(
    manager: str, operation: str, fields: dict[str, Any], time: str = T0, **extra: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"manager": manager, "operation": operation}
    out["apiVersion"] = extra.pop("apiVersion", "v1")
    out["time"] = time
    out.update({"fieldsType": "FieldsV1", "fieldsV1": fields})
    out.update(extra)
    return out


def cm(data: dict[str, str], *entries: dict[str, Any], **meta: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "web", "namespace": "default", **meta}
    if entries:
        metadata["managedFields"] = list(entries)
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data}


def stored(obj: dict[str, Any]) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    obj["metadata"]["uid"] = UID
    return obj


ALICE_AB = entry("alice", "Apply", {"f:data": {"f:a": {}, "f:b": {}}})
LIVE = stored(cm({"a": "1", "b": "2"}, ALICE_AB))


def without_entries(obj: dict[str, Any]) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    obj["metadata"].pop("managedFields", None)
    return obj


def with_entries(obj: dict[str, Any], entries: Any) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    obj["metadata"]["managedFields"] = entries
    return obj


def rows(entries: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            e["manager"],
            e["operation"],
            e["apiVersion"],
            e.get("subresource"),
            e.get("time"),
            fieldset.to_json(e["fieldsV1"]),
        )
        for e in entries
    ]


ALICE_AB_ROW = ("alice", "Apply", "v1", None, T0, '{"f:data":{"f:a":{},"f:b":{}}}')
ALICE_B_ROW = ("alice", "Apply", "v1", None, T0, '{"f:data":{"f:b":{}}}')

TRACKED = [
    pytest.param(
        None,
        cm({"a": "1"}, labels={"x": "y"}),
        {},
        [
            (
                "m",
                "Update",
                "v1",
                None,
                T1,
                '{"f:data":{".":{},"f:a":{}},"f:metadata":{"f:labels":{".":{},"f:x":{}}}}',
            )
        ],
        id="create-owns-everything-with-dots-on-added-nodes",
    ),
    pytest.param(
        LIVE,
        cm({"a": "9", "b": "2"}),
        {},
        [ALICE_B_ROW, ("m", "Update", "v1", None, T1, '{"f:data":{"f:a":{}}}')],
        id="update-takes-what-it-changes-silently",
    ),
    pytest.param(
        LIVE,
        cm({"b": "2"}),
        {},
        [ALICE_B_ROW],
        id="pure-removal-gains-nothing-and-leaves-every-set",
    ),
    pytest.param(
        stored(cm({"a": "1", "b": "2"}, entry("m", "Update", {"f:data": {"f:b": {}}}))),
        cm({"a": "9", "b": "2"}),
        {},
        [("m", "Update", "v1", None, T1, '{"f:data":{"f:a":{},"f:b":{}}}')],
        id="updater-keeps-its-fields-and-its-time-moves",
    ),
    pytest.param(
        stored(cm({"a": "1"}, entry("m", "Update", {"f:data": {"f:a": {}}}))),
        cm({"a": "1", "b": "2"}),
        {"api_version": "v2"},
        [
            ("m", "Update", "v1", None, T0, '{"f:data":{"f:a":{}}}'),
            ("m", "Update", "v2", None, T1, '{"f:data":{"f:b":{}}}'),
        ],
        id="updates-through-another-version-are-another-manager",
    ),
    pytest.param(
        LIVE, with_entries(cm({"a": "9"}), []), {}, [], id="empty-list-untracks-an-existing-object"
    ),
    pytest.param(
        LIVE, with_entries(cm({"a": "9"}), [{}]), {}, [], id="one-empty-entry-untracks-too"
    ),
    pytest.param(
        None,
        with_entries(cm({"a": "1"}), []),
        {},
        [("m", "Update", "v1", None, T1, '{"f:data":{".":{},"f:a":{}}}')],
        id="reset-on-create-still-tracks-the-creator",
    ),
    pytest.param(
        LIVE,
        with_entries(cm({"a": "9", "b": "2"}), [entry("alice", "Apply", {"f:data": {"f:b": {}}})]),
        {},
        [ALICE_B_ROW, ("m", "Update", "v1", None, T1, '{"f:data":{"f:a":{}}}')],
        id="valid-request-list-replaces-the-stored-one",
    ),
    pytest.param(
        LIVE,
        with_entries(cm({"a": "1", "b": "2", "c": "3"}), [{"operation": "Bogus"}]),
        {},
        [ALICE_AB_ROW, ("m", "Update", "v1", None, T1, '{"f:data":{"f:c":{}}}')],
        id="undecodable-request-list-keeps-the-stored-one",
    ),
    pytest.param(
        LIVE,
        with_entries(cm({"a": "1", "b": "2", "c": "3"}), []),
        {"subresource": "status"},
        [
            ALICE_AB_ROW,
            ("m", "Update", "v1", "status", T1, '{"f:data":{"f:c":{}}}'),
        ],
        id="subresource-write-ignores-request-list",
    ),
    pytest.param(
        stored(cm({"a": "1"})),
        cm({"a": "2"}),
        {},
        [],
        id="existing-untracked-object-stays-untracked",
    ),
    pytest.param(
        stored(cm({"a": "1"}, entry("x", "Bogus", {"f:data": {"f:a": {}}}))),
        cm({"a": "2"}),
        {},
        [],
        id="undecodable-stored-list-leaves-the-request-as-sent",
    ),
]


@pytest.mark.parametrize(("live", "new", "options", "expected"), TRACKED)
def test_track_update(
    live: dict[str, Any] | None, new: dict[str, Any], options: dict[str, Any], expected: list[Any]
) -> None:
    before = copy.deepcopy(live)
    entries = update.track_update(
        live,
        new,
        manager="m",
        node=CONFIGMAP,
        api_version=options.get("api_version", "v1"),
        subresource=options.get("subresource"),
        reset_fields=(),
        now=T1,
    )
    assert rows(entries) == expected
    assert live == before


def test_write_that_changes_nothing_returns_the_stored_entries() -> None:
    entries = update.track_update(
        LIVE,
        without_entries(LIVE),
        manager="m",
        node=CONFIGMAP,
        api_version="v1",
        subresource=None,
        reset_fields=(),
        now=T1,
    )
    assert entries[0] is LIVE["metadata"]["managedFields"][0]


def test_reset_fields_are_nobodys() -> None:
    live = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "uid": UID, "managedFields": [ALICE_AB]},
        "spec": {"replicas": 1},
        "status": {"replicas": 1},
    }
    new = {**without_entries(live), "status": {"replicas": 2}, "spec": {"replicas": 3}}
    entries = update.track_update(
        live,
        new,
        manager="m",
        node=DEPLOYMENT,
        api_version="apps/v1",
        subresource=None,
        reset_fields=(("status",),),
        now=T1,
    )
    assert rows(entries)[1] == ("m", "Update", "apps/v1", None, T1, '{"f:spec":{"f:replicas":{}}}')


def test_eleventh_updater_pushes_the_oldest_into_ancient_changes() -> None:
    data = {f"k{i}": "v" for i in range(10)}
    entries = [
        entry(f"m{i}", "Update", {"f:data": {f"f:k{i}": {}}}, f"2025-01-01T00:00:{i:02d}Z")
        for i in range(10)
    ]
    live = stored(cm(data, *entries))
    new = cm({**data, "new": "v"})
    out = update.track_update(
        live,
        new,
        manager="m10",
        node=CONFIGMAP,
        api_version="v1",
        subresource=None,
        reset_fields=(),
        now=T1,
    )
    assert [e["manager"] for e in out] == ["ancient-changes", *(f"m{i}" for i in range(2, 11))]
    assert out[0]["time"] == "2025-01-01T00:00:01Z"
    assert fieldset.to_json(out[0]["fieldsV1"]) == '{"f:data":{"f:k0":{},"f:k1":{}}}'
