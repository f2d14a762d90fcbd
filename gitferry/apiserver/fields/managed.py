"""managedFields entries: decoding, encoding, identities, the Update cap and time stamps.

An object's `metadata.managedFields` is decoded into `Managed`, a dict from manager `Identity`
to `Entry` (its field set, apiVersion and time), and encoded back the way kube-apiserver 1.32
writes it (reference 1.5): entries sorted by operation, time (seconds), manager, apiVersion,
subresource; JSON fields in the Go struct's order; at most ten Update entries, the oldest
folded into `ancient-changes`. An entry that nothing changed is written back as the very dict
it was read from, so a no-op write re-encodes nothing.

Identity is (manager, operation, subresource) plus apiVersion for Update only; its key (the
JSON kube-apiserver uses as a map key, e.g. `{"manager":"a","operation":"Apply"}`) orders
managers in conflict messages. Called by `apply` and `update`; `keep_old_timestamps` is also
for the write path to call after its update strategy ran.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime
import functools
import re
from dataclasses import dataclass
from typing import Any, Final

from gitferry.apiserver.fields import fieldset, typed
from gitferry.apiserver.fields.fieldset import FieldSet

APPLY: Final = "Apply"
UPDATE: Final = "Update"
MAX_UPDATE_MANAGERS: Final = 10
ANCIENT_CHANGES: Final = "ancient-changes"

# Paths no manager ever owns (stripMetaManager, plus the deletion fields gitferry's own
# delete path writes).
STRIPPED: Final = fieldset.from_paths(
    [
        ("f:apiVersion",),
        ("f:kind",),
        ("f:metadata",),
        *(
            ("f:metadata", "f:" + name)
            for name in (
                "name",
                "namespace",
                "creationTimestamp",
                "selfLink",
                "uid",
                "clusterName",
                "generation",
                "managedFields",
                "resourceVersion",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
            )
        ),
    ]
)


@dataclass(frozen=True)
class Identity:
    """Who an entry belongs to. `api_version` is "" for Apply entries."""

    manager: str
    operation: str
    api_version: str = ""
    subresource: str = ""

    @property
    def key(self) -> str:
        """kube-apiserver's manager identifier: the entry's identity fields as Go JSON."""
        return _key(self)

    def describe(self) -> str:
        """How conflict messages name the manager (`"m" with subresource "s" using v1`)."""
        text = fieldset.go_quote(self.manager)
        if self.subresource:
            text += f" with subresource {fieldset.go_quote(self.subresource)}"
        if self.operation == UPDATE:
            text += f" using {self.api_version}"
        return text


def identity(manager: str, operation: str, api_version: str, subresource: str | None) -> Identity:
    """The identity a request writes as (an empty manager name is `unknown`)."""
    return Identity(
        manager or "unknown",
        operation,
        api_version if operation == UPDATE else "",
        subresource or "",
    )


@functools.lru_cache(maxsize=4096)
def _key(ident: Identity) -> str:
    parts = []
    if ident.manager:
        parts.append(f'"manager":{fieldset.go_json(ident.manager)}')
    parts.append(f'"operation":{fieldset.go_json(ident.operation)}')
    if ident.api_version:
        parts.append(f'"apiVersion":{fieldset.go_json(ident.api_version)}')
    if ident.subresource:
        parts.append(f'"subresource":{fieldset.go_json(ident.subresource)}')
    return "{" + ",".join(parts) + "}"


@dataclass(frozen=True)
class Entry:
    """One manager's fields. `encoded` is the stored entry while it still describes this."""

    fields: FieldSet
    api_version: str
    time: str | None = None
    encoded: dict[str, Any] | None = dataclasses.field(default=None, compare=False)

    def with_fields(self, fields: FieldSet) -> Entry:
        return Entry(fields, self.api_version, self.time)

    def with_time(self, time: str) -> Entry:
        return Entry(self.fields, self.api_version, time)


Managed = dict[Identity, Entry]


class DecodeError(ValueError):
    """managedFields that kube-apiserver cannot decode."""


