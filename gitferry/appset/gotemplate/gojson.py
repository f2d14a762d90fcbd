"""Go's encoding/json for template values: `json.Marshal`, `MarshalIndent`, `Unmarshal`.

What differs from Python's json and matters to users: map keys sorted; floats as ES6 numbers
(`1e+21`, `1e-7`, `100000`); `<`, `>`, `&` escaped as `\\u003c`... unless `escape_html` is
off (Sprig's toRawJson); U+2028/2029 escaped; decoding gives float64 for every number. Used by
Sprig's JSON functions and by the merge generator's keys.
"""

from __future__ import annotations

import json
import math
from typing import Any

from gitferry.appset.gotemplate.values import GoTime, format_float, go_type


class JSONError(ValueError):
    """A value Go's encoder refuses (NaN, infinities, unsupported types)."""


_ESC = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


def _string(text: str, escape_html: bool) -> str:
    out = ['"']
    for c in text:
        if c in _ESC:
            out.append(_ESC[c])
        elif escape_html and c in _HTML:
            out.append(_HTML[c])
        elif ord(c) < 0x20 or c in ("\u2028", "\u2029"):
            out.append(f"\\u{ord(c):04x}")
        elif 0xD800 <= ord(c) < 0xE000:
            out.append("\\ufffd")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def _float(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        raise JSONError(f"json: unsupported value: {format_float(value, 'g', -1)}")
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        text = format_float(value, "e", -1)
        mant, _, exp = text.partition("e")
        sign, digits = exp[0], exp[1:].lstrip("0") or "0"
        return f"{mant}e{sign}{digits}"
    return format_float(value, "f", -1)


def marshal(value: Any, *, escape_html: bool = True, indent: str = "", _level: int = 0) -> str:
    """json.Marshal (or MarshalIndent with prefix "" and `indent`)."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return _string(value, escape_html)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, GoTime):
        return _string(rfc3339(value), escape_html)
    if isinstance(value, (dict, list, tuple)):
        if not value:
            return "{}" if isinstance(value, dict) else "[]"
        if isinstance(value, dict):
            parts = [
                _string(str(k), escape_html)
                + (": " if indent else ":")
                + marshal(value[k], escape_html=escape_html, indent=indent, _level=_level + 1)
                for k in sorted(value, key=str)
            ]
            open_, close_ = "{", "}"
        else:
            parts = [
                marshal(v, escape_html=escape_html, indent=indent, _level=_level + 1) for v in value
            ]
            open_, close_ = "[", "]"
        if not indent:
            return open_ + ",".join(parts) + close_
        inner = "\n" + indent * (_level + 1)
        return open_ + inner + ("," + inner).join(parts) + "\n" + indent * _level + close_
    if isinstance(value, bytes):
        import base64

        return '"' + base64.b64encode(value).decode() + '"'
    raise JSONError(f"json: unsupported type: {go_type(value)}")


def unmarshal(text: str) -> Any:
    """json.Unmarshal into interface{}: objects, arrays, strings, float64 numbers, bools, nil."""
    try:
        return json.loads(text, parse_int=float, parse_constant=_reject)
    except json.JSONDecodeError as err:
        raise JSONError(_decode_message(text, err)) from None


def _reject(name: str) -> Any:
    raise json.JSONDecodeError(
        f"invalid character '{name[0]}' looking for beginning of value", name, 0
    )


_CONTEXTS = {
    "Expecting property name": "looking for beginning of object key string",
    "Expecting value": "looking for beginning of value",
    "Expecting ':' delimiter": "after object key",
    "Expecting ',' delimiter": "after object key:value pair",
    "Extra data": "after top-level value",
    "Invalid control character": "in string literal",
    "Invalid \\escape": "in string escape code",
}


def _decode_message(text: str, err: json.JSONDecodeError) -> str:
    """Go's json.SyntaxError text for the common cases."""
    if err.pos >= len(text.rstrip()) or err.msg.startswith("Unterminated string"):
        return "unexpected end of JSON input"
    char = text[err.pos]
    context = next((v for k, v in _CONTEXTS.items() if err.msg.startswith(k)), None)
    if context == "after object key:value pair" and _in_array(text, err.pos):
        context = "after array element"
    if context is None:
        context = "looking for beginning of value"
    shown = "'\\''" if char == "'" else "'\\\"'" if char == '"' else f"'{char}'"
    return f"invalid character {shown} {context}"


def _in_array(text: str, pos: int) -> bool:
    depth = []
    in_string = escaped = False
    for c in text[:pos]:
        if in_string:
            escaped = not escaped and c == "\\"
            if c == '"' and not escaped:
                in_string = False
            continue
        if c == '"':
            in_string = True
        elif c in "[{":
            depth.append(c)
        elif c in "]}" and depth:
            depth.pop()
    return bool(depth) and depth[-1] == "["


def rfc3339(value: GoTime) -> str:
    """time.RFC3339Nano, as json.Marshal writes a time."""
    when = value.when
    frac = f"{value.nanos:09d}".rstrip("0")
    offset = when.utcoffset()
    if offset is None or offset.total_seconds() == 0:
        zone = "Z"
    else:
        minutes = int(offset.total_seconds()) // 60
        zone = f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return f"{when:%Y-%m-%dT%H:%M:%S}{'.' + frac if frac else ''}{zone}"
