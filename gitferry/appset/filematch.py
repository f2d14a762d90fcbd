"""Which files a git files generator pattern selects.

Two dialects, as in Argo CD's repo server:
- default, `git ls-files -- <pattern>` pathspecs: a pattern without wildcards matches the file
  of that path or every file under that directory; with wildcards it is matched against the
  whole path by git's wildmatch without the pathname flag, so `*` and `?` cross `/` ("very
  greedy": `a/*/values.yaml` also matches `a/b/c/values.yaml`); classes `[abc]`, `[a-z]`,
  `[!a]`/`[^a]`; `\\` escapes.
- `--enable-new-git-file-globbing` (doublestar): `*`, `?` and classes stay within a segment,
  `**` as a whole segment spans any number of them (zero included), `{a,b}` alternates.
Patterns that do not compile match nothing. Called by the git generator.
"""

from __future__ import annotations

import functools
import re

_WILDCARDS = frozenset("*?[")


def pathspec_match(pattern: str, path: str) -> bool:
    """Whether `git ls-files -- pattern` lists `path`."""
    pattern = pattern.removeprefix("./")
    if not any(char in _WILDCARDS for char in pattern.replace("\\\\", "")):
        literal = pattern.replace("\\", "").rstrip("/")
        return not literal or path == literal or path.startswith(literal + "/")
    compiled = _pathspec(pattern)
    return compiled is not None and compiled.fullmatch(path) is not None


def doublestar_match(pattern: str, path: str) -> bool:
    """Whether doublestar's `Match(pattern, path)` holds."""
    compiled = _doublestar(pattern.removeprefix("./"))
    return compiled is not None and compiled.fullmatch(path) is not None


@functools.lru_cache(maxsize=512)
def _pathspec(pattern: str) -> re.Pattern[str] | None:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "[":
            klass, i = _class(pattern, i, "!^")
            if klass is None:
                return None
            out.append(klass)
            continue
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out), re.S)


@functools.lru_cache(maxsize=512)
def _doublestar(pattern: str) -> re.Pattern[str] | None:
    segments = pattern.split("/")
    out: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            out.append(".*" if last else "(?:[^/]*/)*")
            continue
        body = _segment(segment)
        if body is None:
            return None
        out.append(body if last else body + "/")
    try:
        return re.compile("".join(out), re.S)
    except re.error:
        return None


def _segment(segment: str) -> str | None:
    out: list[str] = []
    i, n, depth = 0, len(segment), 0
    while i < n:
        char = segment[i]
        if char == "\\" and i + 1 < n:
            out.append(re.escape(segment[i + 1]))
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            klass, i = _class(segment, i, "!^")
            if klass is None:
                return None
            out.append(klass)
            continue
        elif char == "{":
            out.append("(?:")
            depth += 1
        elif char == "}" and depth:
            out.append(")")
            depth -= 1
        elif char == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(char))
        i += 1
    return None if depth else "".join(out)


def _class(pattern: str, start: int, negations: str) -> tuple[str | None, int]:
    i = start + 1
    negated = i < len(pattern) and pattern[i] in negations
    if negated:
        i += 1
    parts: list[str] = []
    first = True
    while i < len(pattern) and (pattern[i] != "]" or first):
        first = False
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            char = pattern[i + 1]
            i += 1
        if i + 2 < len(pattern) and pattern[i + 1] == "-" and pattern[i + 2] != "]":
            high = pattern[i + 2]
            if high < char:
                return None, i
            parts.append(f"{re.escape(char)}-{re.escape(high)}")
            i += 3
            continue
        parts.append(re.escape(char))
        i += 1
    if i >= len(pattern):
        return None, i
    body = "".join(parts)
    return (f"[^{body}]" if negated else f"[{body}]"), i + 1
