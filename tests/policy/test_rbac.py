"""The RBAC decision as Argo CD's API server makes it (reference 4.3-4.6 and 7): the built-in
roles, deny precedence per subject, the default role, groups from token claims, glob and regex
match modes, role depth, the denial message, and live reloads that keep the previous policy
when the new one is malformed. Every table row is also asked of pycasbin itself."""

from __future__ import annotations

from typing import Any

import pytest

from gitferry.policy import rbac
from gitferry.policy.rbac import Claims


def enforcer(csv: str = "", **settings: str) -> rbac.Enforcer:
    data = {"policy.csv": csv}
    data.update({key.replace("_", "."): value for key, value in settings.items()})
    return rbac.Enforcer.from_configmap(data)


def decide(enf: rbac.Enforcer, request: tuple[Any, ...]) -> bool:
    """The decision, after checking that pycasbin's own enforce agrees with it."""
    fast = enf.enforce(*request)
    assert enf.enforce_with_casbin(*request) == fast, request
    return fast


# subject, action, resource, object, allowed -- the built-in policy alone (reference 4.6).
BUILTIN = [
    ("admin", "sync", "applications", "default/guestbook", True),
    ("admin", "get", "applications", "default/guestbook", True),
    ("admin", "create", "clusters", "https://kubernetes.default.svc", True),
    ("admin", "create", "exec", "default/guestbook", True),
    ("admin", "update/apps/Deployment/prod/web", "applications", "default/guestbook", True),
    ("admin", "action/apps/Deployment/restart", "applications", "default/guestbook", True),
    ("admin", "invoke", "extensions", "metrics", False),
    ("admin", "update", "gpgkeys", "", False),
    ("role:admin", "get", "accounts", "alice", True),
    ("role:readonly", "get", "applications", "default/guestbook", True),
    ("role:readonly", "get", "applications", "guestbook", False),  # `*/*` needs a `/`
    ("role:readonly", "get", "logs", "default/guestbook", True),
    ("role:readonly", "get", "certificates", "", True),
    ("role:readonly", "sync", "applications", "default/guestbook", False),
    ("role:readonly", "create", "exec", "default/guestbook", False),
    ("alice", "get", "applications", "default/guestbook", False),
]


@pytest.mark.parametrize(("subject", "action", "resource", "obj", "allowed"), BUILTIN)
def test_builtin_roles(subject: str, action: str, resource: str, obj: str, allowed: bool) -> None:
    assert decide(enforcer(), (subject, action, resource, obj)) is allowed


def test_without_the_builtin_policy_admin_has_nothing() -> None:
    enf = rbac.Enforcer.from_configmap({}, builtin=False)
    assert not decide(enf, ("admin", "get", "applications", "default/guestbook"))


DENY_POLICY = """\
p, role:dev, applications, *, dev/*, allow
p, role:dev, applications, delete, dev/prod-*, deny
p, role:ops, applications, delete, */*, allow
g, alice, role:dev
g, team-dev, role:dev
g, team-ops, role:ops
g, carol, role:dev
g, carol, role:ops
p, bob, applications, get, */*, allow
p, bob, applications, get, secret/*, deny
"""

# subject, action, resource, object, allowed -- deny beats allow within one subject.
DENIES = [
    ("alice", "delete", "applications", "dev/web", True),
    ("alice", "delete", "applications", "dev/prod-web", False),
    ("alice", "sync", "applications", "dev/prod-web", True),
    ("bob", "get", "applications", "shop/web", True),
    ("bob", "get", "applications", "secret/web", False),
    # carol holds both roles: the deny reached through role:dev cancels role:ops' allow.
    ("carol", "delete", "applications", "dev/prod-web", False),
    # Token groups are asked one by one: team-dev's deny cannot cancel team-ops' allow.
    (
        Claims(sub="dave", groups=["team-dev", "team-ops"]),
        "delete",
        "applications",
        "dev/prod-web",
        True,
    ),
    (Claims(sub="dave", groups=["team-dev"]), "delete", "applications", "dev/prod-web", False),
    (Claims(sub="alice", groups=["team-ops"]), "delete", "applications", "dev/prod-web", True),
]


@pytest.mark.parametrize(("subject", "action", "resource", "obj", "allowed"), DENIES)
def test_deny_beats_allow_only_within_one_subject(
    subject: str | Claims, action: str, resource: str, obj: str, allowed: bool
) -> None:
    assert decide(enforcer(DENY_POLICY), (subject, action, resource, obj)) is allowed


DEFAULT_ROLE_POLICY = """\
p, role:base, applications, get, */*, allow
p, role:base, applications, sync, prod/*, deny
p, mallory, applications, get, */*, deny
p, alice, applications, sync, prod/*, allow
"""

