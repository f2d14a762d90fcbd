"""Field errors as kube-apiserver 1.32 words them, and Go's way of printing the bad value.

A validation problem is a `Cause`: (cause reason, field path, message), the triple that
`errors.invalid` turns into a 422 `Status`. The constructors below build the message body the
way `k8s.io/apimachinery/pkg/util/validation/field` does (`Invalid value: "x": detail`,
`Required value`, `Unsupported value: "x": supported values: "a", "b"`, ...), and `go_value`
prints bad values as Go's `%q`/`%v`/`%#v` would, because clients and people compare these
messages verbatim. Used by every `validation*` module of the API server's write pipeline.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

Cause = tuple[str, str, str]
Obj = dict[str, Any]

IMMUTABLE = "field is immutable"
NEGATIVE = "must be greater than or equal to 0"


class GoRaw(str):
    """A value already rendered the way Go would print it; printed verbatim."""


def invalid(path: str, value: Any, detail: str) -> Cause:
    body = f"Invalid value: {go_value(value)}"
    return ("FieldValueInvalid", path, f"{body}: {detail}" if detail else body)


def required(path: str, detail: str = "") -> Cause:
    return ("FieldValueRequired", path, f"Required value: {detail}" if detail else "Required value")


def forbidden(path: str, detail: str) -> Cause:
    return ("FieldValueForbidden", path, f"Forbidden: {detail}")


def duplicate(path: str, value: Any) -> Cause:
    return ("FieldValueDuplicate", path, f"Duplicate value: {go_value(value)}")


def not_found(path: str, value: Any) -> Cause:
    return ("FieldValueNotFound", path, f"Not found: {go_value(value)}")


def not_supported(path: str, value: Any, supported: Iterable[str]) -> Cause:
    values = ", ".join(go_quote(v) for v in supported)
    return (
        "FieldValueNotSupported",
        path,
        f"Unsupported value: {go_value(value)}: supported values: {values}",
    )


def too_long(path: str, limit: int) -> Cause:
    return ("FieldValueTooLong", path, f"Too long: may not be more than {limit} bytes")


def nonnegative(value: Any, path: str) -> list[Cause]:
    """`ValidateNonnegativeField`: integers below zero are invalid."""
    if _is_int(value) and value < 0:
        return [invalid(path, value, NEGATIVE)]
    return []


def immutable(new: Any, old: Any, path: str) -> list[Cause]:
    """`ValidateImmutableField`: any change is invalid."""
    return [] if new == old else [invalid(path, new, IMMUTABLE)]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- Go printing -----------------------------------------------------------------------------

_PLAIN = re.compile(r"[ !#-\[\]-~]*")  # printable ASCII without '"' and '\'
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\t": "\\t",
    "\r": "\\r",
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\v": "\\v",
}


def go_quote(text: str) -> str:
    """Go's `strconv.Quote` (`%q`): printable characters kept, the rest escaped."""
    if _PLAIN.fullmatch(text):
        return f'"{text}"'
    out = ['"']
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        elif ord(char) < 0x80:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    out.append('"')
    return "".join(out)


def go_value(value: Any) -> str:
    """A bad value as `field.Error.ErrorBody` prints it."""
    if isinstance(value, GoRaw):
        return str(value)
    if isinstance(value, str):
        return go_quote(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Mapping):
        return go_string_map(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return go_strings(value)
    return _json(value)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)


def go_string_map(value: Mapping[str, Any] | None) -> str:
    """`%#v` of a `map[string]string` (Go sorts the keys)."""
    if value is None:
        return "map[string]string(nil)"
    if not isinstance(value, Mapping):
        return _json(value)
    pairs = ", ".join(f"{go_quote(k)}:{go_quote(str(value[k]))}" for k in sorted(value))
    return f"map[string]string{{{pairs}}}"


def go_strings(value: list[str] | None) -> str:
    """`%#v` of a `[]string`."""
    if value is None:
        return "[]string(nil)"
    if not isinstance(value, list):
        return _json(value)
    return "[]string{" + ", ".join(go_quote(str(v)) for v in value) + "}"


def go_label_selector(selector: Any) -> GoRaw:
    """`%#v` of a `metav1.LabelSelector`, as immutability and selector errors print it."""
    if not isinstance(selector, Mapping):
        return GoRaw("null")
    labels = selector.get("matchLabels")
    exprs = selector.get("matchExpressions")
    if exprs is None:
        rendered = "[]v1.LabelSelectorRequirement(nil)"
    elif not isinstance(exprs, list):
        rendered = _json(exprs)
    else:
        items = [
            "v1.LabelSelectorRequirement{"
            f"Key:{go_quote(str(e.get('key', '')))}, "
            f"Operator:{go_quote(str(e.get('operator', '')))}, "
            f"Values:{go_strings(e.get('values'))}}}"
            for e in exprs
            if isinstance(e, Mapping)
        ]
        rendered = "[]v1.LabelSelectorRequirement{" + ", ".join(items) + "}"
    return GoRaw(
        f"v1.LabelSelector{{MatchLabels:{go_string_map(labels)}, MatchExpressions:{rendered}}}"
    )


def go_int_or_string(value: Any) -> GoRaw:
    """`%#v` of an `intstr.IntOrString`."""
    if isinstance(value, str):
        return GoRaw(f"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{go_quote(value)}}}")
    number = value if _is_int(value) else 0
    return GoRaw(f'intstr.IntOrString{{Type:0, IntVal:{number}, StrVal:""}}')


def go_struct(type_name: str, value: Any) -> GoRaw:
    """An approximation of `%#v` for structs: the type name around the compact JSON."""
    return GoRaw(f"{type_name}{_json(value)}")


def spec_diff(type_name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """A short `cmp.Diff`-like listing of the top-level fields that differ."""
    lines = [f"  {type_name}{{"]
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            field_name = key[:1].upper() + key[1:]
            if key in old:
                lines.append(f"- \t{field_name}: {json.dumps(old[key], sort_keys=True)},")
            if key in new:
                lines.append(f"+ \t{field_name}: {json.dumps(new[key], sort_keys=True)},")
    lines.append("  }")
    return "\n".join(lines) + "\n"


def mapping(value: Any) -> Obj:
    """`value` if it is an object, else an empty one (absent and null read as empty)."""
    return value if isinstance(value, dict) else {}


def text(value: Any) -> str:
    """`value` if it is a string, else "" (wrong types are the decoder's 400, not ours)."""
    return value if isinstance(value, str) else ""


def items(value: Any) -> list[Any]:
    """`value` if it is a list, else an empty one."""
    return value if isinstance(value, list) else []
