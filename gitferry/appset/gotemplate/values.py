"""Go values as Python values: the types templates see, how Go prints them, and Go's truth.

Go's `text/template` is reflection over typed values, and users meet those types in error
messages (`wrong type for value; expected string; got int64`) and in behaviour (`eq` of a
float64 parameter and the constant 3 is an error). Parameters reach Argo CD's templates through
JSON, so they are `string`, `float64`, `bool`, `map[string]interface {}`, `[]interface {}` and
nil; Sprig functions add `int`, `int64`, `[]string`, `map[string]string`, `uint8` (a byte from
`index "abc" 0`) and `time.Time`. Python values stand for them one to one:

    str -> string       bool -> bool        int -> int          Int64 -> int64
    float -> float64    Uint8 -> uint8      None -> nil         GoTime -> time.Time
    dict -> map[string]interface {}         StrMap -> map[string]string
    list -> []interface {}                  StrList -> []string     IntList -> []int

`fmt_v` is fmt's `%v`; `go_type` names the type as Go's `%T` does; `is_true` is the truth of
`if`, `with`, `and`, `or` and `not`. Used by the executor, the builtins, `printf` and Sprig.
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any


class Int64(int):
    """A Go int64 (what Sprig's arithmetic returns)."""

    __slots__ = ()


class Uint8(int):
    """A Go byte (what `index` of a string returns)."""

    __slots__ = ()


class StrMap(dict[str, str]):
    """A Go map[string]string (cluster labels and annotations, `values`, Sprig's `split`)."""

    __slots__ = ()


class StrList(list[str]):
    """A Go []string (`path.segments`, Sprig's `splitList`, `keys`, `regexFindAll`)."""

    __slots__ = ()


class IntList(list[int]):
    """A Go []int (Sprig's until and untilStep)."""

    __slots__ = ()


class GoTime:
    """A Go time.Time: an aware datetime (nanoseconds are kept apart: Python has micro)."""

    __slots__ = ("nanos", "when")

    def __init__(self, when: _dt.datetime, nanos: int | None = None) -> None:
        self.when = when
        self.nanos = when.microsecond * 1000 if nanos is None else nanos

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GoTime) and (self.when, self.nanos) == (other.when, other.nanos)

    def __hash__(self) -> int:
        return hash((self.when, self.nanos))

    def __repr__(self) -> str:
        return f"GoTime({fmt_v(self)})"


class Missing:
    """No value at all (Go's invalid reflect.Value): a missing map key, or no pipeline input."""

    _instance: Missing | None = None

    def __new__(cls) -> Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"


MISSING = Missing()


def go_type(value: Any) -> str:
    """The Go type name of a value, as `%T` and error messages print it."""
    if value is None or value is MISSING:
        return "<nil>"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Int64):
        return "int64"
    if isinstance(value, Uint8):
        return "uint8"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, StrMap):
        return "map[string]string"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, StrList):
        return "[]string"
    if isinstance(value, IntList):
        return "[]int"
    if isinstance(value, list):
        return "[]interface {}"
    if isinstance(value, GoTime):
        return "time.Time"
    if isinstance(value, bytes):
        return "[]uint8"
    return type(value).__name__


def kind(value: Any) -> str:
    """The reflect.Kind name (`string`, `int64`, `map`, `slice`, ...), as Sprig's kindOf."""
    if value is None or value is MISSING:
        return "invalid"
    if isinstance(value, dict):
        return "map"
    if isinstance(value, (list, bytes)):
        return "slice"
    if isinstance(value, GoTime):
        return "struct"
    return go_type(value)


def is_int(value: Any) -> bool:
    """A Go signed or unsigned integer (not bool)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_true(value: Any) -> tuple[bool, bool]:
    """Go template truth: (truth, ok). False for nil, zero numbers, empty strings and
    collections; structs (times) are always true."""
    if value is None or value is MISSING:
        return False, True
    if isinstance(value, bool):
        return value, True
    if isinstance(value, (str, dict, list, bytes)):
        return len(value) > 0, True
    if isinstance(value, (int, float)):
        return value != 0, True
    if isinstance(value, GoTime):
        return True, True
    return False, False


def truth(value: Any) -> bool:
    return is_true(value)[0]


# -- printing ------------------------------------------------------------------------------


def fmt_v(value: Any, plus: bool = False) -> str:
    """fmt's `%v` (and `%+v`, which differs only for structs and errors)."""
    if isinstance(value, str):
        return value
    if value is None or value is MISSING:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return format_float(value, "g", -1)
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: _sort_key(kv[0]))
        return "map[" + " ".join(f"{fmt_v(k)}:{fmt_v(v)}" for k, v in items) + "]"
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(fmt_v(v) for v in value) + "]"
    if isinstance(value, bytes):
        return "[" + " ".join(str(b) for b in value) + "]"
    if isinstance(value, GoTime):
        return time_string(value)
    return str(value)


