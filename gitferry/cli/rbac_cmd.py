"""`gitferry rbac can SUBJECT ACTION RESOURCE [OBJECT] --policy-file F`: would Argo CD's RBAC
let SUBJECT do ACTION on OBJECT of RESOURCE? Offline, like `argocd admin settings rbac can`.

`--policy-file` is either a policy CSV or an `argocd-rbac-cm` ConfigMap in YAML (then its
`policy.csv`, `policy.*.csv`, `policy.default` and `policy.matchMode` are used); a file holding
a ConfigMap is read as one, anything else as CSV. `--default-role` replaces the file's default
role; `--no-builtin` leaves out Argo CD's built-in policy (`role:readonly`, `role:admin`).
As `argocd` does, RESOURCE may be a short name (`app`, `proj`, `repo`, `cert`, ...) and a
missing or `*` OBJECT of a project-scoped resource means `*/*`. SUBJECT is a user, group or
role name; project roles and token groups are the server's business.

Prints `Yes` (exit 0) or `No` (exit 1). A policy that cannot be loaded is one `error:` line
naming the file, key, line number and text, with exit status 2 (so scripts can tell "no" from
"could not answer"), as are unreadable files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gitferry.cli import common
from gitferry.model import errors
from gitferry.policy import rbac, rbac_policy

# `argocd admin settings rbac can` accepts these short names for resources.
RESOURCE_ALIASES = {
    "account": "accounts",
    "app": "applications",
    "apps": "applications",
    "application": "applications",
    "cert": "certificates",
    "certs": "certificates",
    "certificate": "certificates",
    "cluster": "clusters",
    "extension": "extensions",
    "gpgkey": "gpgkeys",
    "key": "gpgkeys",
    "log": "logs",
    "proj": "projects",
    "projs": "projects",
    "project": "projects",
    "repo": "repositories",
    "repos": "repositories",
    "repository": "repositories",
}


@click.group("rbac")
def rbac_group() -> None:
    """Check RBAC policies offline, as `argocd admin settings rbac` does."""


@rbac_group.command("can")
@click.argument("subject")
@click.argument("action")
@click.argument("resource")
@click.argument("obj", metavar="[OBJECT]", required=False, default="")
@click.option(
    "--policy-file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A policy CSV, or an argocd-rbac-cm ConfigMap in YAML.",
)
@click.option("--default-role", default="", help="The default role (replaces the file's).")
@click.option("--no-builtin", is_flag=True, help="Leave out Argo CD's built-in policy.")
@common.handle_errors(code=2)
def can(
    subject: str,
    action: str,
    resource: str,
    obj: str,
    policy_file: Path,
    default_role: str,
    no_builtin: bool,
) -> None:
    """Whether SUBJECT may do ACTION on OBJECT of RESOURCE: prints Yes (exit 0) or No (1)."""
    data = _policy_data(policy_file)
    if default_role:
        data[rbac_policy.DEFAULT_ROLE_KEY] = default_role
    enforcer = rbac.Enforcer.from_configmap(data, builtin=not no_builtin, source=str(policy_file))
    resource = RESOURCE_ALIASES.get(resource, resource)
    if resource in rbac.PROJECT_SCOPED and obj in ("", "*"):
        obj = "*/*"
    allowed = enforcer.enforce(subject, action, resource, obj)
    click.echo("Yes" if allowed else "No")
    sys.exit(0 if allowed else 1)


def _policy_data(path: Path) -> dict[str, str]:
    """`argocd-rbac-cm` data from a ConfigMap file, or `{"policy.csv": <file>}` for a CSV."""
    try:
        objects = common.load_objects(path)
    except errors.InputError:
        objects = []  # not YAML objects: a policy CSV
    for obj in objects:
        if obj.get("kind") != "ConfigMap":
            continue
        data = obj.get("data") or {}
        if not isinstance(data, dict):
            raise errors.InputError(f"{path}: ConfigMap data is not a mapping")
        for key, value in data.items():
            if not isinstance(value, str):
                raise errors.InputError(f"{path}: ConfigMap data.{key} is not a string")
        return dict(data)
    try:
        return {rbac_policy.POLICY_KEY: path.read_text(encoding="utf-8")}
    except (OSError, UnicodeDecodeError) as err:
        raise errors.InputError(f"{path}: cannot read the policy ({err})") from err
