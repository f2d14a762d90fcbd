"""YAML as Argo CD reads and writes it (sigs.k8s.io/yaml over go-yaml v2): through JSON.

`load` is `yaml.Unmarshal` into `interface{}`: YAML 1.1 scalars as go-yaml v2 resolves them
(`y`/`n`/`on`/`off` are booleans, timestamps stay strings, `1:20` stays a string), then JSON
types: every number is a float64 (Python float), every map key a string. `dump` is
`yaml.Marshal`: go-yaml v2's block style (lists not indented under their key), its key order
(digits compared as numbers, non-letters before letters) and its quoting (`"true"`, `"1"`,
`""` double-quoted; strings with indicators single-quoted; multi-line strings as `|-`).

Used for git files generator contents, `elementsYaml`, `templatePatch` and the goTemplate
functions `toYaml`, `fromYaml` and `fromYamlArray`.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from gitferry.appset.gotemplate import gojson
from gitferry.appset.gotemplate.values import GoTime, format_float

try:
    from yaml import CSafeLoader as _Base
except ImportError:  # PyYAML without libyaml
    from yaml import SafeLoader as _Base  # type: ignore[assignment]

_BOOL = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$"
)
_TRUE = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_INT = re.compile(r"^[-+]?(?:0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9_]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?$")
_SPECIAL = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")


class _Loader(_Base):
    """SafeLoader with go-yaml v2's implicit types."""

    yaml_implicit_resolvers: dict[Any, Any] = {}

    def construct_yaml_bool(self, node: Any) -> bool:
        return str(self.construct_scalar(node)) in _TRUE

    def construct_yaml_int(self, node: Any) -> Any:
        text = str(self.construct_scalar(node)).replace("_", "")
        sign = -1 if text.startswith("-") else 1
        body = text.lstrip("+-")
        try:
            if body.startswith("0b"):
                return sign * int(body[2:], 2)
            if body.startswith("0o"):
                return sign * int(body[2:], 8)
            if body.startswith("0x"):
                return sign * int(body[2:], 16)
            if len(body) > 1 and body.startswith("0"):
                return sign * int(body, 8)
            return sign * int(body)
        except ValueError:
            return text

    def construct_yaml_float(self, node: Any) -> Any:
        text = str(self.construct_scalar(node)).replace("_", "")
        lowered = text.lower()
        if lowered.endswith(".inf"):
            return -math.inf if lowered.startswith("-") else math.inf
        if lowered == ".nan":
            return math.nan
        return float(text)


_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("yYnNtTfFoO"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""])
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _SPECIAL, list("-+."))
_Loader.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])
_Loader.add_constructor("tag:yaml.org,2002:bool", _Loader.construct_yaml_bool)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_yaml_float)


def _timestamp_as_string(loader: _Loader, node: yaml.ScalarNode) -> Any:
    return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_string)


class YAMLError(ValueError):
    """YAML that does not parse, or that has no JSON form; the message says where."""


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float):
        return format_float(key, "g", -1)
    raise YAMLError(f"unsupported map key of type {type(key).__name__}")


