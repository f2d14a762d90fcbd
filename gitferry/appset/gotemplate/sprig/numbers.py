"""Sprig's arithmetic and conversions: add/sub/mul/div/mod (int64), the float variants,
max/min, ceil/floor/round, int/int64/float64/toDecimal, seq/until/untilStep.

Conversions follow spf13/cast as Sprig uses it: numbers truncate, bools are 1/0, strings parse
with Go's base prefixes (`0x10` is 16, `010` is 8) and anything else is 0.
"""

from __future__ import annotations

import math
import random
import re
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

from gitferry.appset.gotemplate.funcs import FuncError, Function, check_items, define
from gitferry.appset.gotemplate.values import Int64, IntList, is_int

FUNCS: dict[str, Function] = {}

_INT64 = 1 << 63


def _wrap64(value: int) -> int:
    return (value + _INT64) % (1 << 64) - _INT64


def _parse_go_int(text: str) -> int | None:
    body = text
    if re.fullmatch(r"[+-]?[0-9]+\.0*", body):  # cast's trimZeroDecimal
        body = body.split(".")[0]
    if re.fullmatch(r"[+-]?0[0-7_]+", body):
        body = body.replace("0", "0o", 1) if body[0] == "0" else body[0] + "0o" + body[2:]
    try:
        value = int(body, 0)
    except ValueError:
        return None
    return value if -_INT64 <= value < _INT64 else None


def to_int64(value: Any) -> int:
    """cast.ToInt64."""
    if isinstance(value, bool):
        return 1 if value else 0
    if is_int(value):
        return int(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return -_INT64
        return _wrap64(int(value))
    if isinstance(value, str):
        parsed = _parse_go_int(value)
        return parsed if parsed is not None else 0
    return 0


def to_float64(value: Any) -> float:
    """cast.ToFloat64."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if is_int(value) or isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace("_", "")) if re.fullmatch(r"\s*\S+\s*", value) else 0.0
        except ValueError:
            return 0.0
    return 0.0


define(FUNCS, "int64", "any")(lambda v: Int64(to_int64(v)))
define(FUNCS, "int", "any")(to_int64)
define(FUNCS, "float64", "any")(to_float64)
define(FUNCS, "add1", "any")(lambda v: Int64(_wrap64(to_int64(v) + 1)))
define(FUNCS, "sub", "any any")(lambda a, b: Int64(_wrap64(to_int64(a) - to_int64(b))))


@define(FUNCS, "toDecimal", "any")
def _to_decimal(value: Any) -> Int64:
    text = value if isinstance(value, str) else str(value)
    try:
        return Int64(int(text, 8))
    except ValueError:
        return Int64(0)


@define(FUNCS, "add", variadic="any")
def _add(*values: Any) -> Int64:
    return Int64(_wrap64(sum(to_int64(v) for v in values)))


@define(FUNCS, "mul", "any", variadic="any")
def _mul(first: Any, *values: Any) -> Int64:
    total = to_int64(first)
    for v in values:
        total = _wrap64(total * to_int64(v))
    return Int64(total)


def _go_div(a: int, b: int) -> int:
    if b == 0:
        raise FuncError("runtime error: integer divide by zero")
    quotient = abs(a) // abs(b)
    return _wrap64(quotient if (a >= 0) == (b >= 0) else -quotient)


define(FUNCS, "div", "any any")(lambda a, b: Int64(_go_div(to_int64(a), to_int64(b))))


@define(FUNCS, "mod", "any any")
def _mod(a: Any, b: Any) -> Int64:
    x, y = to_int64(a), to_int64(b)
    if y == 0:
        raise FuncError("runtime error: integer divide by zero")
    return Int64(x - _go_div(x, y) * y)


@define(FUNCS, "max", "any", variadic="any")
def _max(first: Any, *values: Any) -> Int64:
    return Int64(max([to_int64(first), *(to_int64(v) for v in values)]))


define(FUNCS, "biggest", "any", variadic="any")(_max)


@define(FUNCS, "min", "any", variadic="any")
def _min(first: Any, *values: Any) -> Int64:
    return Int64(min([to_int64(first), *(to_int64(v) for v in values)]))


@define(FUNCS, "maxf", "any", variadic="any")
def _maxf(first: Any, *values: Any) -> float:
    return max([to_float64(first), *(to_float64(v) for v in values)])


@define(FUNCS, "minf", "any", variadic="any")
def _minf(first: Any, *values: Any) -> float:
    return min([to_float64(first), *(to_float64(v) for v in values)])


def _decimal_op(first: Any, rest: tuple[Any, ...], op: str) -> float:
    total = Decimal(repr(to_float64(first)))
    for v in rest:
        d = Decimal(repr(to_float64(v)))
        try:
            if op == "+":
                total += d
            elif op == "-":
                total -= d
            elif op == "*":
                total *= d
            else:
                total /= d
        except (DivisionByZero, InvalidOperation):
            raise FuncError("decimal division by 0") from None
    return float(total)


define(FUNCS, "add1f", "any")(lambda v: _decimal_op(v, (1,), "+"))
define(FUNCS, "addf", variadic="any")(lambda *v: _decimal_op(0.0, v, "+"))
define(FUNCS, "subf", "any", variadic="any")(lambda a, *v: _decimal_op(a, v, "-"))
define(FUNCS, "mulf", "any", variadic="any")(lambda a, *v: _decimal_op(a, v, "*"))
define(FUNCS, "divf", "any", variadic="any")(lambda a, *v: _decimal_op(a, v, "/"))
define(FUNCS, "ceil", "any")(lambda v: float(math.ceil(to_float64(v))))
define(FUNCS, "floor", "any")(lambda v: float(math.floor(to_float64(v))))


@define(FUNCS, "round", "any int", variadic="float64")
def _round(value: Any, places: int, *rounding: float) -> float:
    half = rounding[0] if rounding else 0.5
    pow10 = math.pow(10.0, places)
    digit = pow10 * to_float64(value)
    frac, _ = math.modf(digit)
    return float(math.ceil(digit) if frac >= half else math.floor(digit)) / pow10


@define(FUNCS, "randInt", "int int")
def _rand_int(low: int, high: int) -> int:
    if high - low <= 0:
        raise FuncError("invalid argument to Intn")
    return random.randrange(low, high)


def until_step(start: int, stop: int, step: int) -> IntList:
    if (stop < start and step >= 0) or (stop >= start and step <= 0):
        return IntList()
    check_items(abs(stop - start) // abs(step))
    return IntList(range(start, stop, step))


define(FUNCS, "until", "int")(lambda n: until_step(0, n, 1 if n >= 0 else -1))
define(FUNCS, "untilStep", "int int int")(until_step)


@define(FUNCS, "seq", variadic="int")
def _seq(*params: int) -> str:
    if len(params) == 1:
        end = params[0]
        step = -1 if end < 1 else 1
        values = until_step(1, end + step, step)
    elif len(params) == 2:
        start, end = params
        step = -1 if end < start else 1
        values = until_step(start, end + step, step)
    elif len(params) == 3:
        start, step, end = params
        increment = 1
        if end < start:
            increment = -1
            if step > 0:
                return ""
        values = until_step(start, end + increment, step)
    else:
        return ""
    return " ".join(str(v) for v in values)
