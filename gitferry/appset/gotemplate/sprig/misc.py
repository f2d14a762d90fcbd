"""Sprig's defaults, reflection, JSON, encodings, paths, UUIDs and `fail` (regular
expressions are in `regex`)."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from gitferry.appset.gotemplate import gojson
from gitferry.appset.gotemplate.funcs import FuncError, Function, define
from gitferry.appset.gotemplate.sprig.collections import is_empty
from gitferry.appset.gotemplate.values import go_type, kind

FUNCS: dict[str, Function] = {}


# -- defaults and flow ---------------------------------------------------------------------


@define(FUNCS, "default", "any", variadic="any")
def _default(fallback: Any, *given: Any) -> Any:
    if not given or is_empty(given[0]):
        return fallback
    return given[0]


define(FUNCS, "empty", "any")(is_empty)
define(FUNCS, "coalesce", variadic="any")(lambda *v: next((x for x in v if not is_empty(x)), None))
define(FUNCS, "all", variadic="any")(lambda *v: all(not is_empty(x) for x in v))
define(FUNCS, "any", variadic="any")(lambda *v: any(not is_empty(x) for x in v))
define(FUNCS, "ternary", "any any bool")(lambda yes, no, cond: yes if cond else no)


@define(FUNCS, "fail", "string")
def _fail(message: str) -> str:
    raise FuncError(message)


# -- reflection ----------------------------------------------------------------------------

define(FUNCS, "typeOf", "any")(go_type)
define(FUNCS, "typeIs", "string any")(lambda target, v: target == go_type(v))
define(FUNCS, "typeIsLike", "string any")(lambda t, v: go_type(v) in (t, "*" + t))
define(FUNCS, "kindOf", "any")(kind)
define(FUNCS, "kindIs", "string any")(lambda target, v: target == kind(v))
define(FUNCS, "deepEqual", "any any")(lambda a, b: type(a) is type(b) and a == b)

# -- JSON ----------------------------------------------------------------------------------


def _must_from_json(text: str) -> Any:
    try:
        return gojson.unmarshal(text)
    except gojson.JSONError as err:
        raise FuncError(str(err)) from None


def _quietly(fn: Any, fallback: Any) -> Any:
    def call(*args: Any) -> Any:
        try:
            return fn(*args)
        except (FuncError, gojson.JSONError):
            return fallback

    return call


def _to_json(value: Any) -> str:
    return gojson.marshal(value)


def _to_pretty(value: Any) -> str:
    return gojson.marshal(value, indent="  ")


def _to_raw(value: Any) -> str:
    return gojson.marshal(value, escape_html=False)


def _strict(fn: Any) -> Any:
    def call(value: Any) -> str:
        try:
            return str(fn(value))
        except gojson.JSONError as err:
            raise FuncError(str(err)) from None

    return call


define(FUNCS, "fromJson", "string")(_quietly(_must_from_json, None))
define(FUNCS, "mustFromJson", "string")(_must_from_json)
define(FUNCS, "toJson", "any")(_quietly(_to_json, ""))
define(FUNCS, "mustToJson", "any")(_strict(_to_json))
define(FUNCS, "toPrettyJson", "any")(_quietly(_to_pretty, ""))
define(FUNCS, "mustToPrettyJson", "any")(_strict(_to_pretty))
define(FUNCS, "toRawJson", "any")(_quietly(_to_raw, ""))
define(FUNCS, "mustToRawJson", "any")(_strict(_to_raw))

# -- encodings -----------------------------------------------------------------------------


def _illegal(data: str, alphabet: str, quantum: int) -> str:
    name = f"illegal base{64 if quantum == 4 else 32} data at input byte"
    for i, c in enumerate(data):
        if c not in alphabet and c != "=":
            return f"{name} {i}"
    return f"{name} {len(data) - len(data) % quantum}"


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

define(FUNCS, "b64enc", "string")(lambda s: base64.b64encode(s.encode()).decode())
define(FUNCS, "b32enc", "string")(lambda s: base64.b32encode(s.encode()).decode())


@define(FUNCS, "b64dec", "string")
def _b64dec(text: str) -> str:
    try:
        return base64.b64decode(text, validate=True).decode(errors="replace")
    except (binascii.Error, ValueError):
        return _illegal(text, _B64, 4)


@define(FUNCS, "b32dec", "string")
def _b32dec(text: str) -> str:
    try:
        return base64.b32decode(text).decode(errors="replace")
    except (binascii.Error, ValueError):
        return _illegal(text, _B32, 8)


define(FUNCS, "uuidv4")(lambda: str(uuid.uuid4()))

# -- paths (Go's path package; filepath is the same on Linux) -------------------------------


def go_clean(path: str) -> str:
    """path.Clean."""
    if path == "":
        return "."
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    cleaned = "/".join(parts)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


def go_base(path: str) -> str:
    """path.Base."""
    if path == "":
        return "."
    path = path.rstrip("/")
    if path == "":
        return "/"
    return path.rsplit("/", 1)[-1]


def go_dir(path: str) -> str:
    """path.Dir."""
    return go_clean(path[: path.rfind("/") + 1])


def go_ext(path: str) -> str:
    """path.Ext."""
    for i in range(len(path) - 1, -1, -1):
        if path[i] == "/":
            break
        if path[i] == ".":
            return path[i:]
    return ""


for _prefix in ("", "os"):
    for _name, _fn in (
        ("base", go_base),
        ("dir", go_dir),
        ("clean", go_clean),
        ("ext", go_ext),
        ("isAbs", lambda p: p.startswith("/")),
    ):
        _full = _prefix + _name[0].upper() + _name[1:] if _prefix else _name
        define(FUNCS, _full, "string")(_fn)
