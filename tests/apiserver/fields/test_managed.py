"""managedFields entries (reference 1.5): what decodes and what is rejected, manager
identities and how conflict messages name them, entry order, the ten-Update cap, the reset
request forms, and reverting time-stamp-only changes.
"""

from __future__ import annotations

from typing import Any

import pytest

from gitferry.apiserver.fields import managed
from gitferry.apiserver.fields.managed import APPLY, UPDATE, Entry, Identity


def entry(manager: str, operation: str = APPLY, **extra: Any) -> dict[str, Any]:
    """An entry with its fields in the order kube-apiserver writes them."""
    out: dict[str, Any] = {"manager": manager, "operation": operation, "apiVersion": "v1"}
    if "time" in extra:
        out["time"] = extra.pop("time")
    out.update({"fieldsType": "FieldsV1", "fieldsV1": {"f:data": {}}})
    out.update(extra)
    return out


DECODE_ERRORS = [
    pytest.param(
        [entry("a", "Bogus")], "operation must be `Apply` or `Update`", id="unknown-operation"
    ),
    pytest.param([entry("a", apiVersion="")], "apiVersion must not be empty", id="no-api-version"),
    pytest.param(
        [entry("a", fieldsType="")],
        "missing fieldsType in managed fields entry 0",
        id="no-fields-type",
    ),
    pytest.param(
        [entry("a"), entry("b", fieldsType="FieldsV2")],
        'invalid fieldsType "FieldsV2" in managed fields entry 1',
        id="unknown-fields-type",
    ),
    pytest.param(
        [entry("a", fieldsV1=[])],
        "error decoding set: FieldsV1 must be a JSON object",
        id="fields-not-an-object",
    ),
    pytest.param([entry("a", time="yesterday")], "invalid time 'yesterday'", id="bad-time"),
    pytest.param({"manager": "a"}, "managedFields must be a list", id="not-a-list"),
]


@pytest.mark.parametrize(("entries", "message"), DECODE_ERRORS)
def test_decode_rejects(entries: Any, message: str) -> None:
    with pytest.raises(managed.DecodeError, match="^" + message.replace("(", r"\(") + "$"):
        managed.decode(entries)


def test_decode_keeps_canonical_entries_and_rewrites_others() -> None:
    canonical = entry("a", time="2025-01-02T03:04:05Z")
    shifted = entry("b", time="2025-01-02T05:04:05.9+02:00", fieldsV1={"f:z": {}, "f:a": {}})
    decoded = managed.decode([canonical, shifted])
    assert managed.encode(decoded)[0] is canonical
    assert managed.encode(decoded)[1] == entry(
        "b", time="2025-01-02T03:04:05Z", fieldsV1={"f:a": {}, "f:z": {}}
    )


def test_decode_identity_ignores_apply_api_version_and_later_entries_win() -> None:
    decoded = managed.decode(
        [entry("a", fieldsV1={"f:x": {}}), entry("a", apiVersion="v2", fieldsV1={"f:y": {}})]
    )
    assert list(decoded) == [Identity("a", APPLY)]
    assert decoded[Identity("a", APPLY)].fields == {"f:y": {}}


IDENTITIES = [
    pytest.param(Identity("a", APPLY), '{"manager":"a","operation":"Apply"}', '"a"', id="apply"),
    pytest.param(
        Identity("a", APPLY, subresource="status"),
        '{"manager":"a","operation":"Apply","subresource":"status"}',
        '"a" with subresource "status"',
        id="apply-via-subresource",
    ),
    pytest.param(
        Identity("m", UPDATE, "apps/v1"),
        '{"manager":"m","operation":"Update","apiVersion":"apps/v1"}',
        '"m" using apps/v1',
        id="update",
    ),
    pytest.param(
        Identity("m", UPDATE, "v1", "status"),
        '{"manager":"m","operation":"Update","apiVersion":"v1","subresource":"status"}',
        '"m" with subresource "status" using v1',
        id="update-via-subresource",
    ),
    pytest.param(
        managed.identity("", UPDATE, "v1", None),
        '{"manager":"unknown","operation":"Update","apiVersion":"v1"}',
        '"unknown" using v1',
        id="nameless-is-unknown",
    ),
    pytest.param(
        managed.identity("k", APPLY, "apps/v1", ""),
        '{"manager":"k","operation":"Apply"}',
        '"k"',
        id="apply-drops-api-version",
    ),
]


