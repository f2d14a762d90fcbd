"""Decoding Kubernetes protobuf request bodies into the JSON object a client would have sent.

kubectl's generator commands (`create deployment`, `create secret`, `run`, `expose`, ...)
POST typed objects as `application/vnd.kubernetes.protobuf` and do not retry as JSON. The
body is the magic `k8s\\x00` and a `runtime.Unknown` envelope: `typeMeta` (apiVersion, kind)
and `raw`, the object's message. `decode` reads it with a plain wire-format parser driven by
`protobuf_types.json` (generated from kubectl's own descriptors and Go structs by
`scripts/gen_k8s_protobuf.py`), so the server needs no protobuf library.

The result is what Go's JSON encoding of the same object gives: fields under their JSON names,
inline structs merged into their parent, zero scalars dropped where Go's `omitempty` drops
them (the table marks those fields), `bytes` as base64, and the types with custom JSON forms
(Time, MicroTime, IntOrString, Quantity, RawExtension, FieldsV1) converted.

Called by `decode.object_body`; malformed bodies raise `errors.bad_request`.
"""

from __future__ import annotations

import base64
import datetime
import functools
import importlib.resources
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import orjson

from gitferry.apiserver import errors

MAGIC = b"k8s\x00"
VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5
SCALAR_WIRE = {"s": LENGTH, "y": LENGTH, "b": VARINT, "i": VARINT}
ZERO: dict[str, Any] = {"s": "", "y": b"", "b": False, "i": 0}


class Field(NamedTuple):
    """One message field of the table."""

    json_name: str  # "" = an inline struct, merged into the parent object
    kind: str  # "s", "y", "b", "i" or a message name; for maps, the value's kind
    repeated: bool
    map_key: str | None  # the key's kind for a map
    omit_zero: bool  # Go drops its zero value (non-pointer scalar, omitempty)


class Table(NamedTuple):
    kinds: dict[str, str]  # "apps/v1/Deployment" -> "apps.v1.Deployment"
    messages: dict[str, dict[int, Field]]


def decode(body: bytes, expected_kind: str | None = None) -> dict[str, Any]:
    """The JSON-shaped object of a protobuf body, with `apiVersion` and `kind` from the
    envelope. `expected_kind` (the endpoint's kind) stands in for an envelope without one."""
    if not body.startswith(MAGIC):
        raise errors.bad_request("protobuf body: missing the k8s\\x00 prefix")
    envelope = _length_fields(body[len(MAGIC) :], "runtime.Unknown")
    if envelope.get(3) or envelope.get(4, b"") not in (b"", b"application/vnd.kubernetes.protobuf"):
        raise errors.bad_request("protobuf body: unsupported content encoding or type")
    type_meta = _length_fields(envelope.get(1, b""), "runtime.TypeMeta")
    api_version = type_meta.get(1, b"").decode("utf-8", "replace")
    kind = type_meta.get(2, b"").decode("utf-8", "replace") or expected_kind or ""
    name = _table().kinds.get(f"{api_version}/{kind}")
    if name is None:
        raise errors.bad_request(
            f'protobuf body: no kind "{kind}" is registered for version "{api_version}"'
        )
    obj = _message(envelope.get(2, b""), name)
    return {"apiVersion": api_version, "kind": kind, **obj}


@functools.cache
def _table() -> Table:
    """Load (once per process) the generated message table."""
    source = importlib.resources.files("gitferry.apiserver").joinpath("protobuf_types.json")
    raw = orjson.loads(source.read_bytes())
    messages = {
        name: {int(number): _field(*entry) for number, entry in fields.items()}
        for name, fields in raw["messages"].items()
    }
    return Table(raw["kinds"], messages)


def _field(json_name: str, kind: str, omit_zero: int = 0) -> Field:
    repeated = kind.startswith("*")
    map_key, _, value = kind.lstrip("*").rpartition(">")
    return Field(json_name, value, repeated, map_key or None, bool(omit_zero))


def _message(data: bytes, name: str) -> Any:
    """Decode one message; the special types become their JSON values."""
    fields = _table().messages[name]
    values: dict[int, Any] = {}
    for number, wire, raw in _fields(data, name):
        field = fields.get(number)
        if field is None:
            continue  # unknown fields are skipped, as the Go decoder does
        where = f"{name} field {number}"
        if field.map_key is not None:
            key, value = _map_entry(wire, raw, field, where)
            values.setdefault(number, {})[key] = value
        elif field.repeated and wire == LENGTH and field.kind in ("b", "i"):
            values.setdefault(number, []).extend(_packed(raw, field.kind, where))
        elif field.repeated:
            values.setdefault(number, []).append(_value(field.kind, wire, raw, where))
        else:
            values[number] = _value(field.kind, wire, raw, where)
    special = SPECIAL.get(name)
    if special is not None:
        return special({fields[n].json_name: value for n, value in values.items()})
    return _object(fields, values)


def _object(fields: dict[int, Field], values: dict[int, Any]) -> dict[str, Any]:
    """Go's JSON form of a decoded message: empty lists, maps and bytes are left out (Go
    gives `null` or nothing), zeros where `omitempty` drops them, and the zero time."""
    obj: dict[str, Any] = {}
    for number, value in values.items():
        field = fields[number]
        if value is None or (field.omit_zero and value in ("", 0)):
            continue
        if not value and (field.repeated or field.map_key is not None or field.kind == "y"):
            continue
        if not field.json_name and isinstance(value, dict):
            obj.update(value)
        else:
            obj[field.json_name] = _json(value)
    return obj


