"""Resolving a `targetRevision` against the refs of a repository, the way Argo CD's
`LsRemote` does, as a pure function over a ref table.

Order (Argo CD's): a full commit SHA stands for itself; a revision that parses as a semver
constraint (`1.2.*`, `>=1.0.0 <2.0.0`, `^1.2`, `~1.2.3`, also a plain `1.2.3`) picks the
highest matching tag (only tags starting with `tagPrefix`, which is cut off before
parsing); otherwise the first ref, in `git ls-remote` order (HEAD, then by name: branches
before tags), whose full or short name equals the revision. An empty revision means HEAD.
A 7+ hex revision that names no ref is an abbreviated SHA, looked up in the object store by
the caller. Called by `repositories`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from gitferry.source import semver

FULL_SHA = re.compile(r"^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$")
SHORT_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")
# The ref the mirror keeps for the remote's HEAD (git fetch of `HEAD` stores the commit).
HEAD_REF = "refs/gitferry/HEAD"
# What `git for-each-ref` prints for each ref; parsed by `parse_refs`.
FOR_EACH_REF_FORMAT = "%(objectname) %(objecttype) %(*objectname) %(*objecttype) %(refname)"
# Short-name rules of git (and go-git's `ReferenceName.Short`), most specific first.
_SHORT_PREFIXES = ("refs/heads/", "refs/tags/", "refs/remotes/", "refs/")


@dataclass(frozen=True)
class Ref:
    """One ref of the mirror: its name, the commit it leads to, and the tag object between
    them when it is an annotated tag (what Argo CD verifies the signature of)."""

    name: str
    commit: str
    tag_object: str = ""

    @property
    def short(self) -> str:
        for prefix in _SHORT_PREFIXES:
            if self.name.startswith(prefix):
                return self.name[len(prefix) :]
        return self.name


def parse_refs(output: str) -> list[Ref]:
    """The ref table from `git for-each-ref --format=FOR_EACH_REF_FORMAT`, in ls-remote order.

    Refs that do not lead to a commit (a tag of a tree or of another tag) are left out.
    """
    head: list[Ref] = []
    rest: list[Ref] = []
    for line in output.splitlines():
        fields = line.split(" ", 4)
        if len(fields) != 5:
            continue
        oid, kind, peeled, peeled_kind, name = fields
        if kind == "commit":
            ref = Ref(name, oid)
        elif kind == "tag" and peeled_kind == "commit":
            ref = Ref(name, peeled, tag_object=oid)
        else:
            continue
        if name == HEAD_REF:
            head.append(Ref("HEAD", ref.commit, ref.tag_object))
        else:
            rest.append(ref)
    return head + sorted(rest, key=lambda r: r.name)


def match(refs: Iterable[Ref], revision: str, *, tag_prefix: str = "") -> Ref | None:
    """The ref `revision` names, or None (the caller then tries an abbreviated SHA)."""
    table = list(refs)
    revision = revision or "HEAD"
    constraint = semver.parse_constraint(revision)
    if constraint is not None:
        tags = {}
        for ref in table:
            if ref.name.startswith("refs/tags/") and ref.short.startswith(tag_prefix):
                version = semver.parse_version(ref.short[len(tag_prefix) :])
                if version is not None:
                    tags[ref.name] = version
        winner = semver.best(constraint, tags)
        if winner is not None:
            return next(r for r in table if r.name == winner)
    for ref in table:
        if revision in (ref.name, ref.short):
            return ref
    return None


def looks_like_sha(revision: str) -> bool:
    """Whether a revision that names no ref may be an abbreviated commit SHA."""
    return bool(SHORT_SHA.match(revision))
