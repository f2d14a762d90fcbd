"""Sets of field paths (structured-merge-diff's `fieldpath.Set`), kept as FieldsV1-shaped tries.

A set is a dict from path element to node. Elements are the FieldsV1 keys themselves:
`f:<name>` (struct field or map key), `k:<json>` (item of a keyed list), `v:<json>` (item of a
set list) and `i:<n>` (index; read, never produced). A node is a dict too: `{}` means the path
is a member with nothing owned below it; otherwise it holds the children, plus `"."` when the
path itself is also a member. So a decoded `fieldsV1` object *is* a set, and encoding is only
putting keys in SMD's order.

Sets are immutable values: every operation returns a new dict (sharing untouched subtrees with
its inputs, often returning an input unchanged), never mutating one. Called by `typed`
(building sets from objects), `managed` (decoding and encoding managedFields), `apply` and
`update` (ownership arithmetic and conflict messages).

Also here, because FieldsV1 and the messages built from it need them: the JSON Go writes for
`k:`/`v:` elements and the kubectl last-applied annotation (sorted keys, HTML-escaped), and
Go's `%q`, `%v`, `%#v` and `%T` of decoded JSON values.
"""

from __future__ import annotations

import decimal
import functools
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

# A set, or a node of one (see the module docstring); values are always dicts of the same kind.
FieldSet = dict[str, Any]

DOT = "."
# The member-only node. Shared: sets are never mutated.
LEAF: FieldSet = {}


# --- Set arithmetic ---------------------------------------------------------------------


def _member(node: FieldSet) -> bool:
    return not node or DOT in node


def _shape(children: FieldSet, member: bool) -> FieldSet | None:
    """A node from a (fresh, mutable) children dict that may carry a stale "."."""
    children.pop(DOT, None)
    if not children:
        return LEAF if member else None
    if member:
        children[DOT] = LEAF
    return children


def union(a: FieldSet, b: FieldSet) -> FieldSet:
    """Paths in `a` or in `b`."""
    if not b or a is b:
        return a
    if not a:
        return b
    out = dict(a)
    for pe, node in b.items():
        mine = out.get(pe)
        out[pe] = node if mine is None else _union_node(mine, node)
    return out


def _union_node(x: FieldSet, y: FieldSet) -> FieldSet:
    if x is y:
        return x
    if not x:
        return y if _member(y) else {DOT: LEAF, **y}
    if not y:
        return x if DOT in x else {DOT: LEAF, **x}
    out = dict(x)
    for pe, node in y.items():
        mine = out.get(pe)
        if mine is None:
            out[pe] = node
        elif pe != DOT:
            out[pe] = _union_node(mine, node)
    return out


def difference(a: FieldSet, b: FieldSet) -> FieldSet:
    """Paths in `a` and not in `b` (membership and children subtracted separately, as SMD)."""
    if not a or not b:
        return a
    out: FieldSet | None = None
    for pe, node in b.items():
        mine = a.get(pe)
        if mine is None:
            continue
        left = _difference_node(mine, node)
        if left is mine:
            continue
        if out is None:
            out = dict(a)
        if left is None:
            del out[pe]
        else:
            out[pe] = left
    return a if out is None else out


def _difference_node(x: FieldSet, y: FieldSet) -> FieldSet | None:
    if x is y:
        return None
    if not x:
        return None if _member(y) else x
    member = DOT in x and not _member(y)
    children = difference(x, y) if y else x
    if children is x and member == (DOT in x):
        return x
    return _shape(dict(children), member)


def intersection(a: FieldSet, b: FieldSet) -> FieldSet:
    """Paths in both `a` and `b`."""
    out: FieldSet = {}
    if not a or not b:
        return out
    for pe, node in a.items():
        theirs = b.get(pe)
        if theirs is not None and pe != DOT:
            both = _intersection_node(node, theirs)
            if both is not None:
                out[pe] = both
    return out


def _intersection_node(x: FieldSet, y: FieldSet) -> FieldSet | None:
    member = _member(x) and _member(y)
    if not x or not y:
        return LEAF if member else None
    return _shape(intersection(x, y), member)


