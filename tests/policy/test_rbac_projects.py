"""Project-scoped roles (reference 2.8, 4.4, 4.7): an AppProject's roles, their policies and
group bindings join the RBAC policy for requests about that project only; a project token acts
only in its own project; the `argocd-rbac-cm` policy still applies (its denies included)."""

from __future__ import annotations

from typing import Any

import pytest

from gitferry.policy import rbac
from gitferry.policy.rbac import Claims

RBAC_CM = {
    "policy.csv": """\
p, alice, applications, get, */*, allow
g, proj:shop:ci, role:cluster-viewer
p, role:cluster-viewer, clusters, get, *, allow
p, proj:shop:ci, applications, delete, shop/protected, deny
"""
}


def project(name: str, roles: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {"roles": roles},
    }


SHOP = project(
    "shop",
    [
        {
            "name": "ci",
            "policies": [
                "p, proj:shop:ci, applications, sync, shop/*, allow",
                "p, proj:shop:ci, applications, delete, shop/*, allow",
            ],
            "groups": ["my-org:ci", "alice"],
        },
        {"name": "viewer", "policies": ["p, proj:shop:viewer, applications, get, shop/*, allow"]},
    ],
)
OTHER = project(
    "other",
    [{"name": "deploy", "policies": ["p, proj:other:deploy, applications, sync, other/*, allow"]}],
)


def enforcer(**settings: str) -> rbac.Enforcer:
    enf = rbac.Enforcer.from_configmap({**RBAC_CM, **settings})
    assert enf.set_project_roles(SHOP) == []
    assert enf.set_project_roles(OTHER) == []
    return enf


def decide(enf: rbac.Enforcer, request: tuple[Any, ...]) -> bool:
    fast = enf.enforce(*request)
    assert enf.enforce_with_casbin(*request) == fast, request
    return fast


CI = Claims(sub="proj:shop:ci", extra={"iss": "argocd", "jti": "t1"})

# subject, action, resource, object, allowed
PROJECT_ROLES = [
    (CI, "sync", "applications", "shop/web", True),
    (CI, "sync", "applications", "shop/team-ns/web", True),  # apps in any namespace
    (CI, "delete", "applications", "shop/web", True),
    (CI, "delete", "applications", "shop/protected", False),  # argocd-rbac-cm deny wins
    (CI, "sync", "applications", "other/web", False),  # a token acts in its own project only
    (CI, "get", "projects", "shop", True),  # the implicit `projects, get` grant
    (CI, "get", "projects", "other", False),
    (CI, "get", "logs", "shop/web", False),
    # Not about a registered project: the token's subject is asked of the rbac-cm policy alone.
    (CI, "get", "clusters", "https://kubernetes.default.svc", True),
    (CI, "get", "certificates", "", False),
    (Claims(sub="proj:shop:viewer"), "get", "applications", "shop/web", True),
    (Claims(sub="proj:shop:viewer"), "sync", "applications", "shop/web", False),
    (Claims(sub="proj:shop:ci:extra"), "sync", "applications", "shop/web", False),
    (Claims(sub="proj:gone:ci"), "sync", "applications", "gone/web", False),
    # Role groups bind token groups, and user names, for requests about that project.
    (Claims(sub="bob", groups=["my-org:ci"]), "sync", "applications", "shop/web", True),
    (Claims(sub="bob", groups=["my-org:ci"]), "sync", "applications", "other/web", False),
    (Claims(sub="bob", groups=["my-org:ci"]), "get", "clusters", "https://x", False),
    (Claims(sub="alice"), "sync", "applications", "shop/web", True),
    # alice holds proj:shop:ci through its groups, so its deny binds her too.
    (Claims(sub="alice"), "delete", "applications", "shop/protected", False),
    # Plain string subjects never consult project roles (Argo CD's `Enforce(string)`).
    ("alice", "sync", "applications", "shop/web", False),
    ("proj:shop:ci", "sync", "applications", "shop/web", False),
    ("proj:shop:ci", "get", "clusters", "https://x", True),
]


@pytest.mark.parametrize(("subject", "action", "resource", "obj", "allowed"), PROJECT_ROLES)
def test_project_roles(
    subject: str | Claims, action: str, resource: str, obj: str, allowed: bool
) -> None:
    assert decide(enforcer(), (subject, action, resource, obj)) is allowed


def test_the_default_role_still_applies_to_project_tokens() -> None:
    enf = enforcer(**{"policy.default": "role:readonly"})
    viewer = Claims(sub="proj:shop:viewer")
    assert decide(enf, (viewer, "get", "applications", "other/web"))
    assert not decide(enf, (viewer, "sync", "applications", "other/web"))


def test_removing_a_project_takes_its_grants_away() -> None:
    enf = enforcer()
    assert enf.enforce(CI, "sync", "applications", "shop/web")
    enf.remove_project("shop")
    assert not decide(enf, (CI, "sync", "applications", "shop/web"))
    assert not decide(
        enf, (Claims(sub="bob", groups=["my-org:ci"]), "sync", "applications", "shop/web")
    )


def test_changed_roles_take_effect_at_once() -> None:
    enf = enforcer()
    assert enf.enforce(CI, "sync", "applications", "shop/web")
    narrowed = project(
        "shop", [{"name": "ci", "policies": ["p, proj:shop:ci, applications, get, shop/*, allow"]}]
    )
    assert enf.set_project_roles(narrowed) == []
    assert not decide(enf, (CI, "sync", "applications", "shop/web"))
    assert decide(enf, (CI, "get", "applications", "shop/web"))


def test_a_malformed_role_policy_falls_back_to_the_rbac_cm_policy() -> None:
    enf = enforcer()
    broken = project("shop", [{"name": "ci", "policies": ["p, proj:shop:ci, applications"]}])
    problems = enf.set_project_roles(broken)
    assert [problem.where for problem in problems] == ["AppProject shop role ci policy"]
    assert not decide(enf, (CI, "sync", "applications", "shop/web"))
    assert decide(enf, (Claims(sub="alice"), "get", "applications", "shop/web"))


def test_a_reload_keeps_the_registered_projects() -> None:
    enf = enforcer()
    assert enf.load({"policy.csv": "p, carol, clusters, get, *, allow"}) == []
    assert decide(enf, (CI, "sync", "applications", "shop/web"))
    assert decide(enf, (CI, "delete", "applications", "shop/protected"))  # that deny is gone
    assert not decide(enf, (CI, "get", "clusters", "https://x"))  # and so is role:cluster-viewer
