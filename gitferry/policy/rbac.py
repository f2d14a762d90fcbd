"""RBAC: may this subject do this action on this object? One `Enforcer` answers for every API
path of the gitferry server (sub-resources and streams included) and for `gitferry rbac can`,
exactly as Argo CD's API server does (reference 4.4).

The decision, in Argo CD's order:

1. With a default role (`policy.default`), the default role is asked first; its allow is
   final, its deny is not (a user's deny cannot take away what the default role grants).
2. A plain string subject (a user name, `role:x`, `proj:p:r`) is then asked against the
   built-in and user policy; that answer is final. Project roles are not consulted.
3. `Claims` (a request's token) take the API server's path. The request's project is the first
   `/`-segment of the object for applications, applicationsets, repositories, clusters, logs
   and exec, or the object itself for projects. If that project is registered, its roles'
   policy joins the built-in and user policy for this request, and a `proj:<p>:<r>` token is
   judged on that policy alone (and only for its own project). Otherwise the user
   (`federated_claims.user_id`, else `sub`) is asked, then each group from the claims named in
   `scopes` that is the member of some `g` line; the first allow wins.

Each question about one subject is casbin's: allow when some applying line allows and none
denies. A deny therefore only cancels allows reachable from the same subject, never another
group's allow. `rbac_index` answers it fast; `rbac_casbin` answers it with pycasbin for proof.

A reload (`load`) either installs a whole new configuration or reports problems and keeps the
previous one. Pure; no I/O.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from gitferry._kit import clock
from gitferry.model import errors
from gitferry.policy import rbac_policy
from gitferry.policy.rbac_index import CompiledPolicy
from gitferry.policy.rbac_match import MatchMode
from gitferry.policy.rbac_policy import Policy, PolicyProblem, RbacSettings

if TYPE_CHECKING:
    from gitferry.policy.rbac_casbin import CasbinPolicy

# Resources whose object names a project first: `<project>/<app>`, `<project>/<repo URL>`.
PROJECT_SCOPED = frozenset(
    {"applications", "applicationsets", "repositories", "clusters", "logs", "exec"}
)
PROJECTS = "projects"
PROJECT_SUBJECT_PREFIX = "proj:"
CONFIGMAP = "argocd-rbac-cm"

_BUILTIN = rbac_policy.parse(rbac_policy.BUILTIN_POLICY_CSV, "built-in policy")[0]


class RbacConfigError(errors.InvalidSpecError):
    """The RBAC configuration (`argocd-rbac-cm`) cannot be loaded."""


class PermissionDeniedError(errors.GitFerryError):
    """The subject may not do what it asked; the message is Argo CD's."""


@dataclass(frozen=True, kw_only=True)
class Claims:
    """The identity a request's token states: `sub`, `groups`, `email`, and any other claim
    (`federated_claims`, `iat`, ...) in `extra`."""

    sub: str = ""
    groups: Sequence[str] = ()
    email: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "groups", tuple(self.groups))

    @classmethod
    def from_mapping(cls, claims: Mapping[str, Any]) -> Claims:
        """Claims from a decoded token payload."""
        sub, groups, email = claims.get("sub"), claims.get("groups"), claims.get("email")
        extra = {key: value for key, value in claims.items() if key not in ("sub", "groups")}
        if isinstance(groups, str):
            groups = [groups]
        elif isinstance(groups, list):
            groups = [group for group in groups if isinstance(group, str)]
        else:
            if "groups" in claims:
                extra["groups"] = groups
            groups = []
        if isinstance(email, str):
            del extra["email"]
        return cls(
            sub=sub if isinstance(sub, str) else "",
            groups=groups,
            email=email if isinstance(email, str) else None,
            extra=extra,
        )

    def as_mapping(self) -> dict[str, Any]:
        claims = dict(self.extra)
        if self.sub:
            claims["sub"] = self.sub
        if self.groups:
            claims["groups"] = list(self.groups)
        if self.email is not None:
            claims["email"] = self.email
        return claims

    @property
    def user(self) -> str:
        """Argo CD's user identifier: `federated_claims.user_id` when set, else `sub`."""
        federated = self.extra.get("federated_claims")
        if isinstance(federated, Mapping):
            user_id = federated.get("user_id")
            if isinstance(user_id, str) and user_id:
                return user_id
        return self.sub

    def scope_values(self, scopes: Iterable[str]) -> list[str]:
        """The group names carried by the claims named in `scopes` (strings or string lists)."""
        claims = self.as_mapping()
        values: list[str] = []
        for scope in scopes:
            value = claims.get(scope)
            if isinstance(value, str):
                values.append(value)
            elif isinstance(value, list | tuple):
                values.extend(item for item in value if isinstance(item, str))
        return values


