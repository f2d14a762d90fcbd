"""Reading RBAC policy text and `argocd-rbac-cm` as Argo CD does (reference 4.1, 4.2, 4.6, 2.8):
line shapes, CSV quoting, key order, settings, project runtime policies, and the built-in
policy quoted verbatim."""

from __future__ import annotations

import pytest

from gitferry.policy import rbac_policy
from gitferry.policy.rbac_match import MatchMode
from gitferry.policy.rbac_policy import Grouping, PolicyRule

# [upstream: util/rbac/rbac_test.go::TestLoadPolicyLine, ::TestValidatePolicy]
VALID_LINES = [
    (
        "p, role:Myrole, applications, *, myproj/*, allow",
        PolicyRule("role:Myrole", "applications", "*", "myproj/*", "allow"),
    ),
    (
        'p, "role,admin", projects, delete, *, allow',
        PolicyRule("role,admin", "projects", "delete", "*", "allow"),
    ),
    (
        " p, role:admin, projects, delete, *, allow ",
        PolicyRule("role:admin", "projects", "delete", "*", "allow"),
    ),
    ('p, "a""b", c, d, e, f', PolicyRule('a"b', "c", "d", "e", "f")),
    (
        "g, your-github-org:your-team, role:org-admin",
        Grouping("your-github-org:your-team", "role:org-admin"),
    ),
]

SKIPPED_LINES = ["", "   ", "# a comment", "#p, role:x, applications, get, */*, allow"]

INVALID_LINES = [
    ("p", "a p line has 6 fields"),
    ("Some comment", "not a policy line"),
    ("agh, foo, bar", "not a policy line"),
    ("p, role:Myrole, applications, *, myproj/* allow", "a p line has 6 fields"),
    (", role:Myrole, applications, *, myproj/*, allow", "not a policy line"),
    ("this, is, not, a, good, policy", "not a policy line"),
    ("this\ttoo", "not a policy line"),
    ("g, alice", "a g line has 3 fields"),
    ("g, alice, role:a, role:b", "a g line has 3 fields"),
    ('p, a"b, c, d, e, f', 'bare "'),
    ('p, "a" , c, d, e, f', 'extraneous "'),
    ('p, "ab, c, d, e, f', 'no closing "'),
]


@pytest.mark.parametrize(("line", "expected"), VALID_LINES)
def test_valid_lines_parse_to_one_rule(line: str, expected: PolicyRule | Grouping) -> None:
    policy, problems = rbac_policy.parse(line, "policy.csv")
    assert problems == []
    assert (*policy.rules, *policy.groupings) == (expected,)


@pytest.mark.parametrize("line", SKIPPED_LINES)
def test_empty_lines_and_comments_are_skipped(line: str) -> None:
    assert rbac_policy.parse(line, "policy.csv") == (rbac_policy.Policy(), [])


@pytest.mark.parametrize(("line", "message"), INVALID_LINES)
def test_malformed_lines_are_problems_naming_the_line(line: str, message: str) -> None:
    text = f"p, role:ok, applications, get, */*, allow\n\n{line}\n"
    _, problems = rbac_policy.parse(text, "argocd-rbac-cm policy.csv")
    assert len(problems) == 1
    assert problems[0].where == "argocd-rbac-cm policy.csv line 3"
    assert message in problems[0].message
    assert str(problems[0]).endswith(line.strip())


def test_a_rule_remembers_where_it_was_read() -> None:
    policy, _ = rbac_policy.parse("\n# x\np, a, b, c, d, allow", "cm policy.A.csv")
    assert policy.rules[0].where == "cm policy.A.csv line 3"


def test_policy_keys_are_policy_csv_then_the_others_in_key_order() -> None:
    # [upstream: util/rbac/rbac_test.go::TestPolicyCSV]
    data = {
        "policy.C.csv": "policyc",
        "policy.csv": "policy1",
        "policy.B.csv": "policyb",
        "policy.default": "role:readonly",
        "policy.A.csv": "policya",
        "scopes": "[groups]",
    }
    assert [text for _, text in rbac_policy.policy_sources(data)] == [
        "policy1",
        "policya",
        "policyb",
        "policyc",
    ]


SETTINGS = [
    ({}, "", MatchMode.GLOB, ("groups",)),
    ({"policy.default": "role:readonly"}, "role:readonly", MatchMode.GLOB, ("groups",)),
    ({"policy.matchMode": "regex"}, "", MatchMode.REGEX, ("groups",)),
    ({"policy.matchMode": "Regex"}, "", MatchMode.GLOB, ("groups",)),
    ({"policy.matchMode": "anything"}, "", MatchMode.GLOB, ("groups",)),
    ({"scopes": "[groups, email]"}, "", MatchMode.GLOB, ("groups", "email")),
    ({"scopes": "- email\n"}, "", MatchMode.GLOB, ("email",)),
    ({"scopes": "[]"}, "", MatchMode.GLOB, ()),
    ({"scopes": ""}, "", MatchMode.GLOB, ("groups",)),
]


