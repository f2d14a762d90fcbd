"""Reading the fields of a live object as Argo CD's checks read them after converting the
object to its typed Go form: a missing field is its zero value (0, "", false, empty), and a
field of the wrong type makes the conversion fail, so the object is reported Unknown instead
of being guessed at.

Used by the kind modules; `assess` turns a `FieldTypeError` into Argo CD's
`failed to convert unstructured <Kind> to typed: ...` message.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from gitferry.health.status import HealthCheckError

Obj = dict[str, Any]  # a whole object, as decoded from the API or a file
Json = Mapping[str, Any]  # any part of one

EMPTY: Json = MappingProxyType({})


class FieldTypeError(HealthCheckError):
    """A field holds a value of the wrong type for its typed form."""

    def __init__(self, key: str, expected: str, value: object) -> None:
        super().__init__(f"{key}: expected {expected}, got {type(value).__name__}")


def mapping(parent: Json, key: str) -> Json:
    """An object field (empty when missing or null)."""
    value = parent.get(key)
    if value is None:
        return EMPTY
    if isinstance(value, dict):
        return value
    raise FieldTypeError(key, "an object", value)


def integer(parent: Json, key: str) -> int:
    """An integer field (0 when missing). JSON decoders may give integral floats."""
    value = parent.get(key)
    if value is None:
        return 0
    return _integer(key, value)


def optional_integer(parent: Json, key: str) -> int | None:
    """An integer field that Go holds as a pointer (None when missing), e.g. `spec.replicas`."""
    value = parent.get(key)
    if value is None:
        return None
    return _integer(key, value)


def _integer(key: str, value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise FieldTypeError(key, "an integer", value)


def text(parent: Json, key: str) -> str:
    """A string field ("" when missing)."""
    value = parent.get(key)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    raise FieldTypeError(key, "a string", value)


def flag(parent: Json, key: str) -> bool:
    """A boolean field (false when missing)."""
    value = parent.get(key)
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    raise FieldTypeError(key, "a boolean", value)


def objects(parent: Json, key: str) -> list[Json]:
    """A list of objects (empty when missing); a null entry reads as an empty object."""
    value = parent.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise FieldTypeError(key, "a list", value)
    has_null = False
    for item in value:
        if item is None:
            has_null = True
        elif not isinstance(item, dict):
            raise FieldTypeError(key, "a list of objects", item)
    return [EMPTY if item is None else item for item in value] if has_null else value


def annotation(obj: Json, key: str) -> object:
    """The value of annotation `key` (None when absent or when the metadata is malformed)."""
    meta = obj.get("metadata")
    notes = meta.get("annotations") if isinstance(meta, dict) else None
    return notes.get(key) if isinstance(notes, dict) else None


def condition(status: Json, kind: str) -> Json | None:
    """The first entry of `status.conditions` with type `kind`."""
    for entry in objects(status, "conditions"):
        if text(entry, "type") == kind:
            return entry
    return None