def recursive_difference(a: FieldSet, b: FieldSet) -> FieldSet:
    """`a` without every member path of `b` *and everything below it* (SMD's filter for
    reset fields)."""
    if not a or not b:
        return a
    out: FieldSet | None = None
    for pe, node in b.items():
        mine = a.get(pe)
        if mine is None or pe == DOT:
            continue
        if _member(node):
            left = None
        elif not mine:
            continue
        else:
            rest = recursive_difference(mine, node)
            if rest is mine:
                continue
            left = _shape(dict(rest), DOT in mine)
        if out is None:
            out = dict(a)
        if left is None:
            del out[pe]
        else:
            out[pe] = left
    return a if out is None else out


def has(s: FieldSet, path: tuple[str, ...]) -> bool:
    """Whether `path` is a member of `s`."""
    node: FieldSet | None = s
    for pe in path:
        if node is None:
            return False
        node = node.get(pe)
    return node is not None and _member(node)


def from_paths(paths: Iterable[tuple[str, ...]]) -> FieldSet:
    """The set whose members are `paths` (SMD's `NewSet(paths...)`)."""
    out: FieldSet = {}
    for path in paths:
        node: FieldSet = LEAF
        for pe in reversed(path):
            node = {pe: node}
        out = union(out, node)
    return out


def members(s: FieldSet) -> Iterator[tuple[str, ...]]:
    """Member paths in SMD's iteration order: a node's members (sorted), then its children."""
    return _members(s, ())


def _members(s: FieldSet, prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    ordered = sorted((pe for pe in s if pe != DOT), key=sort_key)
    for pe in ordered:
        if _member(s[pe]):
            yield (*prefix, pe)
    for pe in ordered:
        if len(s[pe]) > (DOT in s[pe]):
            yield from _members(s[pe], (*prefix, pe))


# --- Path elements ----------------------------------------------------------------------


def key_element(fields: Mapping[str, Any]) -> str:
    """`k:{...}` for a keyed-list item whose key fields (default applied) are `fields`."""
    if len(fields) == 1:
        ((name, value),) = fields.items()
        return f"k:{{{_go_string(name)}:{go_json(value)}}}"
    return "k:" + go_json(dict(fields))


def value_element(value: Any) -> str:
    """`v:<json>` for a set-list item."""
    return "v:" + go_json(value)


@functools.lru_cache(maxsize=8192)
def canonical(pe: str) -> str | None:
    """The form SMD writes back for a FieldsV1 key it reads: None for element types it
    drops as unknown; ValueError for keys it rejects."""
    if len(pe) < 2:
        raise ValueError("key must be 2 characters long")
    if pe[1] != ":":
        return None
    kind, body = pe[0], pe[2:]
    if kind == "f":
        return pe
    if kind == "i":
        return f"i:{int(body)}"
    if kind not in "kv":
        return None
    value = _parse_json(body)
    if kind == "v":
        return value_element(value)
    if not isinstance(value, dict):
        raise ValueError(f"expected an object in {pe}")
    return key_element(dict(sorted(value.items())))


def _parse_json(text: str) -> Any:
    import json

    try:
        return json.loads(text)
    except ValueError as err:
        raise ValueError(f"parsing key as path element: {err}") from err


@functools.lru_cache(maxsize=8192)
def sort_key(pe: str) -> tuple[Any, ...]:
    """SMD's order of path elements: ".", fields by name, keys, values, then indices."""
    kind = pe[0]
    if kind == "f":
        return (1, pe[2:])
    if kind == "k":
        fields = _parse_json(pe[2:])
        return (2, tuple((name, _value_key(v)) for name, v in fields.items()))
    if kind == "v":
        return (3, _value_key(_parse_json(pe[2:])))
    if kind == "i":
        return (4, int(pe[2:]))
    return (0, pe)


def _value_key(value: Any) -> tuple[Any, ...]:
    # value.Compare: numbers (ints and floats together) < strings < bools < lists < maps < null.
    if value is None:
        return (5, 0)
    if isinstance(value, bool):
        return (2, value)
    if isinstance(value, int | float):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    if isinstance(value, list):
        return (3, tuple(_value_key(v) for v in value))
    return (4, tuple((k, _value_key(v)) for k, v in sorted(value.items())))


def path_string(path: tuple[str, ...] | list[str]) -> str:
    """The path as conflict and typing errors print it: `.spec.ports[port=80,protocol="TCP"]`."""
    parts = []
    for pe in path:
        kind, body = pe[0], pe[2:]
        if kind == "f":
            parts.append("." + body)
        elif kind == "k":
            fields = _parse_json(body)
            parts.append("[" + ",".join(f"{k}={_to_string(v)}" for k, v in fields.items()) + "]")
        elif kind == "v":
            parts.append(f"[={_to_string(_parse_json(body))}]")
        else:
            parts.append(f"[{body}]")
    return "".join(parts)


def _to_string(value: Any) -> str:
    # SMD's value.ToString.
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float_v(value)
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, list):
        return "[" + ",".join(_to_string(v) for v in value) + "]"
    return "{" + ";".join(f"{k}={_to_string(v)}" for k, v in sorted(value.items())) + "}"


