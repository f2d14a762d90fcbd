"""Semantic versions and constraints with the rules of Masterminds/semver v3, as Argo CD uses
them for `targetRevision` (Git tags, Helm chart versions).

Versions are parsed loosely like `semver.NewVersion`: an optional `v`, missing minor or patch
read as 0 (`v1.2` is 1.2.0). Constraints: `||` between alternatives, commas or spaces
between the parts that must all hold; operators `=`, `!=`, `>`, `<`, `>=`, `<=`, `~`
(`~>`), `^`; wildcards `x`, `X`, `*` and missing parts (`1.2`, `1.2.x`); hyphen ranges
(`1.2 - 1.4.5`). A pre-release version only satisfies an alternative that itself names a
pre-release. Called by `revisions` (tags) and `charts` (chart versions).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_VERSION = re.compile(
    r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$"
)
_CV = (
    r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
)
_OPS = r"=|!=|>|<|>=|=>|<=|=<|~|~>|\^"
_ONE = re.compile(rf"^\s*({_OPS}|)\s*({_CV})\s*$")
_RANGE = re.compile(rf"\s*({_CV})\s+-\s+({_CV})\s*")
_FIND = re.compile(rf"({_OPS}|)\s*({_CV})")
_VALID = re.compile(rf"^(\s*({_OPS}|)\s*({_CV})\s*)((?:\s+|,\s*)({_OPS}|)\s*({_CV})\s*)*$")
_WILD = {"x", "X", "*"}


@functools.total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    pre: str = ""
    build: str = ""  # build metadata: kept, ignored in comparisons

    def _key(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    def compare(self, other: Version) -> int:
        if self._key() != other._key():
            return -1 if self._key() < other._key() else 1
        if self.pre == other.pre:
            return 0
        if not self.pre:
            return 1
        if not other.pre:
            return -1
        return _compare_pre(self.pre, other.pre)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.compare(other) < 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.compare(other) == 0

    def __hash__(self) -> int:
        return hash((self._key(), self.pre))


def parse_version(text: str) -> Version | None:
    """`semver.NewVersion` (coercing): None when `text` is not a version."""
    match = _VERSION.match(text)
    if match is None:
        return None
    pre, build = match[5] or "", match[8] or ""
    if pre and any(p == "" for p in pre.split(".")):
        return None
    return Version(
        int(match[1]),
        int(match[2][1:]) if match[2] else 0,
        int(match[3][1:]) if match[3] else 0,
        pre,
        build,
    )


def _compare_pre(a: str, b: str) -> int:
    left, right = a.split("."), b.split(".")
    for x, y in zip(left, right, strict=False):
        if x == y:
            continue
        if x.isdigit() and y.isdigit():
            return -1 if int(x) < int(y) else 1
        if x.isdigit():
            return -1
        if y.isdigit():
            return 1
        return -1 if x < y else 1
    return (len(left) > len(right)) - (len(left) < len(right))


@dataclass(frozen=True)
class _Part:
    op: str
    con: Version
    dirty: bool
    minor_dirty: bool
    patch_dirty: bool

    def check(self, v: Version, include_pre: bool) -> bool:
        if v.pre and not include_pre:
            return False
        c = self.con
        match self.op:
            case "" | "=":
                return self._tilde(v) if self.dirty else v == c
            case "!=":
                return self._not_equal(v)
            case ">":
                if not self.dirty:
                    return v.compare(c) > 0
                if v.major != c.major:
                    return v.major > c.major
                if self.minor_dirty:
                    return False  # >1 means 2.0.0 or later, not 1.1.0
                return v.minor > c.minor if self.patch_dirty else v.compare(c) > 0
            case "<":
                return v.compare(c) < 0
            case ">=" | "=>":
                return v.compare(c) >= 0
            case "<=" | "=<":
                if not self.dirty:
                    return v.compare(c) <= 0
                if v.major > c.major:
                    return False
                return not (v.major == c.major and v.minor > c.minor and not self.minor_dirty)
            case "~" | "~>":
                return self._tilde(v)
            case _:  # "^"
                return self._caret(v)

    def _tilde(self, v: Version) -> bool:
        c = self.con
        if v.compare(c) < 0:
            return False
        if c._key() == (0, 0, 0) and not self.minor_dirty and not self.patch_dirty:
            return True
        return v.major == c.major and (v.minor == c.minor or self.minor_dirty)

    def _caret(self, v: Version) -> bool:
        c = self.con
        if v.compare(c) < 0:
            return False
        if c.major > 0 or self.minor_dirty:
            return v.major == c.major
        if v.major > 0:
            return False
        if c.minor > 0 or self.patch_dirty:
            return v.minor == c.minor
        if v.minor > 0:
            return False
        return v.patch == c.patch

    def _not_equal(self, v: Version) -> bool:
        c = self.con
        if not self.dirty:
            return v != c
        if c.major != v.major:
            return True
        if self.minor_dirty:
            return False
        if c.minor != v.minor:
            return True
        if self.patch_dirty:
            return (v.pre or c.pre) != "" and _compare_pre(v.pre, c.pre) != 0
        return v != c


@dataclass(frozen=True)
class Constraint:
    """A parsed constraint: alternatives (`||`) of parts that must all hold."""

    alternatives: tuple[tuple[_Part, ...], ...]

    def check(self, version: Version) -> bool:
        for parts in self.alternatives:
            include_pre = any(p.con.pre for p in parts)
            if all(p.check(version, include_pre) for p in parts):
                return True
        return False


def parse_constraint(text: str) -> Constraint | None:
    """`semver.NewConstraint`: None when `text` is not a constraint."""
    text = _RANGE.sub(lambda m: f">= {m[1]}, <= {m[11]} ", text)
    alternatives = []
    for segment in text.split("||"):
        if not _VALID.match(segment):
            return None
        found = [m[0] for m in _FIND.finditer(segment)] or [segment]
        parts = [_parse_part(p) for p in found]
        if any(p is None for p in parts):
            return None
        alternatives.append(tuple(p for p in parts if p is not None))
    return Constraint(tuple(alternatives))


def _parse_part(text: str) -> _Part | None:
    match = _ONE.match(text)
    if match is None:
        return None
    op, major, minor, patch, pre = match[1], match[3], match[4], match[5], match[7] or ""
    dirty = minor_dirty = patch_dirty = False
    suffix = f"-{pre}" if pre else ""
    if major in _WILD:
        version, dirty = f"0.0.0{suffix}", True
    elif not minor or minor[1:] in _WILD:
        version, dirty, minor_dirty = f"{major}.0.0{suffix}", True, True
    elif not patch or patch[1:] in _WILD:
        version, dirty, patch_dirty = f"{major}{minor}.0{suffix}", True, True
    else:
        version = f"{major}{minor}{patch}{suffix}"
    con = parse_version(version)
    if con is None:
        return None
    return _Part(op, con, dirty, minor_dirty, patch_dirty)


def best(constraint: Constraint, candidates: dict[str, Version]) -> str | None:
    """The key of the highest version in `candidates` that satisfies `constraint`.

    Versions equal in precedence (`v1.0.0` and `1.0.0`) keep the first one seen, as Argo CD's
    strictly-greater scan does.
    """
    winner: tuple[str, Version] | None = None
    for key, version in candidates.items():
        if constraint.check(version) and (winner is None or version > winner[1]):
            winner = (key, version)
    return winner[0] if winner else None