class _PolicySet:
    """One policy set, compiled for the fast path and, on demand, loaded into casbin."""

    def __init__(self, policy: Policy, mode: MatchMode) -> None:
        self.compiled = CompiledPolicy(policy, mode)

    @functools.cached_property
    def casbin(self) -> CasbinPolicy:
        from gitferry.policy.rbac_casbin import CasbinPolicy

        return CasbinPolicy(self.compiled.policy, self.compiled.mode)


@dataclass(frozen=True)
class _Config:
    settings: RbacSettings
    base: _PolicySet
    # Per registered project: its roles' policy joined to `base`, built on first use.
    project_sets: dict[str, _PolicySet] = field(default_factory=dict)


_Ask = Callable[[_PolicySet, str, str, str, str], bool]


def _ask_fast(pset: _PolicySet, subject: str, resource: str, action: str, obj: str) -> bool:
    return pset.compiled.allowed(subject, resource, action, obj)


def _ask_casbin(pset: _PolicySet, subject: str, resource: str, action: str, obj: str) -> bool:
    return pset.casbin.allowed(subject, resource, action, obj)


class Enforcer:
    """Argo CD's RBAC enforcer over the built-in policy, `argocd-rbac-cm` and project roles."""

    def __init__(self, *, builtin: bool = True) -> None:
        """An enforcer with no user policy; `builtin=False` leaves out the built-in policy."""
        self._builtin = _BUILTIN if builtin else Policy()
        self._config = _Config(RbacSettings(), _PolicySet(self._builtin, MatchMode.GLOB))
        # Registered projects: their roles' policy, or None when it could not be parsed (Argo
        # CD then falls back to the built-in and user policy alone).
        self._projects: dict[str, Policy | None] = {}

    @classmethod
    def from_configmap(
        cls, data: Mapping[str, str], *, builtin: bool = True, source: str = CONFIGMAP
    ) -> Enforcer:
        """An enforcer for `argocd-rbac-cm` data; raises `RbacConfigError` naming the first
        malformed line (`<source> <key> line <n>: ...: <text>`)."""
        enforcer = cls(builtin=builtin)
        problems = enforcer.load(data, source)
        if problems:
            extra = len(problems) - 1
            more = f" (and {extra} more problem{'s' if extra > 1 else ''})" if extra else ""
            raise RbacConfigError(f"{problems[0]}{more}")
        return enforcer

    def load(self, data: Mapping[str, str], source: str = CONFIGMAP) -> list[PolicyProblem]:
        """Install new `argocd-rbac-cm` data (a live reload). On problems nothing changes: the
        previous configuration stays in force and the problems are returned."""
        settings, problems = rbac_policy.settings(data, source)
        user = Policy()
        for key, text in rbac_policy.policy_sources(data):
            parsed, found = rbac_policy.parse(text, f"{source} {key}")
            user += parsed
            problems += found
        if settings.match_mode is MatchMode.REGEX and not problems:
            problems += rbac_policy.regex_problems(user)
        if problems:
            return problems
        self._config = _Config(settings, _PolicySet(self._builtin + user, settings.match_mode))
        return []

    @property
    def default_role(self) -> str:
        return self._config.settings.default_role

    @property
    def match_mode(self) -> MatchMode:
        return self._config.settings.match_mode

    @property
    def scopes(self) -> tuple[str, ...]:
        return self._config.settings.scopes

    def set_project_roles(self, project: Mapping[str, Any]) -> list[PolicyProblem]:
        """Register (or replace) an AppProject's roles. Returns the problems of its role
        policies; with problems the project's requests use the built-in and user policy only."""
        name = str((project.get("metadata") or {}).get("name") or "")
        policy, problems = rbac_policy.project_policy(project)
        self._projects[name] = None if problems else policy
        self._config.project_sets.pop(name, None)
        return problems

    def remove_project(self, name: str) -> None:
        """Forget a deleted AppProject: its roles and tokens no longer grant anything."""
        self._projects.pop(name, None)
        self._config.project_sets.pop(name, None)

    def enforce(self, subject: str | Claims, action: str, resource: str, object: str = "") -> bool:
        """Whether `subject` may do `action` on `object` of `resource` (Argo CD's `Enforce`)."""
        return self._decide(subject, action, resource, object, _ask_fast)

    def enforce_with_casbin(
        self, subject: str | Claims, action: str, resource: str, object: str = ""
    ) -> bool:
        """The same decision computed by pycasbin's own `enforce` (slow; for proof)."""
        return self._decide(subject, action, resource, object, _ask_casbin)

    def check(self, subject: str | Claims, action: str, resource: str, object: str = "") -> None:
        """Raise `PermissionDeniedError` with Argo CD's message unless `enforce` allows."""
        if self.enforce(subject, action, resource, object):
            return
        parts = [resource, action, object]
        if isinstance(subject, Claims):
            if subject.sub:
                parts.append(f"sub: {subject.sub}")
            issued = subject.extra.get("iat")
            if isinstance(issued, int | float) and not isinstance(issued, bool):
                parts.append(f"iat: {clock.rfc3339(datetime.fromtimestamp(issued, UTC))}")
        raise PermissionDeniedError(f"permission denied: {', '.join(parts)}")

    def _decide(
        self, subject: str | Claims, action: str, resource: str, obj: str, ask: _Ask
    ) -> bool:
        config = self._config
        role = config.settings.default_role

        def allowed(pset: _PolicySet, name: str) -> bool:
            if role and ask(pset, role, resource, action, obj):
                return True
            return ask(pset, name, resource, action, obj)

        if isinstance(subject, str):
            return allowed(config.base, subject)
        if role and ask(config.base, role, resource, action, obj):
            return True
        user = subject.user
        pset = config.base
        project = _request_project(resource, obj)
        if project is not None and project in self._projects:
            pset = self._project_set(config, project)
            if user.startswith(PROJECT_SUBJECT_PREFIX):
                parts = user.split(":")
                return len(parts) == 3 and parts[1] == project and allowed(pset, user)
        if allowed(pset, user):
            return True
        members = pset.compiled.group_members
        return any(
            group in members and allowed(pset, group)
            for group in subject.scope_values(config.settings.scopes)
        )

    def _project_set(self, config: _Config, project: str) -> _PolicySet:
        pset = config.project_sets.get(project)
        if pset is None:
            runtime = self._projects.get(project)
            if runtime is None or not (runtime.rules or runtime.groupings):
                pset = config.base
            else:
                base = config.base.compiled
                pset = _PolicySet(base.policy + runtime, base.mode)
            config.project_sets[project] = pset
        return pset


def _request_project(resource: str, obj: str) -> str | None:
    """The project a request is about (Argo CD's `getProjectFromRequest`), if any."""
    if resource in PROJECT_SCOPED:
        project, slash, _ = obj.partition("/")
        return project if slash else None
    if resource == PROJECTS:
        return obj
    return None
