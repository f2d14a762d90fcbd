"""Go's fmt.Sprintf for the values templates see (the `printf` builtin and Sprig's `printf`-
like helpers).

Verbs: %v %+v %#v %T %d %s %q %x %X %o %O %b %c %U %e %E %f %F %g %G %t %%, with the flags
`+ - # 0 space`, width and precision (also `*`). Mismatches print as Go does:
`%!d(string=x)`, `%!d(MISSING)`, `%!(EXTRA int=1)`, `%!(NOVERB)`. Argument indexes (`%[2]d`)
and `%p` are not supported (they print as a bad verb).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from gitferry.appset.gotemplate.values import (
    GoTime,
    fmt_v,
    format_float,
    go_type,
    is_int,
)


@dataclass
class _Spec:
    plus: bool = False
    minus: bool = False
    sharp: bool = False
    zero: bool = False
    space: bool = False
    width: int | None = None
    prec: int | None = None


def sprintf(fmt: str, args: list[Any]) -> str:
    out: list[str] = []
    argi = 0
    i, n = 0, len(fmt)
    while i < n:
        j = fmt.find("%", i)
        if j < 0:
            out.append(fmt[i:])
            break
        out.append(fmt[i:j])
        i = j + 1
        spec = _Spec()
        while i < n and fmt[i] in "+-# 0":
            c = fmt[i]
            spec.plus |= c == "+"
            spec.minus |= c == "-"
            spec.sharp |= c == "#"
            spec.zero |= c == "0"
            spec.space |= c == " "
            i += 1
        if i < n and fmt[i] == "*":
            i += 1
            if argi < len(args) and is_int(args[argi]):
                spec.width = int(args[argi])
                if spec.width < 0:
                    spec.minus, spec.width = True, -spec.width
            else:
                out.append("%!(BADWIDTH)")
            argi += 1
        else:
            start = i
            while i < n and fmt[i].isdigit():
                i += 1
            if i > start:
                spec.width = int(fmt[start:i])
        if i < n and fmt[i] == ".":
            i += 1
            if i < n and fmt[i] == "*":
                i += 1
                if argi < len(args) and is_int(args[argi]):
                    spec.prec = max(int(args[argi]), 0) if int(args[argi]) >= 0 else None
                else:
                    out.append("%!(BADPREC)")
                argi += 1
            else:
                start = i
                while i < n and fmt[i].isdigit():
                    i += 1
                spec.prec = int(fmt[start:i] or "0")
        if i >= n:
            out.append("%!(NOVERB)")
            break
        verb = fmt[i]
        i += 1
        if verb == "%":
            out.append("%")
            continue
        if argi >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        arg = args[argi]
        argi += 1
        out.append(_format(arg, verb, spec))
    if argi < len(args):
        extra = ", ".join(_bad_arg(a) for a in args[argi:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def _bad_arg(arg: Any) -> str:
    if arg is None:
        return "<nil>"
    return f"{go_type(arg)}={fmt_v(arg)}"


def _bad(verb: str, arg: Any, spec: _Spec | None = None) -> str:
    """Go's badVerb: the value printed with %v under the same flags, width and precision."""
    if arg is None:
        return f"%!{verb}(<nil>)"
    shown = fmt_v(arg) if spec is None else _format(arg, "v", spec)
    return f"%!{verb}({go_type(arg)}={shown})"


def _pad(text: str, spec: _Spec, zero_ok: bool = False) -> str:
    width = spec.width
    if width is None or len(text) >= width:
        return text
    if spec.minus:
        return text + " " * (width - len(text))
    if spec.zero and zero_ok:
        sign = text[0] if text[:1] in "+- " and text[:1] != "" else ""
        body = text[len(sign) :]
        return sign + "0" * (width - len(text)) + body
    return " " * (width - len(text)) + text


def _format(arg: Any, verb: str, spec: _Spec, nested: bool = False) -> str:
    if nested and arg is None:  # a nil inside a list or map prints <nil> for every verb
        return _pad("<nil>", spec)
    if verb == "T":
        return _pad(go_type(arg), spec)
    if verb == "v":
        if spec.sharp:
            return _pad(_go_syntax(arg), spec)
        if isinstance(arg, float):
            return _float(arg, "g", spec, -1)
        if is_int(arg) and not isinstance(arg, bool):
            return _integer(int(arg), "d", spec)
        if isinstance(arg, str) and spec.prec is not None:
            return _pad(arg[: spec.prec], spec)
        return _pad(fmt_v(arg), spec)
    if isinstance(arg, (list, tuple)):
        return "[" + " ".join(_format(a, verb, spec, True) for a in arg) + "]"
    if isinstance(arg, dict):
        items = sorted(arg.items())
        inner = " ".join(
            f"{_format(k, verb, spec, True)}:{_format(v, verb, spec, True)}" for k, v in items
        )
        return f"map[{inner}]"
    if isinstance(arg, bool):
        if verb == "t":
            return _pad("true" if arg else "false", spec)
        return _bad(verb, arg, spec)
    if is_int(arg):
        value = int(arg)
        if verb in "dboOxX":
            return _integer(value, verb, spec)
        if verb == "c":
            return _pad(_chr(value), spec)
        if verb == "q":
            return _pad(_quote_rune(value), spec)
        if verb == "U":
            text = f"U+{value:04X}"
            if spec.sharp:
                text += f" '{_chr(value)}'"
            return _pad(text, spec)
        if verb in "eEfFgG":
            return _bad(verb, arg, spec)
        return _bad(verb, arg, spec)
    if isinstance(arg, float):
        if verb in "eEfFgG":
            default = -1 if verb in "gG" else 6
            return _float(arg, verb, spec, default)
        if verb in "xX" and spec.prec is None:
            return _pad(_hex_float(arg, verb == "X", spec.plus), spec)
        return _bad(verb, arg, spec)
    if isinstance(arg, str):
        if verb == "s":
            text = arg if spec.prec is None else arg[: spec.prec]
            return _pad(text, spec)
        if verb == "q":
            text = arg if spec.prec is None else arg[: spec.prec]
            if spec.sharp and "`" not in text:
                return _pad(f"`{text}`", spec)
            return _pad(quote(text), spec)
        if verb in "xX":
            data = arg.encode()
            if spec.prec is not None:
                data = data[: spec.prec]
            prefix = ("0X" if verb == "X" else "0x") if spec.sharp else ""
            digits = [f"{b:02X}" if verb == "X" else f"{b:02x}" for b in data]
            if spec.space:
                text = " ".join(prefix + d for d in digits)
            else:
                text = prefix + "".join(digits)
            return _pad(text, spec)
        return _bad(verb, arg, spec)
    if isinstance(arg, GoTime) and verb == "s":
        return _pad(fmt_v(arg), spec)
    return _bad(verb, arg, spec)


