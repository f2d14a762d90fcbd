"""The two glob dialects of Argo CD's repo-server, compiled to regular expressions.

- **gobwas** (directory `include` / `exclude`, compiled without separators): `*` and `**`
  match any text including `/`, `?` one character, `[abc]` / `[!a-z]` classes, `{a,b}`
  alternatives (which may nest), `\\` escapes.
- **doublestar** (Helm `valueFiles` patterns): as above, but `*` and `?` stop at `/`, and
  `**` as a whole path segment matches any number of directories.

Used by `directory` and `valuefiles`.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

from gitferry.model.errors import RenderError, UnsafePathError
from gitferry.render import paths

GLOB_CHARS = frozenset("*?[{")


def has_magic(pattern: str) -> bool:
    return any(char in GLOB_CHARS for char in pattern)


def _class(pattern: str, i: int) -> tuple[str, int]:
    """Translate the `[...]` class starting at `i`; returns the regex and the index after it."""
    j = i + 1
    negate = j < len(pattern) and pattern[j] in "!^"
    if negate:
        j += 1
    first = j
    parts: list[str] = []
    while j < len(pattern) and (pattern[j] != "]" or j == first):
        char = pattern[j]
        if char == "\\" and j + 1 < len(pattern):
            parts.append(re.escape(pattern[j + 1]))
            j += 2
            continue
        parts.append("-" if char == "-" else re.escape(char))
        j += 1
    if j >= len(pattern):
        raise RenderError(f"glob {pattern!r}: unclosed character class")
    return f"[{'^' if negate else ''}{''.join(parts)}]", j + 1


def _translate(pattern: str, separators: bool) -> str:
    star = "[^/]*" if separators else ".*"
    one = "[^/]" if separators else "."
    out: list[str] = []
    depth = 0
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if char == "*":
            j = i
            while j < len(pattern) and pattern[j] == "*":
                j += 1
            at_start = i == 0 or pattern[i - 1] == "/"
            if separators and j - i >= 2 and at_start and pattern[j : j + 1] == "/":
                out.append("(?:.*/)?")
                j += 1
            elif separators and j - i >= 2 and at_start and j == len(pattern):
                out.append(".*")
            else:
                out.append(star)
            i = j
            continue
        if char == "?":
            out.append(one)
        elif char == "[":
            text, i = _class(pattern, i)
            out.append(text)
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
    if depth:
        raise RenderError(f"glob {pattern!r}: unclosed '{{'")
    return "".join(out)


@functools.lru_cache(maxsize=256)
def compile_glob(pattern: str, *, separators: bool = False) -> re.Pattern[str]:
    return re.compile(_translate(pattern, separators), re.DOTALL)


def gobwas_match(pattern: str, text: str) -> bool:
    """Argo CD's `glob.Match`: a pattern that does not compile matches nothing."""
    try:
        return compile_glob(pattern).fullmatch(text) is not None
    except (RenderError, re.error):
        return False


def doublestar_glob(base: Path, pattern: str, root: Path) -> list[str]:
    """Relative paths under `base` (files and directories, symlinks not followed into) that
    match a doublestar pattern, in lexical order. `pattern` is relative to `base`; its fixed
    leading directories must stay inside `root`."""
    regex = compile_glob(pattern, separators=True)
    static = []
    for part in pattern.split("/"):
        if has_magic(part):
            break
        static.append(part)
    start = base.joinpath(*static) if static else base
    if not paths.is_inside(root, start):
        raise UnsafePathError(f"{pattern}: the pattern points outside the repository")
    if not start.is_dir():
        return []
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(start):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, base)
        for name in sorted([*dirnames, *filenames]):
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if regex.fullmatch(rel):
                found.append(rel)
    return sorted(found)