def _sort_key(key: Any) -> tuple[int, Any]:
    # fmt sorts map keys: numbers by value, strings by bytes (code points, for UTF-8).
    if isinstance(key, (int, float)) and not isinstance(key, bool):
        return (0, key)
    return (1, fmt_v(key))


def print_value(value: Any) -> str:
    """What `{{ pipeline }}` writes: fmt.Fprint of the value, `<no value>` for nil."""
    if isinstance(value, str):
        return value
    if value is None or value is MISSING:
        return "<no value>"
    return fmt_v(value)


def sprint(args: list[Any]) -> str:
    """fmt.Sprint: a space between operands when neither is a string."""
    out: list[str] = []
    prev_string = True
    for i, arg in enumerate(args):
        is_string = isinstance(arg, str)
        if i > 0 and not is_string and not prev_string:
            out.append(" ")
        out.append(fmt_v(arg))
        prev_string = is_string
    return "".join(out)


def sprintln(args: list[Any]) -> str:
    return " ".join(fmt_v(a) for a in args) + "\n"


# -- floats --------------------------------------------------------------------------------


def _shortest_digits(value: float) -> tuple[str, int]:
    """The shortest decimal digits that round-trip `value` (> 0), and the decimal point
    position: value = 0.DIGITS x 10**point."""
    text = repr(value)
    mantissa, _, exponent = text.partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0")
    point = len(whole) + (int(exponent) if exponent else 0)
    if whole.strip("0") == "":  # 0.000123
        stripped = frac.lstrip("0")
        point = -(len(frac) - len(stripped)) + (int(exponent) if exponent else 0)
        digits = stripped
    digits = digits.rstrip("0") or "0"
    return digits, point


def format_float(value: float, verb: str, prec: int) -> str:
    """strconv.FormatFloat(value, verb, prec, 64) for verbs e, E, f, F, g, G."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    lower = verb.lower()
    if lower == "f":
        return f"{value:.{6 if prec < 0 else prec}f}" if prec >= 0 else _shortest_f(value)
    if lower == "e":
        text = _e_format(value, prec)
        return text.upper() if verb == "E" else text
    text = _g_format(value, prec)
    return text.upper() if verb == "G" else text


def _shortest_f(value: float) -> str:
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    digits, point = _shortest_digits(abs(value))
    sign = "-" if value < 0 else ""
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def _e_format(value: float, prec: int) -> str:
    if prec >= 0:
        text = f"{value:.{prec}e}"
    else:
        if value == 0:
            return "-0e+00" if math.copysign(1, value) < 0 else "0e+00"
        digits, point = _shortest_digits(abs(value))
        sign = "-" if value < 0 else ""
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        text = f"{sign}{mant}e{point - 1:+03d}"
    mant, _, exp = text.partition("e")
    sign, num = exp[0], exp[1:].lstrip("0")
    return f"{mant}e{sign}{num.rjust(2, '0')}"


def _g_format(value: float, prec: int) -> str:
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    sign = "-" if value < 0 else ""
    shortest = prec < 0
    if shortest:
        digits, point = _shortest_digits(abs(value))
        eprec = 6
    else:
        if prec == 0:
            prec = 1
        text = f"{abs(value):.{prec - 1}e}"
        mant, _, exp = text.partition("e")
        digits = mant.replace(".", "").rstrip("0") or "0"
        point = int(exp) + 1
        eprec = prec
        if eprec > len(digits) and len(digits) >= point:
            eprec = len(digits)
    exp10 = point - 1
    if exp10 < -4 or exp10 >= eprec:
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mant}e{'-' if exp10 < 0 else '+'}{abs(exp10):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


# -- times ---------------------------------------------------------------------------------


def time_string(value: GoTime) -> str:
    """time.Time.String(): `2006-01-02 15:04:05.999999999 -0700 MST`."""
    when = value.when
    frac = f"{value.nanos:09d}".rstrip("0")
    offset = when.utcoffset() or _dt.timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    zone = f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    name = when.tzname() or zone
    stamp = f"{when.year:04d}-{when:%m-%d %H:%M:%S}"
    return f"{stamp}{'.' + frac if frac else ''} {zone} {name}"
