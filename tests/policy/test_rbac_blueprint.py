"""The platform blueprint's `argocd-rbac-cm` (read at test time from the shared
reference) loads and behaves as written: every role, by user name, by
token subject and by SSO group, with `policy.default: role:readonly` and the built-in policy.

Two lines do less than their comments suggest, and the table pins what they really do:
`p, role:sre, applications, action/restart, production/*, allow` grants only the literal action
`action/restart` (Argo CD asks for `action/<group>/<kind>/<action>`), and
`p, role:security-audit, exec, deny, */*, allow` grants an action named `deny` (harmless:
nothing grants that role `exec, create`).
"""

from __future__ import annotations

import pytest
import yaml

from gitferry.policy import rbac
from gitferry.policy.rbac import Claims
from gitferry.testing import blueprint


@pytest.fixture(scope="module")
def enforcer() -> rbac.Enforcer:
    configmap = yaml.safe_load(blueprint.manifest("argocd/rbac/rbac-config.yaml"))
    return rbac.Enforcer.from_configmap(configmap["data"])


def members(user: str | None, group: str) -> list[str | Claims]:
    """The ways a role is held: the user's name (plain, and as a token subject) and the group."""
    found: list[str | Claims] = [Claims(sub="someone@company.com", groups=["other", group])]
    if user is not None:
        found += [user, Claims(sub=user)]
    return found


MEMBERS = {
    "platform-admin": members("alice@company.com", "platform-team"),
    "developer": members("diana@company.com", "development-team"),
    "devops": members("bob@company.com", "devops-team"),
    "sre": members("charlie@company.com", "sre-team"),
    "security-audit": members(None, "security-team"),
    "readonly": members(None, "stakeholders"),
    "nobody": ["eve@company.com", Claims(sub="eve@company.com", groups=["contractors"])],
    "builtin-admin": ["admin"],
}

PROD = "production/web"
DEV = "development/web"
STAGE = "staging/web"
REPO = "https://git.company.com/platform/apps.git"
CLUSTER = "https://prod.k8s.company.com"
RESTART = "action/apps/Deployment/restart"

# role, action, resource, object, allowed
TABLE = [
    ("platform-admin", "sync", "applications", PROD, True),
    ("platform-admin", "delete", "applications", PROD, True),
    ("platform-admin", "update/apps/Deployment/prod/web", "applications", PROD, True),
    ("platform-admin", "create", "clusters", CLUSTER, True),
    ("platform-admin", "create", "repositories", REPO, True),
    ("platform-admin", "delete", "projects", "production", True),
    ("platform-admin", "update", "accounts", "alice", True),
    ("platform-admin", "create", "certificates", "", True),
    ("platform-admin", "get", "logs", PROD, True),  # from the default role
    ("platform-admin", "create", "exec", PROD, False),
    ("platform-admin", "create", "applicationsets", "production/apps", False),
    ("platform-admin", "invoke", "extensions", "metrics", False),
    ("developer", "get", "applications", DEV, True),
    ("developer", "create", "applications", DEV, True),
    ("developer", "update", "applications", DEV, True),
    ("developer", "delete", "applications", DEV, True),
    ("developer", "sync", "applications", DEV, True),
    ("developer", "override", "applications", DEV, True),
    ("developer", RESTART, "applications", DEV, True),
    ("developer", "update/apps/Deployment/dev/web", "applications", DEV, False),
    ("developer", "get", "applications", PROD, True),  # from the default role
    ("developer", "sync", "applications", PROD, False),
    ("developer", "delete", "applications", PROD, False),
    ("developer", "sync", "applications", STAGE, False),
    ("developer", "get", "repositories", REPO, True),
    ("developer", "create", "repositories", REPO, False),
    ("developer", "get", "projects", "applications", True),
    ("developer", "update", "projects", "development", False),
    ("developer", "create", "exec", DEV, False),
    ("devops", "delete", "applications", STAGE, True),
    ("devops", "sync", "applications", DEV, True),
    ("devops", "get", "applications", PROD, True),
    ("devops", "sync", "applications", PROD, True),
    ("devops", "delete", "applications", PROD, False),
    ("devops", "rollback", "applications", PROD, False),
    ("devops", "create", "repositories", REPO, True),
    ("devops", "get", "clusters", CLUSTER, True),
    ("devops", "create", "clusters", CLUSTER, False),
    ("devops", "update", "projects", "production", False),
    ("sre", "get", "applications", STAGE, True),
    ("sre", "sync", "applications", PROD, True),
    ("sre", "rollback", "applications", PROD, True),
    ("sre", "action/restart", "applications", PROD, True),  # the literal action as written
    ("sre", RESTART, "applications", PROD, False),  # what Argo CD actually asks for
    ("sre", "sync", "applications", STAGE, False),
    ("sre", "delete", "applications", PROD, False),
    ("sre", "get", "clusters", CLUSTER, True),
    ("security-audit", "get", "applications", PROD, True),
    ("security-audit", "get", "logs", PROD, True),
    ("security-audit", "get", "repositories", REPO, True),
    ("security-audit", "get", "projects", "production", True),
    ("security-audit", "create", "exec", PROD, False),
    ("security-audit", "sync", "applications", PROD, False),
    ("security-audit", "delete", "applications", PROD, False),
    ("security-audit", "create", "repositories", REPO, False),
    ("readonly", "get", "applications", PROD, True),
    ("readonly", "get", "clusters", CLUSTER, True),
    ("readonly", "sync", "applications", PROD, False),
    ("readonly", "delete", "applications", DEV, False),
    ("nobody", "get", "applications", PROD, True),
    ("nobody", "get", "accounts", "eve", True),
    ("nobody", "sync", "applications", DEV, False),
    ("nobody", "create", "repositories", REPO, False),
    ("builtin-admin", "sync", "applications", PROD, True),
    ("builtin-admin", "create", "exec", PROD, True),
]

CASES = [
    pytest.param(member, action, resource, obj, allowed, id=f"{role}-{index}-{action}-{obj}")
    for role, action, resource, obj, allowed in TABLE
    for index, member in enumerate(MEMBERS[role])
]


@pytest.mark.parametrize(("subject", "action", "resource", "obj", "allowed"), CASES)
def test_the_blueprint_rbac_config_behaves_as_written(
    enforcer: rbac.Enforcer,
    subject: str | Claims,
    action: str,
    resource: str,
    obj: str,
    allowed: bool,
) -> None:
    assert enforcer.enforce(subject, action, resource, obj) is allowed


def test_roles_add_up_across_groups(enforcer: rbac.Enforcer) -> None:
    both = Claims(sub="frank@company.com", groups=["stakeholders", "sre-team"])
    assert enforcer.enforce(both, "sync", "applications", PROD)
    assert not enforcer.enforce(both, "sync", "applications", DEV)


def test_the_table_agrees_with_casbin(enforcer: rbac.Enforcer) -> None:
    for role, action, resource, obj, allowed in TABLE:
        for member in MEMBERS[role]:
            assert enforcer.enforce_with_casbin(member, action, resource, obj) is allowed, (
                role,
                member,
                action,
                obj,
            )