_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _normal_time(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise DecodeError(f"invalid time {value!r}")
    if _TIME.fullmatch(value):
        return value
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError as err:
        raise DecodeError(f"invalid time {value!r}") from err
    if parsed.tzinfo is None:
        raise DecodeError(f"invalid time {value!r}")
    return parsed.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@functools.lru_cache(maxsize=4096)
def seconds(time: str | None) -> int:
    """Unix seconds of a normalised time stamp (0 for none, as Go sorts a nil time)."""
    if not time:
        return 0
    return calendar.timegm(datetime.datetime.strptime(time, "%Y-%m-%dT%H:%M:%SZ").timetuple())


def decode(entries: Any) -> Managed:
    """The managers of a `managedFields` list (None or absent: none). Raises DecodeError with
    kube-apiserver's reason for what it rejects; a later entry replaces an earlier one of the
    same identity, as in its map."""
    managed: Managed = {}
    if entries is None:
        return managed
    if not isinstance(entries, list):
        raise DecodeError("managedFields must be a list")
    for index, raw in enumerate(entries):
        if not isinstance(raw, dict):
            raise DecodeError(f"managed fields entry {index} must be an object")
        operation = raw.get("operation")
        if operation not in (APPLY, UPDATE):
            raise DecodeError("operation must be `Apply` or `Update`")
        api_version = raw.get("apiVersion")
        if not api_version or not isinstance(api_version, str):
            raise DecodeError("apiVersion must not be empty")
        fields_type = raw.get("fieldsType") or ""
        if fields_type != "FieldsV1":
            if not fields_type:
                raise DecodeError(f"missing fieldsType in managed fields entry {index}")
            raise DecodeError(f'invalid fieldsType "{fields_type}" in managed fields entry {index}')
        manager = raw.get("manager") or ""
        subresource = raw.get("subresource") or ""
        if not isinstance(manager, str) or not isinstance(subresource, str):
            raise DecodeError(f"managed fields entry {index} has a non-string name")
        raw_fields = raw.get("fieldsV1")
        try:
            fields = {} if raw_fields is None else fieldset.decode(raw_fields)
        except ValueError as err:
            raise DecodeError(f"error decoding set: {err}") from err
        ident = Identity(
            manager, operation, api_version if operation == UPDATE else "", subresource
        )
        time = _normal_time(raw.get("time"))
        canonical = _encode_entry(ident, Entry(fields, api_version, time))
        # Keep the stored dict itself when it is exactly what encoding would write.
        same = canonical == raw and list(canonical) == list(raw)
        managed[ident] = Entry(fields, api_version, time, raw if same else canonical)
    return managed


def _encode_entry(ident: Identity, entry: Entry) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if ident.manager:
        out["manager"] = ident.manager
    out["operation"] = ident.operation
    out["apiVersion"] = entry.api_version
    if entry.time:
        out["time"] = entry.time
    out["fieldsType"] = "FieldsV1"
    out["fieldsV1"] = fieldset.encode(entry.fields)
    if ident.subresource:
        out["subresource"] = ident.subresource
    return out


def encode(managed: Managed) -> list[dict[str, Any]]:
    """The `managedFields` list for `managed` (empty: the object carries none)."""
    ordered = sorted(
        managed.items(),
        key=lambda item: (
            item[0].operation,
            seconds(item[1].time),
            item[0].manager,
            item[1].api_version,
            item[0].subresource,
        ),
    )
    return [
        entry.encoded if entry.encoded is not None else _encode_entry(ident, entry)
        for ident, entry in ordered
    ]


def is_reset(entries: Any) -> bool:
    """Whether a request's managedFields ask to clear tracking: `[]` or `[{}]`."""
    if not isinstance(entries, list):
        return False
    if not entries:
        return True
    if len(entries) != 1 or not isinstance(entries[0], dict):
        return False
    entry = entries[0]
    return all(
        entry.get(name) in (None, "")
        for name in ("manager", "operation", "apiVersion", "fieldsType", "subresource")
    ) and all(entry.get(name) is None for name in ("time", "fieldsV1"))


def cap_updates(managed: Managed) -> Managed:
    """At most MAX_UPDATE_MANAGERS Update entries: the oldest are folded, per apiVersion, into
    `ancient-changes` (capManagersManager, quirks included)."""
    updaters = [ident for ident in managed if ident.operation == UPDATE]
    if len(updaters) <= MAX_UPDATE_MANAGERS:
        return managed
    updaters.sort(key=lambda ident: (seconds(managed[ident].time), ident.key))
    out = dict(managed)
    first_of_version: dict[str, Identity] = {}
    remaining = len(updaters)
    for ident in updaters:
        if remaining <= MAX_UPDATE_MANAGERS:
            break
        entry = out[ident]
        version = entry.api_version
        bucket = Identity(ANCIENT_CHANGES, UPDATE, version)
        first = first_of_version.get(version)
        if first is None:
            first_of_version[version] = ident
            continue
        if bucket not in out:
            out[bucket] = out.pop(first)
        merged = fieldset.union(entry.fields, out[bucket].fields)
        out[bucket] = Entry(merged, version, entry.time)
        del out[ident]  # when `ident` is the bucket itself this drops it, as upstream does
        remaining -= 1
    return out


def keep_old_timestamps(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """`new`, or `new` with `old`'s managedFields when the two objects differ only in
    managedFields time stamps (IgnoreManagedFieldsTimestampsTransformer): a write that
    changes nothing but times is then a no-op."""
    old_list = (old.get("metadata") or {}).get("managedFields") or []
    new_list = (new.get("metadata") or {}).get("managedFields") or []
    if len(old_list) != len(new_list) or not new_list:
        return new
    if all(a.get("time") == b.get("time") for a, b in zip(old_list, new_list, strict=True)):
        return new
    for a, b in zip(old_list, new_list, strict=True):
        if {**a, "time": None} != {**b, "time": None}:
            return new
    reverted = {**new, "metadata": {**new["metadata"], "managedFields": old_list}}
    return reverted if typed.same(reverted, old) else new
