"""The fast path agrees with casbin: over generated policies (users, groups, role chains and
cycles, allow/deny/other effects, glob or regex match mode, a default role or none, project
roles with groups), every generated request gets the same decision from `Enforcer.enforce` and
from pycasbin's own `enforce` with Argo CD's model and matcher (`enforce_with_casbin`)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gitferry.policy import rbac
from gitferry.policy.rbac import Claims

USERS = ["u0", "u1"]
GROUPS = ["grp0", "grp1"]
ROLES = ["role:r0", "role:r1", "role:r2", "role:r3"]
# Every role a `g` line can point to: with at most 6 role names no shortest role path is
# longer than casbin's depth limits (pycasbin 9 links, Go 10), so both must agree exactly.
TARGETS = [*ROLES, "role:admin", "role:readonly"]
SUBJECTS = [*USERS, *GROUPS, *ROLES, "admin", "role:admin", "proj:p1:ci"]

# Repeated entries weigh the draws towards lines and requests that meet.
GLOB = {
    "resource": ["applications", "applications", "*", "app*", "clusters", "projects"],
    "action": ["get", "sync", "delete", "*", "*", "action/*", "update/*", "s?nc"],
    "object": ["*", "*/*", "p1/*", "p1/a?", "{p1,p2}/*", "[!p]*", "p2/ns/*", "p1/a1", "p1", ""],
}
REGEX = {
    "resource": ["applications", "applications", "^app", ".*", "clusters", "projects"],
    "action": ["get", "^sync$", ".*", "action/.*", "^(get|delete)$", "date"],
    "object": [".*", "^p1/", "a1$", "p[12]/.+", "^$", "ns", "^p1$"],
}
EFFECTS = ["allow", "allow", "deny", "other"]

REQUEST_ACTIONS = ["get", "sync", "delete", "action/apps/Deployment/restart", "update/x/y/z/w"]
REQUEST_RESOURCES = ["applications", "applications", "applications", "clusters", "projects", "logs"]
REQUEST_OBJECTS = ["p1/a1", "p1/a1", "p1/a2", "p2/ns/a1", "p3/x", "p1", "p2", "", "https://x/y"]


@st.composite
def policy_line(draw: st.DrawFn, patterns: dict[str, list[str]], subjects: list[str]) -> str:
    subject = draw(st.sampled_from(subjects))
    resource = draw(st.sampled_from(patterns["resource"]))
    action = draw(st.sampled_from(patterns["action"]))
    obj = draw(st.sampled_from(patterns["object"]))
    effect = draw(st.sampled_from(EFFECTS))
    return f'p, {subject}, {resource}, {action}, "{obj}", {effect}'


@st.composite
def grouping(draw: st.DrawFn, members: list[str]) -> str:
    return f"g, {draw(st.sampled_from(members))}, {draw(st.sampled_from(TARGETS))}"


@st.composite
def project(draw: st.DrawFn, name: str, patterns: dict[str, list[str]]) -> dict[str, Any]:
    roles = []
    for role in draw(st.lists(st.sampled_from(["ci", "view"]), unique=True, max_size=2)):
        subject = f"proj:{name}:{role}"
        lines = draw(st.lists(policy_line(patterns, [subject]), max_size=4))
        groups = draw(st.lists(st.sampled_from([*GROUPS, *USERS]), unique=True, max_size=2))
        roles.append({"name": role, "policies": lines, "groups": groups})
    return {"metadata": {"name": name}, "spec": {"roles": roles}}


@st.composite
def configuration(draw: st.DrawFn) -> tuple[rbac.Enforcer, str]:
    regex = draw(st.booleans())
    patterns = REGEX if regex else GLOB
    lines = draw(st.lists(policy_line(patterns, SUBJECTS), min_size=1, max_size=40))
    # Denies that shadow some of the allows, so that deny precedence is exercised often.
    shadowed = draw(st.lists(st.sampled_from(lines), max_size=6))
    lines += [line.replace(", allow", ", deny") for line in shadowed]
    lines += draw(st.lists(grouping([*USERS, *GROUPS, *ROLES]), max_size=10))
    data = {"policy.csv": "\n".join(lines)}
    if regex:
        data["policy.matchMode"] = "regex"
    default = draw(st.sampled_from(["", "role:r0", "role:readonly"]))
    if default:
        data["policy.default"] = default
    if draw(st.booleans()):
        data["scopes"] = "[groups, email]"
    enforcer = rbac.Enforcer.from_configmap(data, builtin=draw(st.booleans()))
    for name in draw(st.lists(st.sampled_from(["p1", "p2"]), unique=True)):
        assert enforcer.set_project_roles(draw(project(name, patterns))) == []
    return enforcer, data["policy.csv"]


claims = st.builds(
    Claims,
    sub=st.sampled_from([*USERS, "stranger", "proj:p1:ci", "proj:p2:view", "proj:p1:ci:x"]),
    groups=st.lists(st.sampled_from([*GROUPS, "unknown"]), max_size=3),
    email=st.sampled_from([None, *GROUPS]),
)
requests = st.tuples(
    st.one_of(st.sampled_from([*SUBJECTS, "stranger", "proj:p2:view"]), claims),
    st.sampled_from(REQUEST_ACTIONS),
    st.sampled_from(REQUEST_RESOURCES),
    st.sampled_from(REQUEST_OBJECTS),
)


@settings(max_examples=150, deadline=None)
@given(configuration(), st.lists(requests, min_size=10, max_size=40))
def test_the_fast_path_agrees_with_casbin(
    config: tuple[rbac.Enforcer, str], asked: list[tuple[str | Claims, str, str, str]]
) -> None:
    enforcer, policy = config
    for request in asked:
        fast = enforcer.enforce(*request)
        assert enforcer.enforce_with_casbin(*request) == fast, (policy, request)
        assert enforcer.enforce(*request) == fast  # the remembered decision is the same
