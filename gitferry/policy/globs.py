"""Argo CD's matching primitives (reference 1.1-1.3): gobwas globs, Go's `path.Match` and
`MatchStringInList`.

Projects, sync windows and ApplicationSets match names with these. Patterns compile once and
are cached (`functools.lru_cache`): the controller matches the same few patterns for every
app and every manifest.

- `glob_match(pattern, text, separator=False)`: gobwas/glob as `util/glob.Match` uses it.
  Whole-string. Without a separator `*` and `?` cross `/`; with one (`sourceRepos` only) they
  do not and `**` does. Classes hold one list `[abc]` or one range `[a-z]`, negated with `!`
  (`^` is literal); `{a,b}` alternates (an unclosed `{` closes at the end); `\\x` is `x`. A
  pattern gobwas cannot compile (`e[[a*`) never matches.
- `path_match(pattern, text)`: Go's `path.Match`/`filepath.Match` (resource lists, the git
  directory generator): `*` and `?` never cross `/`, negation is `[^a]` (`!` is literal),
  several ranges per class, no `{}`; a malformed pattern never matches.
- `match_in_list(items, text, mode)`: `MatchStringInList` with modes exact, glob and regexp
  (`/.../` items are unanchored regular expressions, and every item is also tried as a glob).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Literal

ListMode = Literal["exact", "glob", "regexp"]

_TEXT_BREAKERS = "?*[{"
_TERMS_BREAKERS = "?*[{},"


class _BadPattern(ValueError):
    """A pattern that does not compile; matching with it is always false."""


def glob_match(pattern: str, text: str, *, separator: bool = False) -> bool:
    """Whether `text` matches the gobwas glob `pattern` (with `/` as separator if asked)."""
    compiled = _compile_glob(pattern, separator)
    return compiled is not None and compiled.fullmatch(text) is not None


def path_match(pattern: str, text: str) -> bool:
    """Whether `text` matches `pattern` as Go's `path.Match` decides (errors mean no)."""
    try:
        return _path_match(pattern, text)
    except _BadPattern:
        return False


def match_in_list(items: Iterable[str], text: str, mode: ListMode = "glob") -> bool:
    """Whether any item matches `text` under `mode`, as Argo CD's `MatchStringInList`."""
    for item in items:
        if mode == "exact":
            if item == text:
                return True
            continue
        if mode == "regexp" and len(item) >= 2 and item.startswith("/") and item.endswith("/"):
            compiled = _compile_regexp(item[1:-1])
            if compiled is not None and compiled.search(text) is not None:
                return True
        if glob_match(item, text):
            return True
    return False


# -- gobwas/glob ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def _compile_glob(pattern: str, separator: bool) -> re.Pattern[str] | None:
    try:
        return re.compile(_translate_glob(pattern, separator), re.S)
    except (_BadPattern, re.error):
        return None


@functools.lru_cache(maxsize=1024)
def _compile_regexp(expression: str) -> re.Pattern[str] | None:
    try:
        return re.compile(expression)
    except re.error:
        return None


def _translate_glob(pattern: str, separator: bool) -> str:
    """The regular expression for a gobwas glob, following gobwas' lexer token by token."""
    out: list[str] = []
    star, one = ("[^/]*", "[^/]") if separator else (".*", ".")
    i, n, depth = 0, len(pattern), 0
    while i < n:
        char = pattern[i]
        if char == "{":
            out.append("(?:")
            depth += 1
            i += 1
        elif char == "," and depth:
            out.append("|")
            i += 1
        elif char == "}" and depth:
            out.append(")")
            depth -= 1
            i += 1
        elif char == "[":
            klass, i = _gobwas_class(pattern, i + 1)
            out.append(klass)
        elif char == "?":
            out.append(one)
            i += 1
        elif char == "*":
            double = pattern.startswith("**", i)
            out.append(".*" if double else star)
            i += 2 if double else 1
        else:
            text, i = _gobwas_text(pattern, i, _TERMS_BREAKERS if depth else _TEXT_BREAKERS)
            out.append(re.escape(text))
    return "".join(out) + ")" * depth


def _gobwas_text(pattern: str, i: int, breakers: str) -> tuple[str, int]:
    """A run of literal text up to an unescaped breaker; a trailing lone `\\` is dropped."""
    data: list[str] = []
    escaped = False
    while i < len(pattern):
        char = pattern[i]
        if not escaped:
            if char == "\\":
                escaped = True
                i += 1
                continue
            if char in breakers:
                break
        escaped = False
        data.append(char)
        i += 1
    return "".join(data), i


