"""`gitferry app history` and `gitferry app rollback`: the deployments listed per source,
the sync operation a rollback writes, its refusals, and following it like a sync."""

from __future__ import annotations

import json

import pytest

from tests.cli.app.app_cli import AUTO, REPO, USER, Apps, Json, finish, lines


def _entry(number: int, revision: str, sha: str, path: str = "app") -> Json:
    return {
        "id": number,
        "revision": sha * 40,
        "deployedAt": f"2026-01-0{number + 1}T10:00:00Z",
        "deployStartedAt": f"2026-01-0{number + 1}T09:59:50Z",
        "source": {"repoURL": REPO, "path": path, "targetRevision": revision},
        "initiatedBy": {"username": "ops"},
    }


HISTORY = [_entry(0, "main", "a"), _entry(1, "main", "b"), _entry(2, "v2", "c", "app-v2")]

pytestmark = pytest.mark.e2e


def test_history_lists_deployments_per_source(apps: Apps) -> None:
    apps.create("web")
    apps.patch("web", {"status": {"history": HISTORY}})
    result = apps.run("history", "web")
    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == [
        f"SOURCE  {REPO}",
        "ID  DATE                  REVISION        PATH",
        "0   2026-01-01T10:00:00Z  main (aaaaaaa)  app",
        "1   2026-01-02T10:00:00Z  main (bbbbbbb)  app",
        "2   2026-01-03T10:00:00Z  v2 (ccccccc)    app-v2",
    ]
    as_json = apps.run("history", "web", "-o", "json")
    assert json.loads(as_json.stdout) == HISTORY


def test_rollback_defaults_to_the_previous_deployment(apps: Apps) -> None:
    apps.create("web", syncPolicy={"syncOptions": ["CreateNamespace=true"]})
    apps.patch("web", {"status": {"history": HISTORY}})
    result = apps.run("rollback", "web", "--async")
    assert result.exit_code == 0, result.output
    assert apps.get("web")["operation"] == {
        "sync": {
            "revision": "b" * 40,
            "source": HISTORY[1]["source"],
            "syncOptions": ["CreateNamespace=true"],
            "syncStrategy": {"apply": {}},
        },
        "initiatedBy": {"username": USER},
    }


def test_rollback_to_an_id_with_prune_and_dry_run(apps: Apps) -> None:
    apps.create("web")
    apps.patch("web", {"status": {"history": HISTORY}})
    assert apps.run("rollback", "web", "0", "--prune", "--dry-run", "--async").exit_code == 0
    assert apps.get("web")["operation"]["sync"] == {
        "revision": "a" * 40,
        "source": HISTORY[0]["source"],
        "prune": True,
        "dryRun": True,
        "syncStrategy": {"apply": {}},
    }


@pytest.mark.parametrize(
    ("spec", "history", "args", "message"),
    [
        (
            {"syncPolicy": AUTO},
            HISTORY,
            ("1",),
            "app web: rollback cannot be initiated when auto-sync is enabled",
        ),
        ({}, HISTORY, ("7",), "application {ns}/web does not have deployment with id 7"),
        (
            {},
            HISTORY[:1],
            (),
            "app web: Application 'web' should have at least two successful deployments",
        ),
        (
            {},
            [{"id": 0, "revision": "abc"}, {"id": 1, "revision": "def"}],
            ("0",),
            "app web: cannot rollback to revision deployed with Argo CD v0.11 or lower. sync to "
            "revision instead.",
        ),
    ],
)
def test_rollback_refusals(
    apps: Apps, spec: Json, history: list[Json], args: tuple[str, ...], message: str
) -> None:
    apps.create("web", **spec)
    apps.patch("web", {"status": {"history": history}})
    result = apps.run("rollback", "web", *args, "--async")
    assert result.exit_code == 1
    assert lines(result.stderr) == ["error: " + message.format(ns=apps.namespace)]
    assert "operation" not in apps.get("web")


def test_rollback_follows_the_operation_like_sync(apps: Apps) -> None:
    apps.create("web")
    apps.patch("web", {"status": {"history": HISTORY}})

    def rolled_back(apps: Apps, app: Json) -> None:
        # The spec still names main, so the app is OutOfSync after a rollback (reference 7.2).
        finish(apps, "web", "Succeeded", sync="OutOfSync")

    with apps.controller("web", rolled_back):
        result = apps.run("rollback", "web", "--timeout", "30")
    assert result.exit_code == 0, result.output
    assert "Phase:              Succeeded" in lines(result.stdout)
