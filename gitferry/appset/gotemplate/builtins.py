"""The functions built into Go's text/template: and, or, not, len, index, print, printf,
println, html, js, urlquery, call, eq, ne, lt, le, gt, ge — with Go's comparison rules (`eq`
of a float64 and an int is "incompatible types for comparison") and messages. (Go's `slice`
is not here: Sprig's `slice` replaces it in Argo CD's table.)

Builtins receive raw values (MISSING for "no value", None for a nil interface), like Go's
reflect.Value parameters; `and` and `or` short-circuit in the executor, which evaluates their
arguments itself. Listed in `BUILTINS`; `Engine` puts the caller's functions over them.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from gitferry.appset.gotemplate.funcs import FuncError, Function, define
from gitferry.appset.gotemplate.printf import sprintf
from gitferry.appset.gotemplate.values import (
    MISSING,
    StrMap,
    Uint8,
    go_type,
    is_int,
    sprint,
    sprintln,
    truth,
)

BUILTINS: dict[str, Function] = {}


def _nil(value: Any) -> bool:
    return value is None or value is MISSING


define(BUILTINS, "and", "value", variadic="value")(lambda *args: args[-1])
define(BUILTINS, "or", "value", variadic="value")(lambda *args: args[-1])


@define(BUILTINS, "not", "value")
def _not(value: Any) -> bool:
    return not truth(value)


@define(BUILTINS, "len", "value")
def _len(value: Any) -> int:
    if value is MISSING:
        raise FuncError("reflect: call of reflect.Value.Type on zero Value")
    if value is None:
        raise FuncError("len of nil pointer")
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, (list, dict, bytes)):
        return len(value)
    raise FuncError(f"len of type {go_type(value)}")


@define(BUILTINS, "index", "value", variadic="value")
def _index(item: Any, *indexes: Any) -> Any:
    if _nil(item):
        raise FuncError("index of untyped nil")
    for index in indexes:
        if item is None:
            raise FuncError("index of nil pointer")
        if isinstance(item, (list, str)):
            x = _index_arg(index, len(item))
            if isinstance(item, str):
                data = item.encode()
                if x >= len(data):
                    raise FuncError("reflect: string index out of range")
                item = Uint8(data[x])
            else:
                if x >= len(item):
                    raise FuncError("reflect: slice index out of range")
                item = item[x]
        elif isinstance(item, dict):
            if _nil(index):
                raise FuncError("value is nil; should be of type string")
            if not isinstance(index, str):
                raise FuncError(f"value has type {go_type(index)}; should be string")
            if index in item:
                item = item[index]
            else:
                item = "" if isinstance(item, StrMap) else None
        else:
            raise FuncError(f"can't index item of type {go_type(item)}")
    return item


def _index_arg(index: Any, cap: int) -> int:
    if _nil(index):
        raise FuncError("cannot index slice/array with nil")
    if not is_int(index):
        raise FuncError(f"cannot index slice/array with type {go_type(index)}")
    x = int(index)
    if x < 0 or x > cap:
        raise FuncError(f"index out of range: {x}")
    return x


@define(BUILTINS, "print", variadic="any")
def _print(*args: Any) -> str:
    return sprint(list(args))


@define(BUILTINS, "printf", "string", variadic="any")
def _printf(fmt: str, *args: Any) -> str:
    return sprintf(fmt, list(args))


@define(BUILTINS, "println", variadic="any")
def _println(*args: Any) -> str:
    return sprintln(list(args))


def _eval_args(args: tuple[Any, ...]) -> str:
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return sprint(["<no value>" if a is None else a for a in args])


_HTML = {"<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&#34;", "'": "&#39;", "\0": "\ufffd"}


@define(BUILTINS, "html", variadic="any")
def _html(*args: Any) -> str:
    return "".join(_HTML.get(c, c) for c in _eval_args(args))


_JS = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "<": "\\u003C",
    ">": "\\u003E",
    "&": "\\u0026",
    "=": "\\u003D",
}


@define(BUILTINS, "js", variadic="any")
def _js(*args: Any) -> str:
    out = []
    for c in _eval_args(args):
        if c in _JS:
            out.append(_JS[c])
        elif ord(c) < 0x20 or not c.isprintable():
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return "".join(out)


@define(BUILTINS, "urlquery", variadic="any")
def _urlquery(*args: Any) -> str:
    return urllib.parse.quote_plus(_eval_args(args), safe="-_.~")


@define(BUILTINS, "call", "value", variadic="value")
def _call(fn: Any, *args: Any) -> Any:
    if _nil(fn):
        raise FuncError("call of nil")
    raise FuncError(f"non-function of type {go_type(fn)}")


# -- comparisons ---------------------------------------------------------------------------


def _basic_kind(value: Any) -> str:
    if _nil(value):
        return "invalid"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Uint8):
        return "uint"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return "other"


@define(BUILTINS, "eq", "value", variadic="value")
def _eq(arg1: Any, *args: Any) -> bool:
    if not args:
        raise FuncError("missing argument for comparison")
    k1 = _basic_kind(arg1)
    for arg in args:
        k2 = _basic_kind(arg)
        equal = False
        if k1 != k2:
            if {k1, k2} == {"int", "uint"}:
                equal = int(arg1) == int(arg)
            elif not _nil(arg1) and not _nil(arg):
                raise FuncError("incompatible types for comparison")
        elif k1 in ("bool", "int", "uint", "float", "string"):
            equal = arg1 == arg
        elif _nil(arg1) or _nil(arg):
            equal = _nil(arg1) == _nil(arg)
        elif go_type(arg1) != go_type(arg):
            raise FuncError(
                sprintf(
                    "non-comparable types %s: %v, %s: %v", [arg1, go_type(arg1), go_type(arg), arg]
                )
            )
        elif isinstance(arg, (dict, list)):
            raise FuncError(sprintf("non-comparable type %s: %v", [arg, go_type(arg)]))
        else:
            equal = type(arg1) is type(arg) and arg1 == arg
        if equal:
            return True
    return False


@define(BUILTINS, "ne", "value value")
def _ne(arg1: Any, arg2: Any) -> bool:
    return not _eq(arg1, arg2)


@define(BUILTINS, "lt", "value value")
def _lt(arg1: Any, arg2: Any) -> bool:
    k1, k2 = _basic_kind(arg1), _basic_kind(arg2)
    for k in (k1, k2):
        if k in ("invalid", "other"):
            raise FuncError("invalid type for comparison")
    if k1 != k2:
        if {k1, k2} == {"int", "uint"}:
            return bool(int(arg1) < int(arg2))
        raise FuncError("incompatible types for comparison")
    if k1 == "bool":
        raise FuncError("invalid type for comparison")
    return bool(arg1 < arg2)


@define(BUILTINS, "le", "value value")
def _le(arg1: Any, arg2: Any) -> bool:
    return _lt(arg1, arg2) or _eq(arg1, arg2)


@define(BUILTINS, "gt", "value value")
def _gt(arg1: Any, arg2: Any) -> bool:
    return not _le(arg1, arg2)


@define(BUILTINS, "ge", "value value")
def _ge(arg1: Any, arg2: Any) -> bool:
    return not _lt(arg1, arg2)
