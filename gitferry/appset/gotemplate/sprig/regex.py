"""Sprig's regular-expression functions with Go's regexp semantics: regexMatch, regexFind,
regexFindAll, regexReplaceAll, regexReplaceAllLiteral, regexSplit, regexQuoteMeta and their
`must` forms.

Patterns are RE2, as in Go. With `google-re2` installed they run on RE2 itself: the same
syntax as Go and linear time, so a user's `(a+)+$` cannot stall the controller. Without it,
Python's `re` runs them after a small translation (`\\z`, `$` as end of text, `\\Q..\\E`,
POSIX classes) — same answers for ordinary patterns, but backtracking. Either way the
iteration is Go's (an empty match right after a previous match is skipped), replacements
expand `$1`, `${1}`, `$name` as Go's Expand does, and errors read like Go's
(`error parsing regexp: missing closing ]: `[``; the non-`must` forms panic like MustCompile).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from gitferry.appset.gotemplate.funcs import FuncError, Function, define
from gitferry.appset.gotemplate.values import StrList

try:
    import re2
except ImportError:  # google-re2 is optional: fall back to Python's re
    re2 = None

FUNCS: dict[str, Function] = {}

# Error texts of RE2 (C++ and Python's re) mapped to Go's regexp ErrorCode texts.
_CODES = {
    "missing ]": "missing closing ]",
    "unterminated character set": "missing closing ]",
    "missing )": "missing closing )",
    "missing ), unterminated subpattern": "missing closing )",
    "unexpected )": "unexpected )",
    "unbalanced parenthesis": "unexpected )",
    "no argument for repetition operator": "missing argument to repetition operator",
    "nothing to repeat": "missing argument to repetition operator",
    "bad repetition operator": "invalid nested repetition operator",
    "multiple repeat": "invalid nested repetition operator",
    "bad escape": "invalid escape sequence",
    "invalid escape sequence": "invalid escape sequence",
    "bad character range": "invalid character class range",
    "bad character class range": "invalid character class range",
    "invalid character class range": "invalid character class range",
    "unknown extension": "invalid or unsupported Perl syntax",
    "invalid named capture group": "invalid named capture group",
    "bad named capture group": "invalid named capture group",
}

_POSIX = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7F",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1F\\x7F",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}


def _go_code(message: str) -> str:
    return next((go for text, go in _CODES.items() if message.startswith(text)), message)


@functools.lru_cache(maxsize=256)
def compile_go(pattern: str) -> Any:
    """A compiled Go (RE2) pattern with `search(text, pos)`, `groups`, `groupindex`;
    FuncError with Go's message when it does not compile."""
    if re2 is not None:
        options = re2.Options()
        options.log_errors = False
        try:
            return re2.compile(pattern, options)
        except re2.error as err:
            text = err.args[0].decode() if isinstance(err.args[0], bytes) else str(err)
            raise FuncError(f"error parsing regexp: {_go_code(text)}: `{pattern}`") from None
    try:
        return re.compile(_translate(pattern))
    except re.error as err:
        raise FuncError(f"error parsing regexp: {_go_code(str(err.msg))}: `{pattern}`") from None


def _translate(pattern: str) -> str:
    """RE2 syntax for Python's re: `\\z`, `$` without (?m), `\\Q..\\E`, POSIX classes."""
    out: list[str] = []
    i, in_class, multiline = 0, False, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt == "Q":
                end = pattern.find("\\E", i + 2)
                literal = pattern[i + 2 :] if end < 0 else pattern[i + 2 : end]
                out.append(re.escape(literal))
                i = len(pattern) if end < 0 else end + 2
                continue
            out.append("\\Z" if nxt == "z" and not in_class else c + nxt)
            i += 2
            continue
        if in_class and pattern.startswith("[:", i):
            end = pattern.find(":]", i + 2)
            name = pattern[i + 2 : end] if end > 0 else ""
            if name in _POSIX:
                out.append(_POSIX[name])
                i = end + 2
                continue
        if c == "[" and not in_class:
            in_class = True
            out.append(c)
            i += 1
            if i < len(pattern) and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < len(pattern) and pattern[i] == "]":
                out.append("\\]")
                i += 1
            continue
        if c == "]" and in_class:
            in_class = False
        elif c == "(" and pattern.startswith("(?", i) and not in_class:
            flags = re.match(r"\(\?([imsU]*)[):]", pattern[i:])
            if flags and "m" in flags.group(1):
                multiline = True
        elif c == "$" and not in_class and not multiline:
            out.append("\\Z")
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _must_compile(pattern: str) -> Any:
    """regexp.MustCompile: the message Go's panic carries."""
    try:
        return compile_go(pattern)
    except FuncError as err:
        raise FuncError(f"regexp: Compile(`{pattern}`): {err}") from None


