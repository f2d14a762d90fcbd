"""`gitferry app create` of existing and invalid apps, and `gitferry app set`: each flag's
edit of the spec, turning automation off, multi-source apps, and the refusals that leave the
spec as it was."""

from __future__ import annotations

import pytest

from tests.cli.app.app_cli import BASE, Apps, Json, application, lines

pytestmark = pytest.mark.e2e


def test_create_of_an_existing_app_needs_upsert_to_change_it(apps: Apps) -> None:
    path = apps.write_file(application("web"))
    assert apps.run("create", "-f", path).exit_code == 0
    again = apps.run("create", "-f", path)
    assert lines(again.stdout) == ["application 'web' unchanged"]

    changed = apps.write_file(application("web", project="shop"))
    refused = apps.run("create", "-f", changed)
    assert refused.exit_code == 1
    assert lines(refused.stderr) == [
        "error: app web: existing application spec is different, use upsert flag to force update"
    ]
    upserted = apps.run("create", "-f", changed, "--upsert")
    assert lines(upserted.stdout) == ["application 'web' updated"]
    assert apps.get("web")["spec"]["project"] == "shop"


def test_create_refuses_an_invalid_spec_in_one_line(apps: Apps) -> None:
    broken = application("web", destination={"server": "https://a", "name": "b"})
    result = apps.run("create", "-f", apps.write_file(broken))
    assert result.exit_code == 1
    assert lines(result.stderr) == [
        "error: app web: application destination can't have both name and server defined: "
        "b https://a"
    ]


@pytest.mark.parametrize(
    ("args", "changes"),
    [
        (("--revision", "v2"), {"source": {**BASE["source"], "targetRevision": "v2"}}),
        (
            ("--path", "other", "--repo", "https://git.example/other.git"),
            {
                "source": {
                    **BASE["source"],
                    "path": "other",
                    "repoURL": "https://git.example/other.git",
                }
            },
        ),
        (
            ("--dest-namespace", "prod", "--project", "shop"),
            {"destination": {**BASE["destination"], "namespace": "prod"}, "project": "shop"},
        ),
        (
            ("--sync-policy", "automated", "--self-heal", "--auto-prune"),
            {"syncPolicy": {"automated": {"selfHeal": True, "prune": True}}},
        ),
        (
            ("--sync-option", "CreateNamespace=true", "--sync-option", "ServerSideApply=true"),
            {"syncPolicy": {"syncOptions": ["CreateNamespace=true", "ServerSideApply=true"]}},
        ),
        (
            ("--helm-set", "replicas=3", "--values", "prod.yaml", "--values", "eu.yaml"),
            {
                "source": {
                    **BASE["source"],
                    "helm": {
                        "parameters": [{"name": "replicas", "value": "3"}],
                        "valueFiles": ["prod.yaml", "eu.yaml"],
                    },
                }
            },
        ),
    ],
)
def test_set_patches_the_spec(apps: Apps, args: tuple[str, ...], changes: Json) -> None:
    apps.create("web")
    result = apps.run("set", "web", *args)
    assert result.exit_code == 0, result.output
    assert apps.get("web")["spec"] == {**BASE, **changes}


def test_set_sync_policy_none_turns_automation_off(apps: Apps) -> None:
    apps.create(
        "web",
        syncPolicy={"automated": {"prune": True}, "syncOptions": ["CreateNamespace=true"]},
    )
    assert apps.run("set", "web", "--sync-policy", "none").exit_code == 0
    assert apps.get("web")["spec"]["syncPolicy"] == {"syncOptions": ["CreateNamespace=true"]}
    assert apps.run("set", "web", "--sync-option", "!CreateNamespace=true").exit_code == 0
    assert "syncPolicy" not in apps.get("web")["spec"]


def test_set_changes_one_source_of_a_multi_source_app(apps: Apps) -> None:
    second = {"repoURL": "https://git.example/values.git", "targetRevision": "main", "ref": "v"}
    apps.create("web", source=None, sources=[BASE["source"], second])
    refused = apps.run("set", "web", "--revision", "v2")
    assert refused.exit_code == 1
    assert lines(refused.stderr) == [
        "error: app web: Source position should be specified and must be greater than 0 for "
        "applications with multiple sources"
    ]
    assert apps.run("set", "web", "--revision", "v2", "--source-position", "2").exit_code == 0
    assert [s["targetRevision"] for s in apps.get("web")["spec"]["sources"]] == ["main", "v2"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--self-heal",),
            "app web: Cannot set --self-heal: application not configured with automatic sync",
        ),
        ((), "app web: set at least one option to update"),
        (
            ("--dest-name", "prod"),
            "app web: application destination can't have both name and server defined: prod "
            "https://kubernetes.default.svc",
        ),
        (
            ("--helm-set", "replicas"),
            "--helm-set 'replicas': Expected helm parameter of the form: param=value. "
            "Received: replicas",
        ),
    ],
)
def test_set_refusals(apps: Apps, args: tuple[str, ...], message: str) -> None:
    apps.create("web")
    result = apps.run("set", "web", *args)
    assert result.exit_code == 1
    assert lines(result.stderr) == [f"error: {message}"]
    assert apps.get("web")["spec"] == BASE
