"""The fast path of RBAC: one policy set compiled for answering a single-subject question
("may subject S do action A on object O of resource R?") in microseconds.

The answer is exactly casbin's under Argo CD's model (reference 4.3): S holds itself and every
role it reaches through `g` lines (casbin's default role manager, at most 10 links deep); a `p`
line applies when its subject is one of those and its resource, action and object patterns
match; the request is allowed when some applying line says `allow` and none says `deny`. Lines
with any other effect never matter.

Instead of evaluating the matcher against every line, `CompiledPolicy` indexes lines by subject,
caches each subject's roles, caches per (subject, resource, action) the object patterns of the
lines that apply (denies apart from allows), and memoises recent decisions in a bounded LRU.
A policy set is immutable: the enforcer builds a new one on every reload or project change, so
the caches never need invalidating.

Used by the RBAC `Enforcer` (`rbac`); checked against casbin itself by the property tests and
`bench/rbac_bench.py`. Pure; no I/O.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from gitferry.policy import rbac_match
from gitferry.policy.rbac_match import Matcher, MatchMode
from gitferry.policy.rbac_policy import Policy

# casbin's default role manager follows at most this many `g` links (Go casbin's
# maxHierarchyLevel: a role 10 links away still counts, one 11 links away does not).
MAX_ROLE_DEPTH = 10

DECISION_CACHE_SIZE = 65_536
CANDIDATE_CACHE_SIZE = 16_384
ROLE_CACHE_SIZE = 8_192

ALLOW = "allow"
DENY = "deny"

# (resource pattern, action pattern, object pattern, is_allow)
_Line = tuple[str, str, str, bool]
# (object matchers of applying deny lines, object matchers of applying allow lines)
_Candidates = tuple[tuple[Matcher, ...], tuple[Matcher, ...]]


class CompiledPolicy:
    """A policy set (built-in + user [+ one project's roles]) ready for fast decisions."""

    def __init__(self, policy: Policy, mode: MatchMode = MatchMode.GLOB) -> None:
        self.policy = policy
        self.mode = mode
        parents: dict[str, dict[str, None]] = {}
        for grouping in policy.groupings:
            parents.setdefault(grouping.member, {})[grouping.role] = None
        self._parents = {member: tuple(roles) for member, roles in parents.items()}
        # Argo CD evaluates a token's group only when it is the member of some `g` line.
        self.group_members = frozenset(self._parents)
        lines: dict[str, list[_Line]] = {}
        for rule in policy.rules:
            if rule.effect in (ALLOW, DENY):
                line = (rule.resource, rule.action, rule.object, rule.effect == ALLOW)
                lines.setdefault(rule.subject, []).append(line)
        self._lines = {subject: tuple(found) for subject, found in lines.items()}
        self.roles: Callable[[str], tuple[str, ...]] = functools.lru_cache(ROLE_CACHE_SIZE)(
            self._reachable
        )
        self._candidates: Callable[[str, str, str], _Candidates] = functools.lru_cache(
            CANDIDATE_CACHE_SIZE
        )(self._find_candidates)
        self.allowed: Callable[[str, str, str, str], bool] = functools.lru_cache(
            DECISION_CACHE_SIZE
        )(self._decide)

    def _decide(self, subject: str, resource: str, action: str, obj: str) -> bool:
        """Whether `subject` may do `action` on `obj` of `resource` (one casbin evaluation)."""
        denies, allows = self._candidates(subject, resource, action)
        for matches in denies:
            if matches(obj):
                return False
        return any(matches(obj) for matches in allows)

    def _reachable(self, subject: str) -> tuple[str, ...]:
        """`subject` and every role it reaches through `g` lines, nearest first."""
        seen = {subject: None}
        frontier = [subject]
        for _ in range(MAX_ROLE_DEPTH):
            following: list[str] = []
            for name in frontier:
                for role in self._parents.get(name, ()):
                    if role not in seen:
                        seen[role] = None
                        following.append(role)
            if not following:
                break
            frontier = following
        return tuple(seen)

    def _find_candidates(self, subject: str, resource: str, action: str) -> _Candidates:
        """The object matchers of the lines that apply to this subject, resource and action."""
        mode = self.mode
        denies: dict[str, None] = {}
        allows: dict[str, None] = {}
        for name in self.roles(subject):
            for res, act, obj, is_allow in self._lines.get(name, ()):
                if rbac_match.matcher(res, mode)(resource) and rbac_match.matcher(act, mode)(
                    action
                ):
                    (allows if is_allow else denies)[obj] = None
        return (
            tuple(rbac_match.matcher(obj, mode) for obj in denies),
            tuple(rbac_match.matcher(obj, mode) for obj in allows),
        )