def find_all(regex: Any, text: str, limit: int = -1) -> list[Any]:
    """Go's allMatches: successive non-overlapping matches; an empty match right after the
    previous match is skipped."""
    found: list[Any] = []
    pos, prev_end = 0, -1
    while (limit < 0 or len(found) < limit) and pos <= len(text):
        match = regex.search(text, pos)
        if match is None:
            break
        accept = True
        if match.end() == pos:
            if match.start() == prev_end:
                accept = False
            pos += 1
        else:
            pos = match.end()
        prev_end = match.end()
        if accept:
            found.append(match)
    return found


def expand(template: str, regex: Any, match: Any) -> str:
    """Go's Regexp.Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`; unknown groups expand to
    nothing, a malformed reference stays as it is."""
    out: list[str] = []
    rest = template
    while True:
        before, sep, after = rest.partition("$")
        out.append(before)
        if not sep:
            break
        rest = after
        if rest.startswith("$"):
            out.append("$")
            rest = rest[1:]
            continue
        ref = re.match(r"\{(\w+)\}|(\w+)", rest)
        if ref is None or (rest.startswith("{") and ref.group(1) is None):
            out.append("$")
            continue
        name = ref.group(1) or ref.group(2)
        rest = rest[ref.end() :]
        if name.isdigit() and not (name[0] == "0" and len(name) > 1):
            number = int(name)
            if number <= regex.groups and match.group(number) is not None:
                out.append(match.group(number))
        elif name in regex.groupindex and match.group(name) is not None:
            out.append(match.group(name))
    return "".join(out)


def replace_all(regex: Any, text: str, replace: Callable[[Any], str]) -> str:
    """Go's replaceAll: no replacement for an empty match right after the previous one."""
    out: list[str] = []
    last_end, search = 0, 0
    while search <= len(text):
        match = regex.search(text, search)
        if match is None:
            break
        out.append(text[last_end : match.start()])
        if match.end() > last_end or match.start() == 0:
            out.append(replace(match))
        last_end = match.end()
        search = search + 1 if search + 1 > match.end() else match.end()
    out.append(text[last_end:])
    return "".join(out)


def split(regex: Any, text: str, count: int) -> StrList:
    """Go's Regexp.Split."""
    if count == 0:
        return StrList()
    if regex.pattern and text == "":
        return StrList([""])
    parts: list[str] = []
    begin = end = 0
    for match in find_all(regex, text, count):
        if count > 0 and len(parts) == count - 1:
            break
        end = match.start()
        if match.end() != 0:
            parts.append(text[begin:end])
        begin = match.end()
    if end != len(text):
        parts.append(text[begin:])
    return StrList(parts)


def _pair(name: str, params: str, fn: Callable[..., Any], quiet: Any = None) -> None:
    """`mustName` returns the compile error; `name` panics with MustCompile's message, except
    regexMatch, which answers `quiet` (false)."""
    define(FUNCS, "must" + name[0].upper() + name[1:], params)(fn)

    def lenient(regex: str, *args: Any) -> Any:
        if quiet is not None:
            try:
                return fn(regex, *args)
            except FuncError:
                return quiet
        _must_compile(regex)
        return fn(regex, *args)

    define(FUNCS, name, params)(lenient)


_pair("regexMatch", "string string", lambda r, s: compile_go(r).search(s) is not None, False)
_pair(
    "regexFindAll",
    "string string int",
    lambda r, s, n: StrList(m.group(0) for m in find_all(compile_go(r), s, n)),
)
_pair(
    "regexFind",
    "string string",
    lambda r, s: m.group(0) if (m := compile_go(r).search(s)) else "",
)
_pair(
    "regexReplaceAll",
    "string string string",
    lambda r, s, repl: replace_all(compile_go(r), s, lambda m: expand(repl, compile_go(r), m)),
)
_pair(
    "regexReplaceAllLiteral",
    "string string string",
    lambda r, s, repl: replace_all(compile_go(r), s, lambda m: repl),
)
_pair("regexSplit", "string string int", lambda r, s, n: split(compile_go(r), s, n))
define(FUNCS, "regexQuoteMeta", "string")(lambda s: re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", s))