def to_json_values(value: Any) -> Any:
    """The value as Go holds it after YAML -> JSON -> interface{}: floats, string keys."""
    if isinstance(value, dict):
        return {_key(k): to_json_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json_values(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        number = float(value)
        if math.isnan(number) or math.isinf(number):
            raise YAMLError(f"json: unsupported value: {format_float(number, 'g', -1)}")
        return number
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return str(value)


def load(text: str) -> Any:
    """sigs.k8s.io/yaml.Unmarshal into interface{} (the first document; None when empty)."""
    try:
        data = yaml.load(text, Loader=_Loader)
    except RecursionError:
        raise YAMLError("error converting YAML to JSON: nesting too deep") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise YAMLError(f"error converting YAML to JSON: yaml: {where}{problem}") from None
    return to_json_values(data)


# -- dump ----------------------------------------------------------------------------------


_TIMESTAMP = re.compile(
    r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(?:[Tt ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?(?:Z|[-+][0-9]{2}:[0-9]{2})?)?$"
)


def _resolves_to_string(text: str) -> bool:
    return not (
        _TIMESTAMP.match(text)
        or _BOOL.match(text)
        or _NULL.match(text)
        or _INT.match(text)
        or _FLOAT.match(text)
        or _SPECIAL.match(text)
    )


def _base60(text: str) -> bool:
    return re.fullmatch(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?", text) is not None


def _printable(c: str) -> bool:
    o = ord(c)
    return (
        c == "\n"
        or 0x20 <= o <= 0x7E
        or o == 0x85
        or 0xA0 <= o <= 0xD7FF
        or (0xE000 <= o <= 0xFFFD and o != 0xFEFF)
        or o >= 0x10000
    )


def _analyze(text: str) -> tuple[bool, bool, bool]:
    """(block plain allowed, single quoted allowed, block literal allowed), as go-yaml's
    emitter decides them."""
    if text == "":
        return True, True, False
    block_ind = text.startswith(("---", "..."))
    leading_space = trailing_space = leading_break = trailing_break = False
    break_space = space_break = special = line_breaks = False
    prev_space = prev_break = False
    preceded_ws = True
    for i, c in enumerate(text):
        followed_ws = i + 1 >= len(text) or text[i + 1] in " \t\n\r"
        if i == 0:
            if (
                c in "#,[]{}&*!|>'\"%@`"
                or (c in "?:" and followed_ws)
                or (c == "-" and followed_ws)
            ):
                block_ind = True
        elif (c == ":" and followed_ws) or (c == "#" and preceded_ws):
            block_ind = True
        if not _printable(c):
            special = True
        if c == " ":
            leading_space |= i == 0
            trailing_space |= i == len(text) - 1
            break_space |= prev_break
            prev_space, prev_break = True, False
        elif c in "\n\r":
            line_breaks = True
            leading_break |= i == 0
            trailing_break |= i == len(text) - 1
            space_break |= prev_space
            prev_space, prev_break = False, True
        else:
            prev_space = prev_break = False
        preceded_ws = c in " \t\n\r"
    plain = not (leading_space or leading_break or trailing_space or trailing_break or block_ind)
    single = True
    block = not trailing_space
    if break_space:
        plain = single = False
    if space_break or special:
        plain = single = block = False
    if line_breaks:
        plain = False
    return plain, single, block


_DQ = {
    "\0": "\\0",
    "\a": "\\a",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\v": "\\v",
    "\f": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
    '"': '\\"',
    "\\": "\\\\",
    "\x85": "\\N",
    "\xa0": "\\_",
    "\u2028": "\\L",
    "\u2029": "\\P",
}


def _double_quoted(text: str) -> str:
    out = []
    for c in text:
        if c in _DQ:
            out.append(_DQ[c])
        elif not _printable(c) or c == "\ufeff":
            o = ord(c)
            out.append(
                f"\\x{o:02X}" if o <= 0xFF else f"\\u{o:04X}" if o <= 0xFFFF else f"\\U{o:08X}"
            )
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _scalar_string(text: str, indent: int, key: bool) -> str:
    plain_ok = _resolves_to_string(text) and not _base60(text)
    if "\n" in text and not key:
        _, _, block = _analyze(text)
        if block:
            return _literal(text, indent)
        return _double_quoted(text)
    if not plain_ok:
        return _double_quoted(text)
    plain, single, _ = _analyze(text)
    if plain and not (text == "" and key):
        return text
    if single:
        return "'" + text.replace("'", "''") + "'"
    return _double_quoted(text)


def _literal(text: str, indent: int) -> str:
    if text.endswith("\n\n") or text == "\n":
        chomp = "+"
    elif text.endswith("\n"):
        chomp = ""
    else:
        chomp = "-"
    hint = "2" if text[:1] in (" ", "\n") else ""
    pad = " " * (indent + 2)
    body = text[:-1] if text.endswith("\n") else text
    lines = [pad + line if line else "" for line in body.split("\n")]
    return f"|{hint}{chomp}\n" + "\n".join(lines)


def _scalar(value: Any, indent: int) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        text = gojson.marshal(value)
        if re.fullmatch(r"-?[0-9]+", text) and -(1 << 63) <= int(text) < (1 << 64):
            return text
        return format_float(float(text), "g", -1)
    if isinstance(value, GoTime):
        return _scalar_string(gojson.rfc3339(value), indent, False)
    return _scalar_string(str(value), indent, False)


def _key_order(key: str) -> Any:
    return _NaturalKey(key)


class _NaturalKey:
    """go-yaml v2's order of map keys."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __lt__(self, other: _NaturalKey) -> bool:
        a, b = self.text, other.text
        for i in range(min(len(a), len(b))):
            if a[i] == b[i]:
                continue
            al, bl = a[i].isalpha(), b[i].isalpha()
            if al and bl:
                return a[i] < b[i]
            if al or bl:
                return bl
            an = bn = 0
            if a[i] == "0" or b[i] == "0":
                j = i - 1
                while j >= 0 and a[j].isdigit():
                    if a[j] != "0":
                        an = bn = 1
                        break
                    j -= 1
            ai = i
            while ai < len(a) and a[ai].isdigit():
                an = an * 10 + int(a[ai])
                ai += 1
            bi = i
            while bi < len(b) and b[bi].isdigit():
                bn = bn * 10 + int(b[bi])
                bi += 1
            if an != bn:
                return an < bn
            if ai != bi:
                return ai < bi
            return a[i] < b[i]
        return len(a) < len(b)


def _node(value: Any, indent: int, lines: list[str], prefix: str) -> None:
    """Append `value` to `lines`; `prefix` is what goes before it on its first line."""
    pad = " " * indent
    if isinstance(value, dict) and value:
        first = True
        for key in sorted(value, key=_key_order):
            head = (prefix if first else pad) + _scalar_string(str(key), indent, True) + ":"
            first = False
            item = value[key]
            if isinstance(item, dict) and item:
                lines.append(head)
                _node(item, indent + 2, lines, " " * (indent + 2))
            elif isinstance(item, list) and item:
                lines.append(head)
                _node(item, indent, lines, pad)
            else:
                lines.append(head + " " + _inline(item, indent))
        return
    if isinstance(value, list) and value:
        first = True
        for item in value:
            head = (prefix if first else pad) + "- "
            first = False
            if isinstance(item, (dict, list)) and item:
                _node(item, indent + 2, lines, head)
            else:
                lines.append(head + _inline(item, indent))
        return
    lines.append(prefix + _inline(value, indent))


def _inline(value: Any, indent: int) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value, indent)


def dump(value: Any) -> str:
    """sigs.k8s.io/yaml.Marshal (with its trailing newline)."""
    data = gojson.unmarshal(gojson.marshal(value))
    lines: list[str] = []
    _node(data, 0, lines, "")
    return "\n".join(lines) + "\n"