def _json(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, list):
        return [_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    return value


def _value(kind: str, wire: int, raw: int | bytes, where: str) -> Any:
    expected = SCALAR_WIRE.get(kind, LENGTH)
    if wire != expected:
        raise errors.bad_request(f"protobuf body: {where}: wire type {wire}, expected {expected}")
    if isinstance(raw, int):
        if kind == "b":
            return raw != 0
        return raw - (1 << 64) if raw >= 1 << 63 else raw  # int32 and int64 are two's complement
    if kind == "s":
        # Go does not check UTF-8 in protobuf strings; its JSON encoder replaces bad bytes.
        return raw.decode("utf-8", "replace")
    if kind == "y":
        return raw
    return _message(raw, kind)


def _packed(raw: int | bytes, kind: str, where: str) -> Iterator[Any]:
    assert isinstance(raw, bytes)  # the wire type is LENGTH
    pos = 0
    while pos < len(raw):
        number, pos = _varint(raw, pos, where)
        yield _value(kind, VARINT, number, where)


def _map_entry(wire: int, raw: int | bytes, field: Field, where: str) -> tuple[str, Any]:
    """A map entry message: key (field 1) and value (field 2), zero values when absent."""
    if not isinstance(raw, bytes) or wire != LENGTH:
        raise errors.bad_request(f"protobuf body: {where}: a map entry must be a message")
    entry: dict[int, Any] = {}
    for number, entry_wire, value in _fields(raw, where):
        if number in (1, 2):
            kind = field.kind if number == 2 else str(field.map_key)
            entry[number] = _value(kind, entry_wire, value, where)
    if 2 not in entry:
        entry[2] = ZERO[field.kind] if field.kind in ZERO else _message(b"", field.kind)
    return str(entry.get(1, "")), entry[2]


def _length_fields(data: bytes, where: str) -> dict[int, bytes]:
    """The length-delimited fields of a message of strings and messages (the envelope)."""
    found: dict[int, bytes] = {}
    for number, wire, value in _fields(data, where):
        if wire != LENGTH or not isinstance(value, bytes):
            raise errors.bad_request(f"protobuf body: {where}: field {number} has wire type {wire}")
        found[number] = value
    return found


def _fields(data: bytes, where: str) -> Iterator[tuple[int, int, int | bytes]]:
    """The (field number, wire type, value) of each field; ints for varints, else bytes."""
    pos, end = 0, len(data)
    while pos < end:
        key, pos = _varint(data, pos, where)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise errors.bad_request(f"protobuf body: {where}: illegal field number 0")
        if wire == VARINT:
            value, pos = _varint(data, pos, where)
            yield number, wire, value
            continue
        if wire == LENGTH:
            size, pos = _varint(data, pos, where)
        elif wire in (FIXED64, FIXED32):
            size = 8 if wire == FIXED64 else 4
        else:
            raise errors.bad_request(f"protobuf body: {where}: unsupported wire type {wire}")
        if pos + size > end:
            raise errors.bad_request(f"protobuf body: {where}: truncated field {number}")
        yield number, wire, data[pos : pos + size]
        pos += size


def _varint(data: bytes, pos: int, where: str) -> tuple[int, int]:
    value = 0
    for shift in range(0, 70, 7):
        if pos >= len(data):
            raise errors.bad_request(f"protobuf body: {where}: truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value & ((1 << 64) - 1), pos
    raise errors.bad_request(f"protobuf body: {where}: varint longer than 10 bytes")


# --- the types whose JSON form is not their message -----------------------------------------


def _time(micro: bool) -> Callable[[dict[str, Any]], str | None]:
    """meta.v1.Time (RFC 3339 in seconds: Go drops the nanos on decode) and MicroTime."""

    def convert(value: dict[str, Any]) -> str | None:
        if not value:
            return None  # the zero time: Go writes no fields, and `null` in JSON
        seconds, nanos = value.get("seconds", 0), value.get("nanos", 0) if micro else 0
        try:
            moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(
                seconds=seconds, microseconds=nanos // 1000
            )
        except OverflowError as err:
            raise errors.bad_request(f"protobuf body: time out of range: {seconds}s") from err
        return moment.isoformat(timespec="microseconds" if micro else "seconds") + "Z"

    return convert


def _int_or_string(value: dict[str, Any]) -> int | str:
    kind = value.get("type", 0)
    if kind not in (0, 1):
        raise errors.bad_request(f"protobuf body: IntOrString has an unknown type {kind}")
    return str(value.get("strVal", "")) if kind == 1 else int(value.get("intVal", 0))


def _raw_json(key: str) -> Callable[[dict[str, Any]], Any]:
    """RawExtension and FieldsV1: their bytes are the JSON value itself."""

    def convert(value: dict[str, Any]) -> Any:
        raw = value.get(key)
        if not raw:
            return None
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as err:
            raise errors.bad_request(f"protobuf body: embedded object is not JSON: {err}") from err

    return convert


SPECIAL: dict[str, Callable[[dict[str, Any]], Any]] = {
    "meta.v1.Time": _time(micro=False),
    "meta.v1.MicroTime": _time(micro=True),
    "intstr.IntOrString": _int_or_string,
    "resource.Quantity": lambda value: value.get("string") or "0",
    "runtime.RawExtension": _raw_json("raw"),
    "meta.v1.FieldsV1": _raw_json("Raw"),
}
