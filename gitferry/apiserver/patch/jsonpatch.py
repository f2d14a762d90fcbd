"""JSON patch (`application/json-patch+json`, RFC 6902), as kube-apiserver 1.32 applies it
with gopkg.in/evanphx/json-patch.v4.

Called by the PATCH handler of the API server (`registry.patch`) with the stored object and
the decoded body. The rules (reference/kubernetes-write-semantics.md 3.2), v4's quirks kept:

* `add` sets an object member (created or overwritten) or inserts into an array at an index
  from 0 to its length; `-` appends; negative indices count from the end (`-1` appends);
* `remove` needs the member or index; `replace` needs the array index, but v4 adds a missing
  object member; `move` needs its `from`; `copy` from a missing object member copies `null`;
* `test` passes when the values are equal as JSON: numbers by value (v4 compares their text,
  so there `1.0` fails against `1`; kubectl never sends such tests), booleans only to
  booleans; `null` also matches a missing member;
* paths use `~1` for `/` and `~0` for `~`; the root (`""`) can only be replaced (by an object
  or array) or tested; v4 ignores whatever precedes a path's first `/`;
* every failing operation is the generic 422, never the library's message; more than 10,000
  operations is 413; a body that is not an array of objects is 400 (`null` is no operation).

Containers are copied the first time an operation writes into them, so a long patch on a
large object copies each touched container once.
"""

from __future__ import annotations

import re
from typing import Any

from gitferry.apiserver import errors

MAX_OPERATIONS = 10_000

_MISSING = object()
_ESCAPE = re.compile("~[01]")
_INDEX = re.compile("[+-]?[0-9]+")
_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "bool", int: "number"}


def apply(document: Any, operations: Any) -> Any:
    """The document `document` becomes under the `operations` of a JSON patch body.

    Neither input is mutated; the result shares untouched containers with `document`."""
    operations = _operations(operations)
    if len(operations) > MAX_OPERATIONS:
        raise errors.too_large(
            "Request entity too large: The allowed maximum operations in a JSON patch is "
            f"{MAX_OPERATIONS}, got {len(operations)}"
        )
    if not isinstance(document, (dict, list)):
        raise errors.generic_invalid()
    patched = _Document(document)
    for operation in operations:
        patched.run(operation)
    return patched.root


def _operations(body: Any) -> list[Any]:
    """The operations of a body, or the 400 of the API server's strict decoding."""
    if body is None:
        return []  # Go decodes a JSON null into an empty patch
    if not isinstance(body, list):
        raise _undecodable(body, "[]map[string]interface {}")
    for operation in body:
        if operation is not None and not isinstance(operation, dict):
            raise _undecodable(operation, "map[string]interface {}")
    return body


def _undecodable(value: Any, go_type: str) -> errors.ApiError:
    json_type = _JSON_TYPES.get(type(value), "number")
    return errors.bad_request(
        f"error decoding patch: json: cannot unmarshal {json_type} into Go value of type {go_type}"
    )


