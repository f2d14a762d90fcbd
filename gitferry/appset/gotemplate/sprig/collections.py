"""Sprig's lists and dicts: list/tuple, append/prepend, first/last/rest/initial, reverse,
uniq, without, has, slice, concat, chunk, compact, join, sortAlpha, toStrings; dict, get, set,
unset, hasKey, pluck, keys, values, pick, omit, merge/mergeOverwrite, dig, deepCopy.

Go's map iteration order is random; `keys` and `values` return insertion order here (sort
with `sortAlpha` for a stable result, as in Go). `merge` follows dario.cat/mergo: a key is
copied when the destination lacks it or holds an empty value; nested dicts merge.
"""

from __future__ import annotations

import copy
from typing import Any

from gitferry.appset.gotemplate.funcs import FuncError, Function, check_items, define
from gitferry.appset.gotemplate.sprig.numbers import to_int64
from gitferry.appset.gotemplate.sprig.strings import strval
from gitferry.appset.gotemplate.values import MISSING, StrList, StrMap, go_type, kind

FUNCS: dict[str, Function] = {}


def is_empty(value: Any) -> bool:
    """Sprig's empty: nil, zero numbers, false, empty strings and collections."""
    if value is None or value is MISSING:
        return True
    if isinstance(value, (str, list, dict, bytes)):
        return len(value) == 0
    if isinstance(value, (bool, int, float)):
        return not value
    return False


def _kind_name(value: Any) -> str:
    return "ptr" if value is None else kind(value)


def _as_list(value: Any, verb: str) -> list[Any]:
    if isinstance(value, list):
        return list(value)
    if value is None:
        raise FuncError("runtime error: invalid memory address or nil pointer dereference")
    raise FuncError(f"Cannot {verb} on type {_kind_name(value)}")


def strslice(value: Any) -> list[str]:
    if isinstance(value, StrList):
        return list(value)
    if isinstance(value, list):
        return [strval(v) for v in value if v is not None]
    if value is None:
        return []
    return [strval(value)]


define(FUNCS, "list", variadic="any")(lambda *v: list(v))
define(FUNCS, "tuple", variadic="any")(lambda *v: list(v))
define(FUNCS, "toStrings", "any")(lambda v: StrList(strslice(v)))
define(FUNCS, "join", "string any")(lambda sep, v: sep.join(strslice(v)))


@define(FUNCS, "sortAlpha", "any")
def _sort_alpha(value: Any) -> StrList:
    if isinstance(value, list):
        return StrList(sorted(strslice(value)))
    return StrList([strval(value)])


def _must(name: str, verb: str, fn: Any) -> None:
    define(FUNCS, name, "any")(lambda lst: fn(_as_list(lst, verb)))
    define(FUNCS, "must" + name[0].upper() + name[1:], "any")(lambda lst: fn(_as_list(lst, verb)))


_must("first", "find first", lambda lst: lst[0] if lst else None)
_must("last", "find last", lambda lst: lst[-1] if lst else None)
_must("rest", "find rest", lambda lst: lst[1:] if lst else None)
_must("initial", "find initial", lambda lst: lst[:-1] if lst else None)
_must("reverse", "find reverse", lambda lst: lst[::-1])


