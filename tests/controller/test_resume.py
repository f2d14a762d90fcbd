"""A controller killed in the middle of a sync resumes it without running a hook twice."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from gitferry.testing.cluster import start_cluster
from gitferry.testing.git import GitRepo
from gitferry.testing.platform import Apps, Controller, application

pytestmark = pytest.mark.e2e

WAVE = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-{i}
  annotations: {{argocd.argoproj.io/sync-wave: "{i}"}}
data: {{wave: "{i}"}}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: hook-{i}
  annotations:
    argocd.argoproj.io/hook: Sync
    argocd.argoproj.io/sync-wave: "{i}"
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{{name: work, image: "busybox:1.36", command: ["true"]}}]
"""


def _hook_writes(audit_log: Path, namespace: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in audit_log.read_text().splitlines():
        event = json.loads(line)
        ref = event.get("objectRef") or {}
        if ref.get("namespace") != namespace or ref.get("resource") != "jobs":
            continue
        if "dryRun" in event["requestURI"] or event["responseStatus"]["code"] >= 300:
            continue
        if event["verb"] == "patch" and event["responseStatus"]["code"] != 201:
            continue  # updates (finalizer removal) are not runs
        found.setdefault(ref.get("name", ""), []).append(event["verb"])
    return found


def test_kill_9_mid_sync_resumes_and_each_hook_runs_once(tmp_path: Path) -> None:
    cluster = start_cluster(tmp_path / "clusters", "resume", speed=1.0)
    controller = Controller(cluster, tmp_path / "controller")
    (tmp_path / "controller").mkdir()
    try:
        subprocess.run(
            [sys.executable, "-m", "gitferry", "install", "--kubeconfig", str(cluster.kubeconfig)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        repo = GitRepo.create(tmp_path / "repo")
        repo.commit({f"app/wave-{i}.yaml": WAVE.format(i=i) for i in range(5)})
        apps = Apps(cluster)
        apps.create(application("waves", repo.url, "app", "waves", automated={"prune": True}))
        controller.start()

        def progressed(obj: dict[str, Any]) -> bool:
            results = ((obj.get("status") or {}).get("operationState") or {}).get(
                "syncResult", {}
            ).get("resources") or []
            return any(r["name"] == "hook-1" for r in results)

        apps.wait("waves", progressed, timeout=60, what="wave 1 started")
        controller.stop(kill=True)
        state: dict[str, Any] = apps.status("waves")["operationState"]
        assert state["phase"] == "Running", "the kill must land mid-operation"
        time.sleep(0.5)
        controller.start()
        obj = apps.wait(
            "waves",
            lambda o: (o.get("status") or {}).get("operationState", {}).get("phase") == "Succeeded",
            timeout=120,
            what="sync completed",
        )
        assert obj["status"]["operationState"]["message"].startswith("successfully synced")
        writes = _hook_writes(cluster.audit_log, "waves")
        assert sorted(writes) == [f"hook-{i}" for i in range(5)], writes
        assert all(verbs == [verbs[0]] for verbs in writes.values()), writes
    finally:
        controller.stop()
        cluster.stop()