class _Document:
    """The document being patched, copied container by container as operations write."""

    def __init__(self, document: Any) -> None:
        # Our copies, by id (holding them keeps the ids from being reused).
        self._owned: dict[int, Any] = {}
        self.root = self._own(document)

    def run(self, operation: Any) -> None:
        kind = operation.get("op") if isinstance(operation, dict) else None
        handler = {
            "add": self._add,
            "remove": self._remove,
            "replace": self._replace,
            "move": self._move,
            "copy": self._copy,
            "test": self._test,
        }.get(kind if isinstance(kind, str) else "")
        if handler is None:
            raise errors.generic_invalid()
        handler(operation)

    # -- operations ----------------------------------------------------------------------

    def _add(self, operation: dict[str, Any]) -> None:
        container, key = self._parent(_path(operation, "path"), writable=True)
        # Without "value", v4 adds null.
        _insert(container, key, self._fresh(operation.get("value")))

    def _remove(self, operation: dict[str, Any]) -> None:
        container, key = self._parent(_path(operation, "path"), writable=True)
        _delete(container, key)

    def _replace(self, operation: dict[str, Any]) -> None:
        path = _path(operation, "path")
        value = operation.get("value", _MISSING)
        if path == "":
            if not isinstance(value, (dict, list)):
                raise errors.generic_invalid()
            self.root = self._fresh(value)
            return
        container, key = self._parent(path, writable=True)
        where = _position(key, len(container)) if isinstance(container, list) else key
        # v4 sets a missing object member instead of failing; without "value" it sets null.
        container[where] = self._fresh(None if value is _MISSING else value)

    def _move(self, operation: dict[str, Any]) -> None:
        container, key = self._parent(_path(operation, "from"), writable=True)
        value = _read(container, key)
        _delete(container, key)
        target, target_key = self._parent(_path(operation, "path"), writable=True)
        _insert(target, target_key, value)

    def _copy(self, operation: dict[str, Any]) -> None:
        container, key = self._parent(_path(operation, "from"), writable=False)
        value = _read(container, key)
        target, target_key = self._parent(_path(operation, "path"), writable=True)
        _insert(target, target_key, self._fresh(value))

    def _test(self, operation: dict[str, Any]) -> None:
        path = _path(operation, "path")
        expected = operation.get("value", _MISSING)
        if path == "":
            actual = self.root
        else:
            container, key = self._parent(path, writable=False)
            actual = _read(container, key)
        if actual is None and expected is None:
            return  # null, or nothing at all, tested against null
        if expected is _MISSING or not _equal(actual, expected):
            raise errors.generic_invalid()

    # -- paths and copies -------------------------------------------------------------------

    def _parent(self, path: str, *, writable: bool) -> tuple[Any, str]:
        """The container of the member `path` names (ours when `writable`), and its key."""
        parts = path.split("/")
        if len(parts) < 2:
            raise errors.generic_invalid()
        container = self.root
        for part in parts[1:-1]:
            key: Any = _unescape(part)
            if isinstance(container, list):
                key = _position(key, len(container))
                child = container[key]
            else:
                child = container.get(key)
            if not isinstance(child, (dict, list)):
                raise errors.generic_invalid()
            if writable and id(child) not in self._owned:
                child = container[key] = self._own(child)
            container = child
        return container, _unescape(parts[-1])

    def _own(self, container: Any) -> Any:
        """A shallow copy of a container of the document, which operations may change."""
        mine = dict(container) if isinstance(container, dict) else list(container)
        self._owned[id(mine)] = mine
        return mine

    def _fresh(self, value: Any) -> Any:
        """A deep copy of a value entering the document, ours to change."""
        if isinstance(value, dict):
            mine: Any = {key: self._fresh(item) for key, item in value.items()}
        elif isinstance(value, list):
            mine = [self._fresh(item) for item in value]
        else:
            return value
        self._owned[id(mine)] = mine
        return mine


def _path(operation: dict[str, Any], field: str) -> str:
    value = operation.get(field)
    if not isinstance(value, str):
        raise errors.generic_invalid()
    return value


def _unescape(part: str) -> str:
    if "~" not in part:
        return part
    return _ESCAPE.sub(lambda match: "/" if match.group() == "~1" else "~", part)


def _position(key: str, length: int, *, insert: bool = False) -> int:
    """The array position `key` names: an index below `length` (up to it when inserting),
    or a negative one counted from the end."""
    if not _INDEX.fullmatch(key):
        raise errors.generic_invalid()
    index, size = int(key), length + 1 if insert else length
    if index < 0:
        index += size
    if not 0 <= index < size:
        raise errors.generic_invalid()
    return index


def _read(container: Any, key: str) -> Any:
    """The value at `key` (None for a missing object member, as v4 has it)."""
    if isinstance(container, list):
        return container[_position(key, len(container))]
    return container.get(key)


def _insert(container: Any, key: str, value: Any) -> None:
    if isinstance(container, dict):
        container[key] = value
    elif key == "-":
        container.append(value)
    else:
        container.insert(_position(key, len(container), insert=True), value)


def _delete(container: Any, key: str) -> None:
    if isinstance(container, list):
        del container[_position(key, len(container))]
    elif key in container:
        del container[key]
    else:
        raise errors.generic_invalid()


def _equal(left: Any, right: Any) -> bool:
    """JSON equality: numbers by value, but a boolean only equals a boolean."""
    if isinstance(left, dict):
        return (
            isinstance(right, dict)
            and left.keys() == right.keys()
            and all(_equal(item, right[key]) for key, item in left.items())
        )
    if isinstance(left, list):
        return isinstance(right, list) and len(left) == len(right) and all(map(_equal, left, right))
    numbers = (int, float)
    if isinstance(left, numbers) and isinstance(right, numbers):
        return isinstance(left, bool) == isinstance(right, bool) and left == right
    return type(left) is type(right) and left == right
