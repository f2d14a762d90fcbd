"""Sprig's string functions: trim*, upper/lower/title, substr, trunc, abbrev, repeat, replace,
contains/hasPrefix/hasSuffix, quote/squote, cat, indent/nindent, split*, join-free helpers,
case conversions, wrap, initials, random strings, hashes, plural, toString, atoi."""

from __future__ import annotations

import hashlib
import random
import re
import string
import zlib
from typing import Any

from gitferry.appset.gotemplate.funcs import FuncError, Function, check_chars, define
from gitferry.appset.gotemplate.printf import quote as go_quote
from gitferry.appset.gotemplate.values import GoTime, StrList, StrMap, fmt_v, time_string

FUNCS: dict[str, Function] = {}

GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
GO_SPACE += "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def strval(value: Any) -> str:
    """Sprig's strval: strings as they are, times as time.String(), the rest as %v."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, GoTime):
        return time_string(value)
    return fmt_v(value)


def go_upper(text: str) -> str:
    return "".join(u if len(u := c.upper()) == 1 else c for c in text)


def go_lower(text: str) -> str:
    return "".join(lo if len(lo := c.lower()) == 1 else c for c in text)


def _is_separator(c: str) -> bool:
    if ord(c) <= 0x7F:
        return not (c.isalnum() or c == "_")
    if c.isalpha() or c.isdigit():
        return False
    return c in GO_SPACE


def go_title(text: str) -> str:
    out, prev = [], " "
    for c in text:
        out.append((c.title() if len(c.title()) == 1 else c) if _is_separator(prev) else c)
        prev = c
    return "".join(out)


def _slice_bounds(start: int, end: int, size: int) -> None:
    if end > size:
        raise FuncError(f"runtime error: slice bounds out of range [:{end}] with length {size}")
    if start > end or start < 0:
        raise FuncError(f"runtime error: slice bounds out of range [{start}:{end}]")


def _bytes_slice(text: str, start: int, end: int) -> str:
    data = text.encode()
    _slice_bounds(start, end, len(data))
    return data[start:end].decode(errors="replace")


define(FUNCS, "trim", "string")(lambda s: s.strip(GO_SPACE))
define(FUNCS, "upper", "string")(go_upper)
define(FUNCS, "lower", "string")(go_lower)
define(FUNCS, "title", "string")(go_title)
define(FUNCS, "trimAll", "string string")(lambda cut, s: s.strip(cut))
define(FUNCS, "trimall", "string string")(lambda cut, s: s.strip(cut))
define(FUNCS, "trimSuffix", "string string")(
    lambda suf, s: s[: -len(suf)] if suf and s.endswith(suf) else s
)
define(FUNCS, "trimPrefix", "string string")(
    lambda pre, s: s[len(pre) :] if s.startswith(pre) else s
)
define(FUNCS, "nospace", "string")(lambda s: "".join(c for c in s if c not in GO_SPACE))
define(FUNCS, "contains", "string string")(lambda sub, s: sub in s)
define(FUNCS, "hasPrefix", "string string")(lambda pre, s: s.startswith(pre))
define(FUNCS, "hasSuffix", "string string")(lambda suf, s: s.endswith(suf))
define(FUNCS, "replace", "string string string")(lambda old, new, src: _replace_all(src, old, new))
define(FUNCS, "plural", "string string int")(lambda one, many, n: one if n == 1 else many)
define(FUNCS, "toString", "any")(strval)
define(FUNCS, "hello")(lambda: "Hello!")


def _replace_all(src: str, old: str, new: str) -> str:
    if old == "":  # Go inserts `new` around every rune
        check_chars(len(src) * (len(new) + 1))
        return new + "".join(c + new for c in src)
    if new:
        check_chars(src.count(old) * len(new) + len(src))
    return src.replace(old, new)


@define(FUNCS, "untitle", "string")
def _untitle(text: str) -> str:
    out, prev_space = [], True
    for c in text:
        out.append(go_lower(c) if prev_space else c)
        prev_space = c in GO_SPACE
    return "".join(out)


@define(FUNCS, "substr", "int int string")
def _substr(start: int, end: int, text: str) -> str:
    size = len(text.encode())
    if start < 0:
        return _bytes_slice(text, 0, end)
    if end < 0 or end > size:
        return _bytes_slice(text, start, size)
    return _bytes_slice(text, start, end)


@define(FUNCS, "trunc", "int string")
def _trunc(count: int, text: str) -> str:
    size = len(text.encode())
    if count < 0 and size + count > 0:
        return _bytes_slice(text, size + count, size)
    if count >= 0 and size > count:
        return _bytes_slice(text, 0, count)
    return text


def _abbreviate(text: str, offset: int, width: int) -> str:
    if text == "":
        return ""
    if width < 4:
        raise FuncError("stringutils illegal argument: Minimum abbreviation width is 4")
    size = len(text)
    if size <= width:
        return text
    offset = min(offset, size)
    if size - offset < width - 3:
        offset = size - (width - 3)
    if offset <= 4:
        return text[: width - 3] + "..."
    if width < 7:
        raise FuncError("stringutils illegal argument: Minimum abbreviation width with offset is 7")
    if offset + width - 3 < size:
        return "..." + _abbreviate(text[offset:], 0, width - 3)
    return "..." + text[size - (width - 3) :]


@define(FUNCS, "abbrev", "int string")
def _abbrev(width: int, text: str) -> str:
    if width < 4:
        return text
    return _abbreviate(text, 0, width)


@define(FUNCS, "abbrevboth", "int int string")
def _abbrevboth(left: int, right: int, text: str) -> str:
    if right < 4 or (left > 0 and right < 7):
        return text
    try:
        return _abbreviate(text, left, right)
    except FuncError:
        return ""


@define(FUNCS, "repeat", "int string")
def _repeat(count: int, text: str) -> str:
    if count < 0:
        raise FuncError("strings: negative Repeat count")
    check_chars(count * len(text))
    return text * count


@define(FUNCS, "initials", "string")
def _initials(text: str) -> str:
    return "".join(word[0] for word in re.split(f"[{re.escape(GO_SPACE)}]+", text) if word)


@define(FUNCS, "swapcase", "string")
def _swapcase(text: str) -> str:
    out, _whitespace = [], True
    for c in text:
        if c.isupper() or c.istitle():
            out.append(go_lower(c))
        elif c.islower():
            out.append(go_upper(c))
        else:
            out.append(c)
    return "".join(out)


@define(FUNCS, "shuffle", "string")
def _shuffle(text: str) -> str:
    chars = list(text)
    random.shuffle(chars)
    return "".join(chars)


def _words(text: str) -> list[str]:
    """Words for the case conversions: split on non-alphanumerics and at case changes."""
    words: list[str] = []
    for chunk in re.split(r"[^0-9A-Za-z\u00c0-\uffff]+", text):
        words.extend(
            re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+|[^\x00-\x7f]+", chunk)
        )
    return words


define(FUNCS, "snakecase", "string")(lambda s: "_".join(w.lower() for w in _words(s)))
define(FUNCS, "kebabcase", "string")(lambda s: "-".join(w.lower() for w in _words(s)))


@define(FUNCS, "camelcase", "string")
def _camelcase(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\s-]+", text) if part)


def _wrap(text: str, width: int, newline: str) -> str:
    width = max(width, 1)
    lines = []
    for line in text.split("\n"):
        words, current = line.split(" "), ""
        for word in words:
            if current and len(current) + 1 + len(word) > width:
                lines.append(current)
                current = word
            else:
                current = f"{current} {word}" if current else word
        lines.append(current)
    return newline.join(lines)


define(FUNCS, "wrap", "int string")(lambda width, s: _wrap(s, width, "\n"))
define(FUNCS, "wrapWith", "int string string")(lambda width, sep, s: _wrap(s, width, sep))


def _random(count: int, alphabet: str) -> str:
    check_chars(count)
    rng = random.SystemRandom()
    return "".join(rng.choice(alphabet) for _ in range(max(count, 0)))


define(FUNCS, "randAlphaNum", "int")(lambda n: _random(n, string.ascii_letters + string.digits))
define(FUNCS, "randAlpha", "int")(lambda n: _random(n, string.ascii_letters))
define(FUNCS, "randNumeric", "int")(lambda n: _random(n, string.digits))
define(FUNCS, "randAscii", "int")(lambda n: _random(n, "".join(chr(c) for c in range(32, 127))))


@define(FUNCS, "quote", variadic="any")
def _quote(*args: Any) -> str:
    return " ".join(go_quote(strval(a)) for a in args if a is not None)


@define(FUNCS, "squote", variadic="any")
def _squote(*args: Any) -> str:
    return " ".join(f"'{fmt_v(a)}'" for a in args if a is not None)


@define(FUNCS, "cat", variadic="any")
def _cat(*args: Any) -> str:
    return " ".join(fmt_v(a) for a in args if a is not None)


@define(FUNCS, "indent", "int string")
def _indent(spaces: int, text: str) -> str:
    pad = " " * max(spaces, 0)
    check_chars(len(text) + len(pad) * (text.count("\n") + 1))
    return pad + text.replace("\n", "\n" + pad)


@define(FUNCS, "nindent", "int string")
def _nindent(spaces: int, text: str) -> str:
    return "\n" + _indent(spaces, text)


@define(FUNCS, "split", "string string")
def _split(sep: str, text: str) -> StrMap:
    return StrMap((f"_{i}", part) for i, part in enumerate(go_split(text, sep)))


@define(FUNCS, "splitn", "string int string")
def _splitn(sep: str, count: int, text: str) -> StrMap:
    return StrMap((f"_{i}", part) for i, part in enumerate(go_split(text, sep, count)))


@define(FUNCS, "splitList", "string string")
def _split_list(sep: str, text: str) -> StrList:
    return StrList(go_split(text, sep))


def go_split(text: str, sep: str, count: int = -1) -> list[str]:
    """strings.Split / SplitN (an empty separator splits into runes)."""
    if count == 0:
        return []
    if sep == "":
        chars = list(text)
        if 0 < count < len(chars):
            return [*chars[: count - 1], "".join(chars[count - 1 :])]
        return chars
    return text.split(sep, count - 1 if count > 0 else -1)


@define(FUNCS, "atoi", "string")
def _atoi(text: str) -> int:
    if re.fullmatch(r"[+-]?[0-9]+", text):
        value = int(text)
        if -(1 << 63) <= value < (1 << 63):
            return value
    return 0


def _digest(name: str) -> Any:
    return lambda text: hashlib.new(name, text.encode()).hexdigest()


define(FUNCS, "sha1sum", "string")(_digest("sha1"))
define(FUNCS, "sha256sum", "string")(_digest("sha256"))
define(FUNCS, "sha512sum", "string")(_digest("sha512"))
define(FUNCS, "adler32sum", "string")(lambda text: str(zlib.adler32(text.encode())))
