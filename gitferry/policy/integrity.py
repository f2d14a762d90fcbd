"""Which commit signatures an AppProject requires of a source (reference 2.7):
`signatureKeys` (classic) and `sourceIntegrity.git.policies` (Argo CD 3.5), merged as
`EffectiveSourceIntegrity()` merges them.

* Only `signatureKeys`: one policy for every repo (`*`), mode `head`, those keys.
* `sourceIntegrity.git` set: its policies; `signatureKeys` are then ignored (a problem is
  reported, as Argo CD logs an error).
* A policy applies to a repo URL when one of its positive globs matches and no `!` glob does
  (gobwas, no separator, in order: the first matching negative rules it out). No policy: no
  check. More than one: the check fails.
* Key IDs: a 40-hex fingerprint becomes its last 16 hex digits, a 16-hex ID stays as written,
  anything else is dropped with a problem.

Pure; called by `policy.project`. The `source` package does the verifying.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gitferry.model.errors import InvalidSpecError
from gitferry.policy.globs import glob_match

_LONG_KEY_ID = re.compile(r"[0-9A-Fa-f]{16}")
_FINGERPRINT = re.compile(r"[0-9A-Fa-f]{40}")


class Mode(StrEnum):
    NONE = "none"  # no check
    HEAD = "head"  # the target commit (or annotated tag) only
    STRICT = "strict"  # the target and its ancestors, down to seal commits


@dataclass(frozen=True, kw_only=True)
class GitPolicy:
    """One `sourceIntegrity.git.policies[]` entry."""

    repos: tuple[str, ...]
    mode: Mode
    keys: tuple[str, ...]

    def selects(self, repo_url: str) -> bool:
        selected = False
        for pattern in self.repos:
            if pattern.startswith("!"):
                if glob_match(pattern[1:], repo_url):
                    return False
            elif glob_match(pattern, repo_url):
                selected = True
        return selected


@dataclass(frozen=True)
class IntegrityCheck:
    """What to verify for one source repository."""

    mode: Mode = Mode.NONE
    keys: tuple[str, ...] = ()  # key IDs allowed to sign
    error: str = ""  # the check fails outright (several policies match)

    @property
    def required(self) -> bool:
        return self.mode is not Mode.NONE or bool(self.error)


def key_id(text: str) -> str | None:
    """The long key ID Argo CD compares signatures with; None when `text` is not one."""
    if _LONG_KEY_ID.fullmatch(text):
        return text
    if _FINGERPRINT.fullmatch(text):
        return text[24:]
    return None


def effective_policies(
    signature_keys: Any, source_integrity: Any
) -> tuple[tuple[GitPolicy, ...], tuple[str, ...]]:
    """The git policies in force and the problems found (bad key IDs, ignored keys)."""
    problems: list[str] = []
    if signature_keys is not None and not isinstance(signature_keys, list):
        raise InvalidSpecError("spec.signatureKeys: must be a list")
    classic = [str(k.get("keyID") or "") for k in signature_keys or () if isinstance(k, dict)]
    git = source_integrity.get("git") if isinstance(source_integrity, dict) else None
    if git is not None:
        if classic:
            problems.append(
                "spec.signatureKeys: ignored, spec.sourceIntegrity.git takes precedence"
            )
        entries = git.get("policies") if isinstance(git, dict) else None
        if not isinstance(entries, list):
            raise InvalidSpecError("spec.sourceIntegrity.git.policies: must be a list")
        policies = tuple(
            _policy(entry, f"spec.sourceIntegrity.git.policies[{i}]", problems)
            for i, entry in enumerate(entries)
        )
        return policies, tuple(problems)
    if not classic:
        return (), ()
    keys = _keys(classic, "spec.signatureKeys", problems)
    return (GitPolicy(repos=("*",), mode=Mode.HEAD, keys=keys),), tuple(problems)


def check_for(policies: tuple[GitPolicy, ...], repo_url: str) -> IntegrityCheck:
    """The verification a source from `repo_url` needs."""
    found = [p for p in policies if p.selects(repo_url)]
    if not found:
        return IntegrityCheck()
    if len(found) > 1:
        return IntegrityCheck(
            error=f"multiple ({len(found)}) git source integrity policies found for repo "
            f"URL {repo_url}"
        )
    return IntegrityCheck(found[0].mode, found[0].keys)


def _policy(entry: Any, where: str, problems: list[str]) -> GitPolicy:
    if not isinstance(entry, dict):
        raise InvalidSpecError(f"{where}: must be an object")
    repos = tuple(str(r.get("url") or "") for r in entry.get("repos") or () if isinstance(r, dict))
    gpg = entry.get("gpg") or {}
    if not isinstance(gpg, dict):
        raise InvalidSpecError(f"{where}.gpg: must be an object")
    try:
        mode = Mode(str(gpg.get("mode") or "none"))
    except ValueError:
        raise InvalidSpecError(
            f"{where}.gpg.mode: unknown mode {gpg.get('mode')!r} (none, head or strict)"
        ) from None
    keys = _keys([str(k) for k in gpg.get("keys") or ()], f"{where}.gpg.keys", problems)
    return GitPolicy(repos=repos, mode=mode, keys=keys)


def _keys(raw: list[str], where: str, problems: list[str]) -> tuple[str, ...]:
    keys: list[str] = []
    for text in raw:
        found = key_id(text)
        if found is None:
            problems.append(f"{where}: {text!r} is not a GnuPG key ID; ignored")
        elif found not in keys:
            keys.append(found)
    return tuple(keys)
