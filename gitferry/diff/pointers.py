"""Copy-on-write removal of fields from JSON documents: RFC 6901 pointers (`jsonPointers` of
`ignoreDifferences`, reference 4.4) and plain key paths (normalisers, managed fields).

Documents are shared with the caller (the watch cache's live objects, rendered manifests), so
nothing here mutates its input: a removal copies only the containers on the path to the
removed field and shares everything else. When nothing is removed, the input itself is
returned, so the common path (no rule matches) allocates nothing.

Pointer semantics follow the JSON patch library Argo CD uses: `~1` is `/`, `~0` is `~`; an array
index may be negative (counted from the end); a missing path, an index out of range, or a
pointer into a scalar removes nothing.

Pure; used by `diff.normalizers`, `diff.ignore` and `diff.fieldsv1`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Step = str | int


def parse_pointer(pointer: str) -> tuple[str, ...] | None:
    """The reference tokens of a pointer (`/a~1b/0` -> (`a/b`, `0`)); None when it is not one
    or is the whole document (``)."""
    if not pointer.startswith("/"):
        return None
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/"))


def _index(token: str | int, size: int) -> int | None:
    if isinstance(token, int):
        index = token
    else:
        # strconv.Atoi: optional sign, decimal digits
        digits = token[1:] if token[:1] in "+-" else token
        if not digits.isascii() or not digits.isdigit():
            return None
        index = int(token)
    if index < 0:
        index += size
    return index if 0 <= index < size else None


def remove_path(doc: Any, path: Sequence[Step]) -> Any:
    """`doc` without the value at `path` (map keys as strings, list positions as ints or
    numeric strings); `doc` itself when there is nothing there."""
    if not path:
        return doc
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        if not isinstance(head, str) or head not in doc:
            return doc
        if not rest:
            return {k: v for k, v in doc.items() if k != head}
        child = remove_path(doc[head], rest)
        if child is doc[head]:
            return doc
        return {**doc, head: child}
    if isinstance(doc, list):
        index = _index(head, len(doc))
        if index is None:
            return doc
        if not rest:
            return doc[:index] + doc[index + 1 :]
        child = remove_path(doc[index], rest)
        if child is doc[index]:
            return doc
        return [*doc[:index], child, *doc[index + 1 :]]
    return doc


def remove_pointer(doc: Any, pointer: str) -> Any:
    """`doc` without the value at an RFC 6901 pointer; `doc` itself when there is none."""
    tokens = parse_pointer(pointer)
    return doc if tokens is None else remove_path(doc, tokens)


def set_path(doc: dict[str, Any], path: Sequence[str], value: Any) -> dict[str, Any]:
    """A copy of `doc` with the map path `path` set to `value`, creating maps on the way
    (only the maps on the path are copied)."""
    head, rest = path[0], path[1:]
    if not rest:
        return {**doc, head: value}
    child = doc.get(head)
    return {**doc, head: set_path(child if isinstance(child, dict) else {}, rest, value)}