# subject, action, resource, object, allowed -- with `policy.default: role:base`.
DEFAULT_ROLE = [
    ("stranger", "get", "applications", "shop/web", True),
    (Claims(sub="stranger"), "get", "applications", "shop/web", True),
    # A user's deny cannot take away what the default role grants (reference 7.1).
    ("mallory", "get", "applications", "shop/web", True),
    # The default role's deny does not stop the user's own allow.
    ("alice", "sync", "applications", "prod/web", True),
    ("stranger", "sync", "applications", "prod/web", False),
]


@pytest.mark.parametrize(("subject", "action", "resource", "obj", "allowed"), DEFAULT_ROLE)
def test_default_role(
    subject: str | Claims, action: str, resource: str, obj: str, allowed: bool
) -> None:
    enf = enforcer(DEFAULT_ROLE_POLICY, policy_default="role:base")
    assert enf.default_role == "role:base"
    assert decide(enf, (subject, action, resource, obj)) is allowed


GROUP_POLICY = """\
p, role:deployer, applications, sync, */*, allow
g, my-org:deployers, role:deployer
g, ops@example.com, role:deployer
p, my-org:team-alpha, applications, sync, */*, allow
"""

# claims, scopes setting, allowed to sync shop/web
GROUPS = [
    (Claims(sub="alice", groups=["my-org:deployers"]), None, True),
    (Claims(sub="alice", groups=["someone-else", "my-org:deployers"]), None, True),
    (Claims(sub="alice", groups=["other"]), None, False),
    # A group that only appears in p lines is never asked (reference 7.2).
    (Claims(sub="alice", groups=["my-org:team-alpha"]), None, False),
    # Only the claims listed in `scopes` carry groups.
    (Claims(sub="alice", email="ops@example.com"), None, False),
    (Claims(sub="alice", email="ops@example.com"), "[groups, email]", True),
    (Claims(sub="alice", groups=["my-org:deployers"]), "[email]", False),
    (Claims(sub="alice", extra={"roles": ["my-org:deployers"]}), "[roles]", True),
    (Claims(sub="alice", extra={"team": "my-org:deployers"}), "[team]", True),
    (Claims.from_mapping({"sub": "alice", "groups": "my-org:deployers"}), None, True),
    # The user identifier is federated_claims.user_id when present, else sub.
    (Claims(sub="x", extra={"federated_claims": {"user_id": "ops@example.com"}}), None, True),
]


@pytest.mark.parametrize(("claims", "scopes", "allowed"), GROUPS)
def test_groups_come_from_the_claims_named_in_scopes(
    claims: Claims, scopes: str | None, allowed: bool
) -> None:
    enf = enforcer(GROUP_POLICY, **({"scopes": scopes} if scopes else {}))
    assert decide(enf, (claims, "sync", "applications", "shop/web")) is allowed


def test_a_plain_string_subject_is_asked_as_written() -> None:
    enf = enforcer(GROUP_POLICY)
    assert decide(enf, ("my-org:team-alpha", "sync", "applications", "shop/web"))
    assert decide(enf, ("my-org:deployers", "sync", "applications", "shop/web"))


# pattern, value, allowed in glob mode, allowed in regex mode (None: not a regular expression,
# so the policy is rejected). Resource and action patterns match the same way.
MATCH_MODES = [
    ("*", "prod/web", True, None),
    ("prod/*", "prod/team/web", True, True),
    ("prod/*", "xprod/web", False, True),  # regex is an unanchored search
    ("^prod/.*$", "xprod/web", False, False),
    ("^prod/.*$", "prod/web", False, True),
    ("prod/web-?", "prod/web-1", True, True),
    ("{prod,stage}/*", "stage/web", True, False),
    ("[!s]*/web", "prod/web", True, True),
]


@pytest.mark.parametrize(("pattern", "value", "glob", "regex"), MATCH_MODES)
def test_objects_match_by_glob_or_by_regex(
    pattern: str, value: str, glob: bool, regex: bool | None
) -> None:
    line = f'p, alice, applications, get, "{pattern}", allow'
    request = ("alice", "get", "applications", value)
    assert decide(enforcer(line), request) is glob
    if regex is None:
        with pytest.raises(rbac.RbacConfigError, match="is not a regular expression"):
            enforcer(line, policy_matchMode="regex")
    else:
        assert decide(enforcer(line, policy_matchMode="regex"), request) is regex


def test_actions_and_resources_are_patterns_too() -> None:
    enf = enforcer("p, alice, *, action/*, */*, allow\np, alice, app*, get, */*, allow")
    assert decide(enf, ("alice", "action/apps/Deployment/restart", "applications", "a/b"))
    assert decide(enf, ("alice", "get", "applicationsets", "a/b"))
    assert not decide(enf, ("alice", "get", "clusters", "a/b"))