# --- FieldsV1 ---------------------------------------------------------------------------


def decode(fields_v1: Any) -> FieldSet:
    """The set a `fieldsV1` object stands for, normalised as SMD reads it: "." at the root
    and unknown element types dropped, `k:`/`v:` JSON rewritten canonically, a node with no
    known children counted as a member. Returns the input itself when it is already normal.
    Raises ValueError for what SMD rejects."""
    if not isinstance(fields_v1, dict):
        raise ValueError("FieldsV1 must be a JSON object")
    normal = _normal(fields_v1)
    out = fields_v1 if normal is fields_v1 else dict(normal)
    if DOT in out:
        out = dict(out)
        del out[DOT]
    return out


def _normal(raw: FieldSet) -> FieldSet:
    dirty = DOT in raw and len(raw) == 1
    for key, value in raw.items():
        if key == DOT:
            dirty = dirty or value != LEAF
            continue
        pe = key if key[:2] == "f:" else canonical(key)
        if type(value) is not dict:
            raise ValueError(f"expected an object for {key}")
        if pe != key or (value and _normal(value) is not value):
            dirty = True
    if not dirty:
        return raw
    # Rebuild: something was not in normal form.
    children: FieldSet = {}
    for key, value in raw.items():
        if key == DOT:
            continue
        pe = canonical(key)
        if pe is None:
            continue
        node = _normal(value) if value else value
        children[pe] = node if pe not in children else _union_node(children[pe], node)
    member = DOT in raw or not children
    return _shape(children, member) or LEAF


def encode(s: FieldSet) -> FieldSet:
    """The set as a `fieldsV1` object: keys in SMD's order at every level. Returns the input
    itself when it is already in that order."""
    return _ordered(s) if s else s


def _ordered(node: FieldSet) -> FieldSet:
    keys = list(node)
    ordered = sorted(keys)
    if ordered[-1][0] not in ".f":
        # Keys, values or indices: their JSON does not sort as their values do.
        ordered.sort(key=lambda pe: (0,) if pe == DOT else sort_key(pe))
    rebuilt = ordered != keys
    values = []
    for pe in ordered:
        value = node[pe]
        if value:
            child = _ordered(value) if pe != DOT else LEAF
            rebuilt = rebuilt or child is not value
            value = child
        values.append(value)
    return dict(zip(ordered, values, strict=True)) if rebuilt else node


def to_json(s: FieldSet) -> str:
    """The raw FieldsV1 bytes SMD writes for `s` (compact; keys escaped as Go escapes them)."""
    return _json_node(encode(s))


def _json_node(node: FieldSet) -> str:
    return "{" + ",".join(f"{_go_string(k)}:{_json_node(v)}" for k, v in node.items()) + "}"


# --- Go formatting ----------------------------------------------------------------------

