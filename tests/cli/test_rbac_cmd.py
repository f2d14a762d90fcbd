"""`gitferry rbac can`: Yes (exit 0) or No (exit 1) as `argocd admin settings rbac can` answers,
from a policy CSV or an `argocd-rbac-cm` ConfigMap; a malformed policy is one error line with
the file, key and line number and exit status 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from gitferry.cli.rbac_cmd import rbac_group
from gitferry.testing import blueprint

POLICY_CSV = """\
# developers
p, role:dev, applications, sync, dev/*, allow
p, role:dev, applications, delete, dev/prod-*, deny
g, alice, role:dev
"""

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: argocd-rbac-cm, namespace: argocd}
data:
  policy.default: role:readonly
  policy.matchMode: regex
  policy.csv: |
    p, bob, applications, sync, ^team-.*/, allow
"""


def can(tmp_path: Path, text: str, *args: str, name: str = "policy.csv") -> tuple[int, str, str]:
    path = tmp_path / name
    path.write_text(text)
    result = CliRunner().invoke(rbac_group, ["can", *args, "--policy-file", str(path)])
    return result.exit_code, result.stdout, result.stderr


# arguments, exit code, output -- with POLICY_CSV
CSV_CASES = [
    (["alice", "sync", "applications", "dev/web"], 0, "Yes\n"),
    (["alice", "delete", "applications", "dev/prod-web"], 1, "No\n"),
    (["alice", "sync", "applications", "prod/web"], 1, "No\n"),
    (["role:dev", "sync", "app", "dev/web"], 0, "Yes\n"),  # `app` is short for applications
    (["alice", "get", "applications", "dev/web"], 1, "No\n"),  # no default role in a CSV
    (["admin", "sync", "applications"], 0, "Yes\n"),  # no object means */*
    (["admin", "sync", "apps", "*"], 0, "Yes\n"),
    (["admin", "create", "proj", "shop"], 0, "Yes\n"),
    (["admin", "get", "cert"], 0, "Yes\n"),
    (["admin", "invoke", "extension", "metrics"], 1, "No\n"),
    (["bob", "get", "applications", "x/y", "--default-role", "role:readonly"], 0, "Yes\n"),
    (["admin", "sync", "applications", "x/y", "--no-builtin"], 1, "No\n"),
]


@pytest.mark.parametrize(("args", "code", "output"), CSV_CASES)
def test_can_with_a_policy_csv(tmp_path: Path, args: list[str], code: int, output: str) -> None:
    assert can(tmp_path, POLICY_CSV, *args) == (code, output, "")


# arguments, exit code, output -- with CONFIGMAP (its default role and regex match mode)
CONFIGMAP_CASES = [
    (["bob", "sync", "applications", "team-a/web"], 0, "Yes\n"),
    (["bob", "sync", "applications", "my-team-a/web"], 1, "No\n"),
    (["carol", "get", "applications", "shop/web"], 1, "No\n"),  # `*/*` is no regex
    (["carol", "get", "clusters", "https://x"], 1, "No\n"),
]


@pytest.mark.parametrize(("args", "code", "output"), CONFIGMAP_CASES)
def test_can_with_a_configmap(tmp_path: Path, args: list[str], code: int, output: str) -> None:
    assert can(tmp_path, CONFIGMAP, *args, name="argocd-rbac-cm.yaml") == (code, output, "")


def test_the_blueprint_configmap(tmp_path: Path) -> None:
    path = tmp_path / "rbac-config.yaml"
    path.write_text(blueprint.manifest("argocd/rbac/rbac-config.yaml"))
    runner = CliRunner()

    def ask(*args: str) -> int:
        return runner.invoke(rbac_group, ["can", *args, "--policy-file", str(path)]).exit_code

    assert ask("diana@company.com", "sync", "applications", "development/web") == 0
    assert ask("diana@company.com", "delete", "applications", "production/web") == 1
    assert ask("eve@company.com", "get", "applications", "production/web") == 0
    assert ask("eve@company.com", "get", "applications", "production/web", "--no-builtin") == 0
    assert ask("eve@company.com", "get", "certificates", "--no-builtin") == 1


def test_a_malformed_line_is_one_error_naming_file_key_and_line(tmp_path: Path) -> None:
    code, out, err = can(tmp_path, POLICY_CSV + "p, role:dev, applications\n", "a", "get", "logs")
    path = tmp_path / "policy.csv"
    assert (code, out) == (2, "")
    assert err == (
        f"error: {path} policy.csv line 5: a p line has 6 fields (p, subject, resource, action, "
        "object, effect), found 3: p, role:dev, applications\n"
    )


def test_a_malformed_configmap_key_is_named(tmp_path: Path) -> None:
    text = CONFIGMAP.replace("  policy.csv: |", "  policy.extra.csv: 'g, alice'\n  policy.csv: |")
    code, _, err = can(tmp_path, text, "bob", "get", "logs", name="cm.yaml")
    assert code == 2
    assert "cm.yaml policy.extra.csv line 1: a g line has 3 fields" in err


def test_an_invalid_regex_in_regex_mode_is_an_error(tmp_path: Path) -> None:
    text = CONFIGMAP.replace("^team-.*/", "*/*")
    code, _, err = can(tmp_path, text, "bob", "get", "logs", name="cm.yaml")
    assert code == 2
    assert "policy.csv line 1: '*/*' is not a regular expression" in err


def test_a_missing_policy_file_is_a_usage_error(tmp_path: Path) -> None:
    args = ["can", "a", "get", "logs", "--policy-file", str(tmp_path / "nope.csv")]
    result = CliRunner().invoke(rbac_group, args)
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
