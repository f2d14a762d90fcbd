"""`gitferry up`'s first deployment of what sync windows hold back: an app that was never
deployed and that a deny window (with manualSync) keeps from syncing automatically is synced
once, manually; one that the windows refuse even manually is left alone."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitferry.cli.platform import firstsync, progress
from gitferry.cluster import connect
from gitferry.cluster.client import KubeClient
from gitferry.testing.git import GitRepo
from gitferry.testing.platform import Apps, Controller, application, unique

pytestmark = pytest.mark.e2e
ALWAYS = {"kind": "deny", "schedule": "* * * * *", "duration": "1h", "applications": ["*"]}


def project(name: str, manual: bool) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {
            "sourceRepos": ["*"],
            "destinations": [{"server": "*", "namespace": "*"}],
            "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
            "syncWindows": [{**ALWAYS, "manualSync": manual}],
        },
    }


async def nudge(controller: Controller) -> None:
    target = connect.from_kubeconfig(controller.cluster.kubeconfig, None)
    async with KubeClient(target) as client:
        await firstsync.FirstSync(client)(await progress.snapshot(client))


@pytest.mark.parametrize("manual", [True, False], ids=["manual-allowed", "manual-refused"])
def test_first_sync_deploys_only_what_a_manual_sync_may(
    controller: Controller, apps: Apps, tmp_path: Path, manual: bool
):
    repo = GitRepo.create(tmp_path / "repo")
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}}
    repo.commit({"app/cm.yaml": yaml.safe_dump(cm)})
    name = unique("held")
    controller.cluster.kubectl("apply", "-f", "-", input=json.dumps(project(name, manual)))
    app = application(name, repo.url, "app", unique("held"), automated={"prune": True})
    app["spec"]["project"] = name
    apps.create(app)
    apps.wait(name, lambda a: (a.get("status") or {}).get("sync", {}).get("status") == "OutOfSync")

    asyncio.run(nudge(controller))
    if manual:
        synced = apps.wait_synced_healthy(name)
        assert synced["status"]["history"][0]["initiatedBy"]["username"] == firstsync.USERNAME
    else:
        time.sleep(2)
        assert not apps.get(name).get("operation")