def _integer(value: int, verb: str, spec: _Spec) -> str:
    negative = value < 0
    magnitude = -value if negative else value
    base = {"d": 10, "b": 2, "o": 8, "O": 8, "x": 16, "X": 16}[verb]
    if base == 10:
        digits = str(magnitude)
    elif base == 2:
        digits = format(magnitude, "b")
    elif base == 8:
        digits = format(magnitude, "o")
    else:
        digits = format(magnitude, "x" if verb == "x" else "X")
    if spec.prec is not None:
        if spec.prec == 0 and value == 0:
            digits = ""
        digits = digits.rjust(spec.prec, "0")
    prefix = ""
    if spec.sharp:
        prefix = {"b": "0b", "o": "0", "x": "0x", "X": "0X"}.get(verb, "")
        if verb == "o" and digits.startswith("0"):
            prefix = ""
    if verb == "O":
        prefix = "0o"
    sign = "-" if negative else ("+" if spec.plus else (" " if spec.space else ""))
    text = sign + prefix + digits
    if spec.zero and not spec.minus and spec.prec is None and spec.width:
        fill = spec.width - len(text)
        if fill > 0:
            return sign + prefix + "0" * fill + digits
    return _pad(text, spec)


def _float(value: float, verb: str, spec: _Spec, default: int) -> str:
    prec = default if spec.prec is None else spec.prec
    text = format_float(value, "g" if verb == "v" else verb, prec)
    if spec.plus and not text.startswith(("-", "+")):
        text = "+" + text
    elif spec.space and not text.startswith(("-", "+")):
        text = " " + text
    if text in ("+Inf", "-Inf", "NaN") and not spec.plus:
        text = text.lstrip("+") if text == "+Inf" else text
    return _pad(text, spec, zero_ok=text[-1:].isdigit())


def _hex_float(value: float, upper: bool, plus: bool) -> str:
    """strconv.FormatFloat(value, 'x', -1, 64): `0x1.8p+00`."""
    if math.isnan(value) or math.isinf(value):
        text = "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")
        return text if plus or text[0] != "+" else text[1:]
    sign = "-" if math.copysign(1, value) < 0 else ("+" if plus else "")
    mantissa, _, exponent = float.hex(abs(value)).partition("p")
    mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
    exp = int(exponent)
    if value == 0:
        mantissa, exp = "0x0", 0
    text = f"{sign}{mantissa}p{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return text.upper().replace("0X", "0X") if upper else text


def _chr(value: int) -> str:
    try:
        return chr(value)
    except (ValueError, OverflowError):
        return "\ufffd"


def _quote_rune(value: int) -> str:
    char = _chr(value)
    if char == "'":
        return "'\\''"
    body = quote(char)[1:-1]
    return f"'{body.replace(chr(92) + chr(34), chr(34))}'"


_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def quote(text: str) -> str:
    """strconv.Quote: Go-escaped, double-quoted; printable runes are kept."""
    out = ['"']
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char.isprintable() or char == " ":
            out.append(char)
        else:
            code = ord(char)
            if code < 0x80:
                out.append(f"\\x{code:02x}")
            elif code == 0xFFFD:
                out.append(char)
            elif code < 0x10000:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _go_syntax(arg: Any) -> str:
    """`%#v` for the value types templates see."""
    if arg is None:
        return "<nil>"
    if isinstance(arg, str):
        return quote(arg)
    if isinstance(arg, bool):
        return "true" if arg else "false"
    if is_int(arg):
        return str(int(arg))
    if isinstance(arg, float):
        return format_float(arg, "g", -1)
    if isinstance(arg, dict):
        inner = ", ".join(f"{_go_syntax(k)}:{_go_syntax(v)}" for k, v in sorted(arg.items()))
        return f"{go_type(arg)}{{{inner}}}"
    if isinstance(arg, list):
        inner = ", ".join(_go_syntax(v) for v in arg)
        return f"{go_type(arg)}{{{inner}}}"
    return fmt_v(arg)
