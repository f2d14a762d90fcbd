"""RBAC policy text: Argo CD's casbin model and built-in policy, the `argocd-rbac-cm` keys, and
the parser of policy lines.

Argo CD's rules (reference 4.1, 4.2, 4.6, 2.8):

* The user policy is `policy.csv` followed by every other `policy.<name>.csv` key in key order.
  The built-in policy (`BUILTIN_POLICY_CSV`) is loaded before it.
* Each line is trimmed; empty lines and `#` comments are skipped; the rest is one CSV record
  (Go `encoding/csv` with leading spaces trimmed, so `"role,admin"` is one field). A `p` line
  has exactly 6 fields (`p, subject, resource, action, object, effect`), a `g` line exactly 3
  (`g, member, role`); anything else rejects the whole policy.
* `policy.default` names the default role, `policy.matchMode` is `glob` unless it says `regex`,
  `scopes` is a YAML list of the token claims that carry group names (default `[groups]`).
* An AppProject's roles add a runtime policy: per role the implicit
  `p, proj:<p>:<r>, projects, get, <p>, allow`, the role's policy lines, and
  `g, <group>, proj:<p>:<r>` per group.

Used by the RBAC `Enforcer` (`rbac`), which every API path of the server calls, and by
`gitferry rbac can`. Pure; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gitferry._kit import yamlio
from gitferry.policy import rbac_match
from gitferry.policy.rbac_match import MatchMode

# Argo CD's `assets/model.conf`, verbatim.
MODEL_CONF = """\
[request_definition]
r = sub, res, act, obj
[policy_definition]
p = sub, res, act, obj, eft
[role_definition]
g = _, _
[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))
[matchers]
m = g(r.sub, p.sub) && globOrRegexMatch(r.res, p.res) && globOrRegexMatch(r.act, p.act) \
&& globOrRegexMatch(r.obj, p.obj)
"""

# Argo CD's `assets/builtin-policy.csv`, verbatim: it is the specification of the built-in
# `role:readonly` and `role:admin` (and of the `admin` user).
BUILTIN_POLICY_CSV = """\
p, role:readonly, applications, get, */*, allow
p, role:readonly, applicationsets, get, */*, allow
p, role:readonly, certificates, get, *, allow
p, role:readonly, clusters, get, *, allow
p, role:readonly, repositories, get, *, allow
p, role:readonly, write-repositories, get, *, allow
p, role:readonly, projects, get, *, allow
p, role:readonly, accounts, get, *, allow
p, role:readonly, gpgkeys, get, *, allow
p, role:readonly, logs, get, */*, allow

p, role:admin, applications, create, */*, allow
p, role:admin, applications, update, */*, allow
p, role:admin, applications, update/*, */*, allow
p, role:admin, applications, delete, */*, allow
p, role:admin, applications, delete/*, */*, allow
p, role:admin, applications, sync, */*, allow
p, role:admin, applications, rollback, */*, allow
p, role:admin, applications, override, */*, allow
p, role:admin, applications, action/*, */*, allow
p, role:admin, applicationsets, get, */*, allow
p, role:admin, applicationsets, create, */*, allow
p, role:admin, applicationsets, update, */*, allow
p, role:admin, applicationsets, delete, */*, allow
p, role:admin, certificates, create, *, allow
p, role:admin, certificates, update, *, allow
p, role:admin, certificates, delete, *, allow
p, role:admin, clusters, create, *, allow
p, role:admin, clusters, update, *, allow
p, role:admin, clusters, delete, *, allow
p, role:admin, repositories, create, *, allow
p, role:admin, repositories, update, *, allow
p, role:admin, repositories, delete, *, allow
p, role:admin, write-repositories, create, *, allow
p, role:admin, write-repositories, update, *, allow
p, role:admin, write-repositories, delete, *, allow
p, role:admin, projects, create, *, allow
p, role:admin, projects, update, *, allow
p, role:admin, projects, delete, *, allow
p, role:admin, accounts, update, *, allow
p, role:admin, gpgkeys, create, *, allow
p, role:admin, gpgkeys, delete, *, allow
p, role:admin, exec, create, */*, allow

g, role:admin, role:readonly
g, admin, role:admin
"""

POLICY_KEY = "policy.csv"
DEFAULT_ROLE_KEY = "policy.default"
MATCH_MODE_KEY = "policy.matchMode"
SCOPES_KEY = "scopes"
DEFAULT_SCOPES = ("groups",)


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """A `p` line: `subject` may `action` on `object` of `resource` (`effect` allow|deny)."""

    subject: str
    resource: str
    action: str
    object: str
    effect: str
    # Where the line was read (`argocd-rbac-cm policy.csv line 7`), for messages.
    where: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Grouping:
    """A `g` line: `member` (a user, group or role) has `role`."""

    member: str
    role: str


@dataclass(frozen=True, slots=True)
class Policy:
    """Parsed policy lines, in the order they were read."""

    rules: tuple[PolicyRule, ...] = ()
    groupings: tuple[Grouping, ...] = ()

    def __add__(self, other: Policy) -> Policy:
        return Policy(self.rules + other.rules, self.groupings + other.groupings)


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    """Why a line (or a setting) of a policy cannot be loaded; `where` names the place."""

    where: str
    message: str
    text: str = ""

    def __str__(self) -> str:
        shown = self.text if len(self.text) <= 200 else self.text[:197] + "..."
        return (
            f"{self.where}: {self.message}: {shown}" if shown else f"{self.where}: {self.message}"
        )


@dataclass(frozen=True, kw_only=True)
class RbacSettings:
    """The non-policy keys of `argocd-rbac-cm`."""

    # The role every subject has (`policy.default`, e.g. `role:readonly`); empty for none.
    default_role: str = ""
    # How policy patterns match (`policy.matchMode`).
    match_mode: MatchMode = MatchMode.GLOB
    # The token claims whose values are group names (`scopes`).
    scopes: tuple[str, ...] = field(default=DEFAULT_SCOPES)


def parse(text: str, source: str) -> tuple[Policy, list[PolicyProblem]]:
    """The rules of policy `text`; problems name `source` and the 1-based line number."""
    numbered = ((f"{source} line {n}", line) for n, line in enumerate(text.split("\n"), 1))
    return parse_lines(numbered)


def parse_lines(lines: Iterable[tuple[str, str]]) -> tuple[Policy, list[PolicyProblem]]:
    """The rules of `(where, line)` pairs, with a problem per line that cannot be read."""
    rules: list[PolicyRule] = []
    groupings: list[Grouping] = []
    problems: list[PolicyProblem] = []
    for where, raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            fields = _csv_record(line)
        except ValueError as err:
            problems.append(PolicyProblem(where, str(err), line))
            continue
        kind = fields[0]
        if kind == "p" and len(fields) == 6:
            subject, resource, action, obj, effect = fields[1:]
            rules.append(PolicyRule(subject, resource, action, obj, effect, where=where))
        elif kind == "g" and len(fields) == 3:
            groupings.append(Grouping(*fields[1:]))
        elif kind == "p":
            message = (
                "a p line has 6 fields (p, subject, resource, action, object, effect), "
                f"found {len(fields)}"
            )
            problems.append(PolicyProblem(where, message, line))
        elif kind == "g":
            message = f"a g line has 3 fields (g, member, role), found {len(fields)}"
            problems.append(PolicyProblem(where, message, line))
        else:
            message = "not a policy line (a line starts with p or g)"
            problems.append(PolicyProblem(where, message, line))
    return Policy(tuple(rules), tuple(groupings)), problems


def regex_problems(policy: Policy) -> list[PolicyProblem]:
    """The patterns of `policy` that are not regular expressions (for `policy.matchMode: regex`,
    where Argo CD fails every request that reaches such a line)."""
    problems: list[PolicyProblem] = []
    for rule in policy.rules:
        for pattern in dict.fromkeys((rule.resource, rule.action, rule.object)):
            reason = rbac_match.regex_problem(pattern)
            if reason is not None:
                message = f"{pattern!r} is not a regular expression ({reason})"
                problems.append(PolicyProblem(rule.where, message))
    return problems


def policy_sources(data: Mapping[str, str]) -> list[tuple[str, str]]:
    """The user policy texts of `argocd-rbac-cm` data as `(key, text)`: `policy.csv` first,
    then every other `policy.*.csv` key in key order."""
    extra = sorted(
        key
        for key in data
        if key != POLICY_KEY and key.startswith("policy.") and key.endswith(".csv")
    )
    keys = ([POLICY_KEY] if POLICY_KEY in data else []) + extra
    return [(key, data[key] or "") for key in keys]


def settings(data: Mapping[str, str], source: str) -> tuple[RbacSettings, list[PolicyProblem]]:
    """The default role, match mode and scopes of `argocd-rbac-cm` data."""
    scopes, problems = _scopes(data.get(SCOPES_KEY) or "", f"{source} {SCOPES_KEY}")
    return (
        RbacSettings(
            default_role=data.get(DEFAULT_ROLE_KEY) or "",
            match_mode=MatchMode.parse(data.get(MATCH_MODE_KEY)),
            scopes=scopes,
        ),
        problems,
    )


def project_policy(project: Mapping[str, Any]) -> tuple[Policy, list[PolicyProblem]]:
    """The runtime policy of an AppProject's `spec.roles` (Argo CD's `ProjectPoliciesString`)."""
    name = str((project.get("metadata") or {}).get("name") or "")
    lines: list[tuple[str, str]] = []
    shape: list[PolicyProblem] = []
    for index, role in enumerate((project.get("spec") or {}).get("roles") or ()):
        role_name = str(role.get("name") or "") if isinstance(role, Mapping) else ""
        where = f"AppProject {name} role {role_name or index}"
        policies = _strings(role.get("policies")) if isinstance(role, Mapping) else None
        groups = _strings(role.get("groups")) if isinstance(role, Mapping) else None
        if policies is None or groups is None:
            shape.append(PolicyProblem(where, "expected a role with lists of policies and groups"))
            continue
        subject = f"proj:{name}:{role_name}"
        lines.append((where, f"p, {subject}, projects, get, {name}, allow"))
        for entry in policies:
            lines.extend((f"{where} policy", line) for line in entry.split("\n"))
        lines.extend((f"{where} group", f"g, {group}, {subject}") for group in groups)
    policy, problems = parse_lines(lines)
    return policy, shape + problems


def _strings(value: object) -> list[str] | None:
    """`value` as a list of strings (absent: empty), or None when it is something else."""
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def _scopes(text: str, where: str) -> tuple[tuple[str, ...], list[PolicyProblem]]:
    if not text.strip():
        return DEFAULT_SCOPES, []
    try:
        docs = yamlio.parse_documents(text, where)
    except ValueError as err:
        return DEFAULT_SCOPES, [PolicyProblem(where, f"not YAML ({err})", text)]
    value = docs[0] if docs else []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return DEFAULT_SCOPES, [
            PolicyProblem(
                where, "expected a YAML list of claim names such as [groups, email]", text
            )
        ]
    return tuple(value), []


def _csv_record(line: str) -> list[str]:
    """One record of Go's `encoding/csv` (TrimLeadingSpace, strict quotes) from one line."""
    fields: list[str] = []
    rest = line
    while True:
        rest = rest.lstrip()
        if not rest.startswith('"'):
            value, comma, rest = rest.partition(",")
            if '"' in value:
                raise ValueError('bare " in a field that does not start with "')
            fields.append(value)
            if not comma:
                return fields
            continue
        value_parts: list[str] = []
        rest = rest[1:]
        while True:
            quote = rest.find('"')
            if quote < 0:
                raise ValueError('a quoted field has no closing "')
            value_parts.append(rest[:quote])
            rest = rest[quote + 1 :]
            if rest.startswith('"'):
                value_parts.append('"')
                rest = rest[1:]
            elif rest.startswith(",") or not rest:
                break
            else:
                raise ValueError('extraneous " in a quoted field')
        fields.append("".join(value_parts))
        if not rest:
            return fields
        rest = rest[1:]