_PLAIN = re.compile(r'[^"\\\x00-\x1f<>&\u2028\u2029]*')
_SHORT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _go_string(s: str) -> str:
    if _PLAIN.fullmatch(s):
        return f'"{s}"'
    out = []
    for ch in s:
        if ch in _SHORT:
            out.append(_SHORT[ch])
        elif ch < " " or ch in "<>&\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def go_json(value: Any) -> str:
    """Compact JSON as Go's encoders write it for SMD and for the last-applied annotation:
    map keys sorted, `<`, `>`, `&`, U+2028/9 escaped, floats in Go's shortest form."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _go_string(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_json_float(value)
    if isinstance(value, list):
        return "[" + ",".join(go_json(v) for v in value) + "]"
    items = sorted(value.items())
    return "{" + ",".join(f"{_go_string(k)}:{go_json(v)}" for k, v in items) + "}"


def _digits(f: float) -> tuple[str, int]:
    """Shortest round-trip digits of |f| and the decimal point position (0.d1d2... x 10^dp)."""
    _, digits, exp = decimal.Decimal(repr(abs(f))).normalize().as_tuple()
    text = "".join(map(str, digits))
    assert isinstance(exp, int)
    return text, len(text) + exp


def _fixed(digits: str, dp: int) -> str:
    if dp <= 0:
        return "0." + "0" * -dp + digits
    if dp >= len(digits):
        return digits + "0" * (dp - len(digits))
    return digits[:dp] + "." + digits[dp:]


def _exponent(digits: str, dp: int, min_width: int) -> str:
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    exp = dp - 1
    return f"{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):0{min_width}d}"


def _go_json_float(f: float) -> str:
    if f == 0:
        return "-0" if str(f).startswith("-") else "0"
    sign = "-" if f < 0 else ""
    digits, dp = _digits(f)
    if abs(f) < 1e-6 or abs(f) >= 1e21:
        return sign + _exponent(digits, dp, 1)
    return sign + _fixed(digits, dp)


def go_float_v(f: float) -> str:
    """Go's `%v` of a float64 (shortest `%g`: exponent form below 1e-4 or from 1e6 up)."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if str(f).startswith("-") else "0"
    sign = "-" if f < 0 else ""
    digits, dp = _digits(f)
    if dp - 1 < -4 or dp - 1 >= 6:
        return sign + _exponent(digits, dp, 2)
    return sign + _fixed(digits, dp)


def go_type(value: Any) -> str:
    """Go's `%T` of a decoded JSON value."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    return "int64" if isinstance(value, int) else "float64"


def go_v(value: Any) -> str:
    """Go's `%v` of a decoded JSON value."""
    if isinstance(value, str):
        return value
    if value is None:
        return "<nil>"
    if isinstance(value, float):
        return go_float_v(value)
    if isinstance(value, list):
        return "[" + " ".join(go_v(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_v(v)}" for k, v in sorted(value.items())) + "]"
    return go_json(value)


def go_sharp_v(value: Any) -> str:
    """Go's `%#v` of a decoded JSON value."""
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, float):
        return go_float_v(value)
    if isinstance(value, list):
        return "[]interface {}{" + ", ".join(go_sharp_v(v) for v in value) + "}"
    if isinstance(value, dict):
        inner = ", ".join(f"{go_quote(k)}:{go_sharp_v(v)}" for k, v in sorted(value.items()))
        return "map[string]interface {}{" + inner + "}"
    return go_json(value)


_QUOTE_PLAIN = re.compile(r"[ !#-\[\]-~]*")
_QUOTE_SHORT = {
    '"': '\\"',
    "\\": "\\\\",
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


def go_quote(s: str) -> str:
    """Go's `%q` of a string (strconv.Quote)."""
    if _QUOTE_PLAIN.fullmatch(s):
        return f'"{s}"'
    out = []
    for ch in s:
        code = ord(ch)
        if ch in _QUOTE_SHORT:
            out.append(_QUOTE_SHORT[ch])
        elif ch.isprintable():
            out.append(ch)
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'