@pytest.mark.parametrize(("data", "default_role", "mode", "scopes"), SETTINGS)
def test_settings_keys(
    data: dict[str, str], default_role: str, mode: MatchMode, scopes: tuple[str, ...]
) -> None:
    settings, problems = rbac_policy.settings(data, "argocd-rbac-cm")
    assert problems == []
    assert (settings.default_role, settings.match_mode, settings.scopes) == (
        default_role,
        mode,
        scopes,
    )


@pytest.mark.parametrize("scopes", ["groups", "{a: b}", "[groups, [x]]", "[unclosed"])
def test_scopes_that_are_not_a_list_of_names_are_a_problem(scopes: str) -> None:
    _, problems = rbac_policy.settings({"scopes": scopes}, "argocd-rbac-cm")
    assert [problem.where for problem in problems] == ["argocd-rbac-cm scopes"]


def test_project_roles_become_the_runtime_policy_argo_cd_generates() -> None:
    project = {
        "metadata": {"name": "shop"},
        "spec": {
            "roles": [
                {
                    "name": "ci",
                    "policies": ["p, proj:shop:ci, applications, sync, shop/*, allow"],
                    "groups": ["my-org:ci", '"team, with comma"'],
                },
                {"name": "viewer"},
            ]
        },
    }
    policy, problems = rbac_policy.project_policy(project)
    assert problems == []
    assert policy.rules == (
        PolicyRule("proj:shop:ci", "projects", "get", "shop", "allow"),
        PolicyRule("proj:shop:ci", "applications", "sync", "shop/*", "allow"),
        PolicyRule("proj:shop:viewer", "projects", "get", "shop", "allow"),
    )
    assert policy.groupings == (
        Grouping("my-org:ci", "proj:shop:ci"),
        Grouping("team, with comma", "proj:shop:ci"),
    )


def test_a_malformed_role_policy_is_a_problem_naming_project_and_role() -> None:
    project = {
        "metadata": {"name": "shop"},
        "spec": {"roles": [{"name": "ci", "policies": ["p, proj:shop:ci, applications"]}]},
    }
    _, problems = rbac_policy.project_policy(project)
    assert [problem.where for problem in problems] == ["AppProject shop role ci policy"]


def test_regex_problems_name_the_line_and_pattern() -> None:
    policy, _ = rbac_policy.parse(
        "p, alice, applications, get, ^ok/.*$, allow\np, bob, applications, *, */*, allow",
        "argocd-rbac-cm policy.csv",
    )
    problems = rbac_policy.regex_problems(policy)
    assert [problem.where for problem in problems] == ["argocd-rbac-cm policy.csv line 2"] * 2
    assert "'*' is not a regular expression" in problems[0].message


def test_the_builtin_policy_is_argo_cds() -> None:
    policy, problems = rbac_policy.parse(rbac_policy.BUILTIN_POLICY_CSV, "built-in")
    assert problems == []
    assert len(policy.rules) == 42
    assert policy.groupings == (
        Grouping("role:admin", "role:readonly"),
        Grouping("admin", "role:admin"),
    )
    admin = {(rule.resource, rule.action) for rule in policy.rules if rule.subject == "role:admin"}
    assert ("extensions", "invoke") not in admin
    assert ("gpgkeys", "update") not in admin
    assert ("exec", "create") in admin


def test_the_model_is_argo_cds() -> None:
    assert "e = some(where (p.eft == allow)) && !some(where (p.eft == deny))" in (
        rbac_policy.MODEL_CONF
    )
    assert "g(r.sub, p.sub) && globOrRegexMatch(r.res, p.res)" in rbac_policy.MODEL_CONF


@pytest.mark.parametrize(
    "role",
    [
        "ci",
        {"name": "ci", "policies": "p, proj:shop:ci, applications, get, shop/*, allow"},
        {"name": "ci", "groups": [1]},
    ],
)
def test_a_role_of_the_wrong_shape_is_a_problem(role: object) -> None:
    project = {"metadata": {"name": "shop"}, "spec": {"roles": [role]}}
    _, problems = rbac_policy.project_policy(project)
    assert len(problems) == 1
    assert "expected a role with lists of policies and groups" in problems[0].message
