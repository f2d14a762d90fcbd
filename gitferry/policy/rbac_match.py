"""Argo CD's `globOrRegexMatch`: how an RBAC policy pattern matches a resource, action or object.

- `MatchMode.GLOB` (the default): `globs.glob_match` without separators, so `*` crosses `/`;
  a pattern that does not compile never matches.
- `MatchMode.REGEX`: Go's `regexp.MatchString(pattern, value)`, an unanchored RE2 search. A
  pattern Go cannot compile never matches here; `regex_problem` says why, so the policy loader
  can report it (Argo CD fails every request that reaches such a line).

Python's `re` runs RE2 patterns with the differences that matter closed: `\\d`, `\\w`, `\\s`
are ASCII as in Go, `\\z` is Go's end of text, `(?<name>...)` is a named group, and what RE2
rejects (look-around, back-references, atomic groups, possessive or nested repetition, `\\Z`)
is rejected here too.

Used by `rbac_policy`, `rbac_index` and `rbac_casbin`. Pure; no I/O.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable

from gitferry.policy import globs

Matcher = Callable[[str], bool]


class MatchMode(enum.StrEnum):
    """`policy.matchMode` of `argocd-rbac-cm`."""

    GLOB = "glob"
    REGEX = "regex"

    @classmethod
    def parse(cls, value: str | None) -> MatchMode:
        """Argo CD's reading: `regex` is regex, anything else (or nothing) is glob."""
        return cls.REGEX if value == "regex" else cls.GLOB


def match(value: str, pattern: str, mode: MatchMode = MatchMode.GLOB) -> bool:
    """Whether `value` matches the policy `pattern` under `mode`."""
    return matcher(pattern, mode)(value)


@functools.lru_cache(maxsize=16384)
def matcher(pattern: str, mode: MatchMode = MatchMode.GLOB) -> Matcher:
    """A predicate on values for one policy pattern, compiled once and shared."""
    if mode is MatchMode.REGEX:
        compiled = _compile_go_regexp(pattern)
        if isinstance(compiled, str):
            return _never
        search = compiled.search
        return lambda value: search(value) is not None
    if pattern == "*":
        return _always
    if not any(char in pattern for char in "*?[{\\"):
        return pattern.__eq__
    return functools.partial(_glob, pattern)


def regex_problem(pattern: str) -> str | None:
    """Why Go's regexp package would not compile `pattern`, or None when it would."""
    compiled = _compile_go_regexp(pattern)
    return compiled if isinstance(compiled, str) else None


def _glob(pattern: str, value: str) -> bool:
    return globs.glob_match(pattern, value)


def _always(_value: str) -> bool:
    return True


def _never(_value: str) -> bool:
    return False


class _Unsupported(ValueError):
    """A construct RE2 rejects; the message says which."""


@functools.lru_cache(maxsize=4096)
def _compile_go_regexp(pattern: str) -> re.Pattern[str] | str:
    """`pattern` compiled with Go's RE2 meaning, or the reason Go would reject it."""
    try:
        return re.compile(_translate(pattern), re.ASCII)
    except _Unsupported as err:
        return str(err)
    except re.error as err:
        return str(err)


_REJECTED_GROUPS = {
    "(?=": "look-ahead",
    "(?!": "negative look-ahead",
    "(?<=": "look-behind",
    "(?<!": "negative look-behind",
    "(?>": "atomic group",
    "(?(": "conditional group",
    "(?P=": "back-reference",
    "(?#": "comment group",
}
_QUANTIFIERS = "*+?"
_COUNTED = re.compile(r"\{\d+(,\d*)?\}")


def _translate(pattern: str) -> str:
    """Python syntax for an RE2 pattern; raises `_Unsupported` for what RE2 does not accept."""
    out: list[str] = []
    i, n = 0, len(pattern)
    repeated = False  # the previous token was a quantifier
    while i < n:
        char = pattern[i]
        if char == "\\":
            if i + 1 >= n:
                raise _Unsupported("trailing backslash")
            escaped = pattern[i + 1]
            if escaped.isdigit():
                raise _Unsupported(f"invalid escape \\{escaped} (no back-references in RE2)")
            if escaped == "Z":
                raise _Unsupported("invalid escape \\Z (RE2 writes end of text as \\z)")
            out.append(r"\Z" if escaped == "z" else pattern[i : i + 2])
            i += 2
            repeated = False
            continue
        if char == "[":
            end = _class_end(pattern, i)
            out.append(pattern[i:end])
            i = end
            repeated = False
            continue
        if char == "(":
            for prefix, what in _REJECTED_GROUPS.items():
                if pattern.startswith(prefix, i):
                    raise _Unsupported(f"RE2 has no {what} `{prefix}`")
            if pattern.startswith("(?<", i):
                out.append("(?P<")
                i += 3
                repeated = False
                continue
        end = _repeat_end(pattern, i)
        if end > i:
            if repeated:
                raise _Unsupported(f"invalid nested repetition operator `{pattern[i:end]}`")
            out.append(pattern[i:end])
            i = end
            if i < n and pattern[i] == "?":  # the lazy form
                out.append("?")
                i += 1
            repeated = True
            continue
        out.append(char)
        i += 1
        repeated = False
    return "".join(out)


def _repeat_end(pattern: str, start: int) -> int:
    """The end of a quantifier at `start` (`*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`), or `start`."""
    if pattern[start] in _QUANTIFIERS:
        return start + 1
    found = _COUNTED.match(pattern, start)
    return found.end() if found else start


def _class_end(pattern: str, start: int) -> int:
    """The index after the character class opening at `start`."""
    i = start + 1
    n = len(pattern)
    if i < n and pattern[i] == "^":
        i += 1
    if i < n and pattern[i] == "]":
        i += 1
    while i < n and pattern[i] != "]":
        if pattern[i] == "\\":
            i += 1
        elif pattern.startswith("[:", i):
            close = pattern.find(":]", i + 2)
            if close > 0:
                i = close + 1
        i += 1
    if i >= n:
        raise _Unsupported("missing closing ]")
    return i + 1