def _uniq(lst: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in lst:
        if not any(_deep_equal(item, seen) for seen in out):
            out.append(item)
    return out


_must("uniq", "find uniq", _uniq)


def _deep_equal(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


for _name in ("append", "push", "mustAppend", "mustPush"):
    define(FUNCS, _name, "any any")(lambda lst, v: [*_as_list(lst, "push"), v])
for _name in ("prepend", "mustPrepend"):
    define(FUNCS, _name, "any any")(lambda lst, v: [v, *_as_list(lst, "prepend")])


@define(FUNCS, "without", "any", variadic="any")
def _without(lst: Any, *omit: Any) -> list[Any]:
    return [v for v in _as_list(lst, "find without") if not any(_deep_equal(v, o) for o in omit)]


FUNCS["mustWithout"] = Function("mustWithout", _without, ("any",), "any")


@define(FUNCS, "has", "any any")
def _has(needle: Any, haystack: Any) -> bool:
    if haystack is None:
        return False
    return any(_deep_equal(needle, v) for v in _as_list(haystack, "find has"))


FUNCS["mustHas"] = Function("mustHas", _has, ("any", "any"))


@define(FUNCS, "slice", "any", variadic="any")
def _slice(lst: Any, *indexes: Any) -> Any:
    if not isinstance(lst, list):
        raise FuncError(f"list should be type of slice or array but {_kind_name(lst)}")
    if not lst:
        return None
    start = to_int64(indexes[0]) if indexes else 0
    end = to_int64(indexes[1]) if len(indexes) > 1 else len(lst)
    if not 0 <= start <= end <= len(lst):
        raise FuncError("reflect.Value.Slice: slice index out of bounds")
    return type(lst)(lst[start:end]) if isinstance(lst, StrList) else lst[start:end]


FUNCS["mustSlice"] = Function("mustSlice", _slice, ("any",), "any")


@define(FUNCS, "concat", variadic="any")
def _concat(*lists: Any) -> list[Any]:
    out: list[Any] = []
    for lst in lists:
        if not isinstance(lst, list):
            raise FuncError(f"Cannot concat type {_kind_name(lst)} as list")
        out.extend(lst)
    check_items(len(out))
    return out


@define(FUNCS, "chunk", "int any")
def _chunk(size: int, lst: Any) -> list[list[Any]]:
    items = _as_list(lst, "chunk")
    if size <= 0:
        raise FuncError("runtime error: integer divide by zero")
    return [items[i : i + size] for i in range(0, len(items), size)]


FUNCS["mustChunk"] = Function("mustChunk", _chunk, ("int", "any"))


@define(FUNCS, "compact", "any")
def _compact(lst: Any) -> list[Any]:
    return [v for v in _as_list(lst, "compact") if not is_empty(v)]


FUNCS["mustCompact"] = Function("mustCompact", _compact, ("any",))


# -- dicts ---------------------------------------------------------------------------------


@define(FUNCS, "dict", variadic="any")
def _dict(*pairs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i in range(0, len(pairs), 2):
        out[strval(pairs[i])] = pairs[i + 1] if i + 1 < len(pairs) else ""
    return out


define(FUNCS, "get", "map string")(lambda d, k: (d or {}).get(k, ""))
define(FUNCS, "hasKey", "map string")(lambda d, k: k in (d or {}))


@define(FUNCS, "set", "map string any")
def _set(d: dict[str, Any] | None, key: str, value: Any) -> dict[str, Any]:
    if d is None:
        raise FuncError("assignment to entry in nil map")
    d[key] = value
    return d


@define(FUNCS, "unset", "map string")
def _unset(d: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    if d is not None:
        d.pop(key, None)
    return d


@define(FUNCS, "pluck", "string", variadic="map")
def _pluck(key: str, *dicts: dict[str, Any] | None) -> list[Any]:
    return [d[key] for d in dicts if d is not None and key in d]


@define(FUNCS, "keys", variadic="map")
def _keys(*dicts: dict[str, Any] | None) -> StrList:
    return StrList(k for d in dicts if d for k in d)


@define(FUNCS, "values", "map")
def _values(d: dict[str, Any] | None) -> list[Any]:
    return list((d or {}).values())


@define(FUNCS, "pick", "map", variadic="string")
def _pick(d: dict[str, Any] | None, *keys: str) -> dict[str, Any]:
    return {k: d[k] for k in keys if d and k in d}


@define(FUNCS, "omit", "map", variadic="string")
def _omit(d: dict[str, Any] | None, *keys: str) -> dict[str, Any]:
    return {k: v for k, v in (d or {}).items() if k not in keys}


def merge_into(dst: dict[str, Any], src: dict[str, Any], override: bool) -> None:
    """mergo.Merge for map[string]interface{}: nested maps merge; otherwise the source value
    is taken when the destination lacks the key or holds an empty value (always, with
    `override`, except for a nil source)."""
    for key, value in src.items():
        current = dst.get(key, MISSING)
        if isinstance(value, dict) and isinstance(current, dict):
            merged = dict(current)
            merge_into(merged, value, override)
            dst[key] = merged
        elif value is None:
            if override:
                dst[key] = None
        elif override or current is MISSING or is_empty(current):
            dst[key] = value


def _merge(override: bool) -> Any:
    def merge(dst: dict[str, Any] | None, *srcs: dict[str, Any] | None) -> Any:
        if dst is None:
            raise FuncError("src and dst must be of same type")
        for src in srcs:
            if src is not None:
                merge_into(dst, src, override)
        return dst

    return merge


for _name, _override in (
    ("merge", False),
    ("mustMerge", False),
    ("mergeOverwrite", True),
    ("mustMergeOverwrite", True),
):
    FUNCS[_name] = Function(_name, _merge(_override), ("map",), "map")


@define(FUNCS, "dig", variadic="any")
def _dig(*args: Any) -> Any:
    if len(args) < 3:
        raise FuncError("dig needs at least three arguments")
    current = args[-1]
    default = args[-2]
    for key in args[:-2]:
        if not isinstance(current, dict) or isinstance(current, StrMap):
            raise FuncError(
                f"interface conversion: interface {{}} is {go_type(current)}, "
                "not map[string]interface {}"
            )
        if not isinstance(key, str):
            raise FuncError(f"interface conversion: interface {{}} is {go_type(key)}, not string")
        if key not in current:
            return default
        current = current[key]
    return current


@define(FUNCS, "deepCopy", "any")
def _deep_copy(value: Any) -> Any:
    if value is None:
        raise FuncError("copy: cannot copy nil")
    return copy.deepcopy(value)


FUNCS["mustDeepCopy"] = Function("mustDeepCopy", _deep_copy, ("any",))