@pytest.mark.parametrize(("ident", "key", "described"), IDENTITIES)
def test_identities(ident: Identity, key: str, described: str) -> None:
    assert (ident.key, ident.describe()) == (key, described)


def test_entries_sorted_by_operation_time_manager_version_subresource() -> None:
    fields = {"f:a": {}}
    current = {
        Identity("z", UPDATE, "v1"): Entry(fields, "v1", "2025-01-01T00:00:01Z"),
        Identity("b", UPDATE, "v2"): Entry(fields, "v2", "2025-01-01T00:00:00Z"),
        Identity("b", UPDATE, "v1"): Entry(fields, "v1", "2025-01-01T00:00:00Z"),
        Identity("b", UPDATE, "v1", "status"): Entry(fields, "v1", "2025-01-01T00:00:00Z"),
        Identity("y", APPLY): Entry(fields, "v1", "2025-01-01T00:00:09Z"),
        Identity("x", APPLY): Entry(fields, "v1", None),
    }
    assert [
        (e["manager"], e["apiVersion"], e.get("subresource")) for e in managed.encode(current)
    ] == [
        ("x", "v1", None),
        ("y", "v1", None),
        ("b", "v1", None),
        ("b", "v1", "status"),
        ("b", "v2", None),
        ("z", "v1", None),
    ]


def test_eleventh_update_folds_the_two_oldest_into_ancient_changes() -> None:
    current = {
        Identity(f"m{i}", UPDATE, "v1"): Entry({f"f:k{i}": {}}, "v1", f"2025-01-01T00:00:{i:02d}Z")
        for i in range(11)
    }
    current[Identity("applier", APPLY)] = Entry({"f:x": {}}, "v1", "2025-01-01T00:00:00Z")
    capped = managed.cap_updates(current)
    bucket = Identity("ancient-changes", UPDATE, "v1")
    assert capped[bucket] == Entry({"f:k1": {}, "f:k0": {}}, "v1", "2025-01-01T00:00:01Z")
    assert sorted(i.manager for i in capped) == sorted(
        ["ancient-changes", "applier", *(f"m{i}" for i in range(2, 11))]
    )


RESETS = [
    pytest.param([], True, id="empty-list"),
    pytest.param([{}], True, id="one-empty-entry"),
    pytest.param(
        [{"manager": "", "time": None, "unknown": 1}], True, id="entry-with-only-zero-values"
    ),
    pytest.param([{"fieldsV1": {}}], False, id="entry-with-fields"),
    pytest.param([{}, {}], False, id="two-empty-entries"),
    pytest.param(None, False, id="absent"),
]


@pytest.mark.parametrize(("entries", "expected"), RESETS)
def test_reset_forms(entries: Any, expected: bool) -> None:
    assert managed.is_reset(entries) is expected


def with_entries(data: str, times: list[str | None]) -> dict[str, Any]:
    entries = [entry(f"m{i}", time=t) if t else entry(f"m{i}") for i, t in enumerate(times)]
    return {"metadata": {"name": "x", "managedFields": entries}, "data": {"k": data}}


OLD = with_entries("v", ["2025-01-01T00:00:00Z"])
TIMESTAMPS = [
    pytest.param(
        with_entries("v", ["2025-01-01T00:00:09Z"]), OLD, id="only-times-differ-old-ones-kept"
    ),
    pytest.param(
        with_entries("w", ["2025-01-01T00:00:09Z"]),
        with_entries("w", ["2025-01-01T00:00:09Z"]),
        id="object-differs",
    ),
    pytest.param(
        with_entries("v", ["2025-01-01T00:00:09Z", None]),
        with_entries("v", ["2025-01-01T00:00:09Z", None]),
        id="entry-added",
    ),
]


@pytest.mark.parametrize(("new", "expected"), TIMESTAMPS)
def test_keep_old_timestamps(new: dict[str, Any], expected: dict[str, Any]) -> None:
    assert managed.keep_old_timestamps(OLD, new) == expected