def _gobwas_class(pattern: str, i: int) -> tuple[str, int]:
    """The class after `[`: `!`, then one `lo-hi` range or one list of characters, then `]`."""
    negated = seen_not = want_hi = False
    lo = hi = chars = ""
    while True:
        if i >= len(pattern):
            raise _BadPattern("unexpected end of input")
        char = pattern[i]
        if want_hi:
            hi = char
            if hi < lo:
                raise _BadPattern("hi character should be greater than lo")
            i += 1
            break
        if not seen_not and char == "!":
            negated = seen_not = True
            i += 1
            continue
        if i + 1 < len(pattern) and pattern[i + 1] == "-":
            lo, want_hi = char, True
            i += 2
            continue
        chars, i = _gobwas_text(pattern, i, "]")
        break
    if i >= len(pattern):
        raise _BadPattern("unexpected end of input")
    if pattern[i] != "]":
        raise _BadPattern("expected close range character")
    if bool(chars) == bool(lo and hi):
        raise _BadPattern("could not parse range")
    body = f"{re.escape(lo)}-{re.escape(hi)}" if lo else "".join(re.escape(c) for c in chars)
    return (f"[^{body}]" if negated else f"[{body}]"), i + 1


# -- Go path.Match -------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def _path_match(pattern: str, name: str) -> bool:
    while pattern:
        star, chunk, pattern = _scan_chunk(pattern)
        if star and not chunk:
            return "/" not in name  # a trailing * matches the rest unless it has a /
        rest = _match_chunk(chunk, name)
        if rest is not None and (not rest or pattern):
            name = rest
            continue
        if star:
            skipped = _match_after_skip(chunk, name, last=not pattern)
            if skipped is not None:
                name = skipped
                continue
        while pattern:  # the rest of the pattern must still be well-formed
            _, chunk, pattern = _scan_chunk(pattern)
            _match_chunk(chunk, "")
        return False
    return not name


def _match_after_skip(chunk: str, name: str, *, last: bool) -> str | None:
    """After a `*`: the rest once `chunk` matches after skipping 1.. characters (never `/`)."""
    for i, char in enumerate(name):
        if char == "/":
            return None
        rest = _match_chunk(chunk, name[i + 1 :])
        if rest is not None and not (last and rest):
            return rest
    return None


def _scan_chunk(pattern: str) -> tuple[bool, str, str]:
    star = False
    while pattern.startswith("*"):
        pattern, star = pattern[1:], True
    in_range = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            i += 1
        elif char == "[":
            in_range = True
        elif char == "]":
            in_range = False
        elif char == "*" and not in_range:
            break
        i += 1
    return star, pattern[:i], pattern[i:]


def _match_chunk(chunk: str, text: str) -> str | None:
    """The rest of `text` after `chunk` matched its start, or None; raises on a bad chunk."""
    failed = False
    while chunk:
        failed = failed or not text
        char = chunk[0]
        if char == "[":
            current = "" if failed else text[0]
            text = text if failed else text[1:]
            chunk = chunk[1:]
            negated = chunk.startswith("^")
            chunk = chunk[1:] if negated else chunk
            matched, ranges = False, 0
            while not (chunk.startswith("]") and ranges > 0):
                lo, chunk = _get_escaped(chunk)
                hi = lo
                if chunk[0] == "-":
                    hi, chunk = _get_escaped(chunk[1:])
                matched = matched or (bool(current) and lo <= current <= hi)
                ranges += 1
            chunk = chunk[1:]
            failed = failed or matched == negated
        elif char == "?":
            if not failed:
                failed = text[0] == "/"
                text = text[1:]
            chunk = chunk[1:]
        else:
            if char == "\\":
                chunk = chunk[1:]
                if not chunk:
                    raise _BadPattern("trailing backslash")
            if not failed:
                failed = chunk[0] != text[0]
                text = text[1:]
            chunk = chunk[1:]
    return None if failed else text


def _get_escaped(chunk: str) -> tuple[str, str]:
    if not chunk or chunk[0] in "-]":
        raise _BadPattern("bad range")
    if chunk[0] == "\\":
        chunk = chunk[1:]
        if not chunk:
            raise _BadPattern("trailing backslash")
    if len(chunk) == 1:
        raise _BadPattern("unclosed range")
    return chunk[0], chunk[1:]