def test_fine_grained_update_needs_its_own_grant() -> None:
    # v3: `update` on an app does not cover `update/<group>/<kind>/<ns>/<name>` of its resources.
    enf = enforcer("p, alice, applications, update, */*, allow")
    assert decide(enf, ("alice", "update", "applications", "shop/web"))
    assert not decide(enf, ("alice", "update/apps/Deployment/shop/web", "applications", "shop/web"))


def test_invalid_regex_patterns_in_the_user_policy_are_rejected() -> None:
    with pytest.raises(rbac.RbacConfigError, match=r"policy.csv line 2: '\(' is not a regular"):
        enforcer(
            "p, a, applications, get, ^x$, allow\np, a, applications, get, (, allow",
            policy_matchMode="regex",
        )


def test_roles_are_followed_ten_links_deep_as_go_casbin_does() -> None:
    chain = "\n".join(f"g, r{i}, r{i + 1}" for i in range(12))
    enf = enforcer(
        f"{chain}\np, r10, applications, get, */*, allow\np, r11, clusters, get, *, allow"
    )
    assert enf.enforce("r0", "get", "applications", "a/b")  # r10 is 10 links from r0
    assert not enf.enforce("r0", "get", "clusters", "x")  # r11 is 11 links away
    assert enf.enforce("r1", "get", "clusters", "x")


def test_role_cycles_do_not_loop() -> None:
    enf = enforcer("g, a, b\ng, b, a\np, b, applications, get, */*, allow")
    assert decide(enf, ("a", "get", "applications", "x/y"))


def test_unknown_effects_count_as_neither() -> None:
    enf = enforcer(
        "p, alice, applications, get, */*, allow\np, alice, applications, get, */*, Deny"
    )
    assert decide(enf, ("alice", "get", "applications", "x/y"))


DENIAL_MESSAGES = [
    ("alice", "permission denied: applications, sync, shop/web"),
    (Claims(sub="alice"), "permission denied: applications, sync, shop/web, sub: alice"),
    (
        Claims(sub="alice", extra={"iat": 1_700_000_000}),
        "permission denied: applications, sync, shop/web, sub: alice, iat: 2023-11-14T22:13:20Z",
    ),
]


@pytest.mark.parametrize(("subject", "message"), DENIAL_MESSAGES)
def test_check_raises_argo_cds_denial_message(subject: str | Claims, message: str) -> None:
    with pytest.raises(rbac.PermissionDeniedError) as raised:
        enforcer().check(subject, "sync", "applications", "shop/web")
    assert str(raised.value) == message


def test_check_passes_silently_when_allowed() -> None:
    enforcer().check("admin", "sync", "applications", "shop/web")


def test_a_malformed_configmap_is_an_error_naming_key_line_and_text() -> None:
    data = {
        "policy.csv": "p, role:a, applications, get, */*, allow\n",
        "policy.team.csv": "# team\n\ng, alice\n",
    }
    with pytest.raises(rbac.RbacConfigError) as raised:
        rbac.Enforcer.from_configmap(data)
    assert str(raised.value) == (
        "argocd-rbac-cm policy.team.csv line 3: a g line has 3 fields (g, member, role), "
        "found 2: g, alice"
    )


def test_a_live_reload_with_a_malformed_line_keeps_the_previous_policy() -> None:
    enf = enforcer("p, alice, applications, sync, */*, allow", policy_default="role:readonly")
    assert enf.enforce("alice", "sync", "applications", "shop/web")
    problems = enf.load(
        {"policy.csv": "p, bob, applications, sync, */*, allow\np, broken", "policy.default": ""}
    )
    assert [str(problem) for problem in problems] == [
        "argocd-rbac-cm policy.csv line 2: a p line has 6 fields (p, subject, resource, action, "
        "object, effect), found 2: p, broken"
    ]
    assert enf.enforce("alice", "sync", "applications", "shop/web")
    assert not enf.enforce("bob", "sync", "applications", "shop/web")
    assert enf.default_role == "role:readonly"


def test_a_good_reload_replaces_policy_settings_and_remembered_decisions() -> None:
    enf = enforcer("p, alice, applications, sync, */*, allow")
    assert enf.enforce("alice", "sync", "applications", "shop/web")
    assert (
        enf.load(
            {"policy.csv": "p, bob, applications, sync, .*, allow", "policy.matchMode": "regex"}
        )
        == []
    )
    assert not enf.enforce("alice", "sync", "applications", "shop/web")
    assert enf.enforce("bob", "sync", "applications", "shop/web")
    assert enf.match_mode == "regex"
