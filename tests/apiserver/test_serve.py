"""`gitferry cluster serve` as a process: clusters side by side, the audit log, plain HTTP,
and the one-line errors of a bad start."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from gitferry.testing.cluster import RunningCluster, free_port, start_cluster

pytestmark = pytest.mark.e2e


def test_two_clusters_side_by_side_keep_their_own_state_and_tokens(tmp_path: Path) -> None:
    first = start_cluster(tmp_path, "first")
    second = start_cluster(tmp_path, "second")
    try:
        with first.http() as api:
            api.post(
                "/api/v1/namespaces",
                json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "only-here"}},
            ).raise_for_status()
        with second.http() as api:
            assert api.get("/api/v1/namespaces/only-here").status_code == 404
        assert first.token != second.token
        stolen = httpx.get(
            f"{second.url}/api/v1/namespaces",
            headers={"Authorization": f"Bearer {first.token}"},
            verify=second.ssl_context(),
        )
        assert stolen.status_code == 401
    finally:
        first.stop()
        second.stop()


def test_audit_log_records_each_write_with_its_final_name(
    cluster: RunningCluster, namespace: str
) -> None:
    with cluster.http() as api:
        created = api.post(
            f"/api/v1/namespaces/{namespace}/configmaps",
            json={
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"generateName": "audit-"},
                "data": {"a": "1"},
            },
        ).json()
        name = created["metadata"]["name"]
        api.patch(
            f"/api/v1/namespaces/{namespace}/configmaps/{name}?fieldManager=auditor",
            content=b'{"data":{"a":"2"}}',
            headers={"Content-Type": "application/merge-patch+json"},
        ).raise_for_status()
        api.delete(f"/api/v1/namespaces/{namespace}/configmaps/{name}").raise_for_status()
        api.get(f"/api/v1/namespaces/{namespace}/configmaps")  # reads are not audited
    events = [
        json.loads(line)
        for line in cluster.audit_log.read_text().splitlines()
        if f"/namespaces/{namespace}/configmaps" in line
    ]
    assert [e["verb"] for e in events] == ["create", "patch", "delete"]
    for event in events:
        assert event["kind"] == "Event" and event["apiVersion"] == "audit.k8s.io/v1"
        assert event["level"] == "Metadata" and event["stage"] == "ResponseComplete"
        assert event["objectRef"]["name"] == name
        assert event["objectRef"]["namespace"] == namespace
        assert event["objectRef"]["resource"] == "configmaps"
        assert event["objectRef"]["apiVersion"] == "v1"
        assert event["requestReceivedTimestamp"] <= event["stageTimestamp"]
    assert events[1]["requestURI"].endswith("?fieldManager=auditor")
    assert events[0]["responseStatus"]["code"] == 201


def test_plain_http_mode_still_requires_the_token(tmp_path: Path) -> None:
    cluster = start_cluster(tmp_path, "plain", tls=False)
    try:
        assert cluster.url.startswith("http://")
        assert httpx.get(f"{cluster.url}/api/v1/namespaces").status_code == 401
        with cluster.http() as api:
            assert api.get("/api/v1/namespaces").status_code == 200
    finally:
        cluster.stop()


def test_taken_port_is_one_clear_line(cluster: RunningCluster, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gitferry",
            "cluster",
            "serve",
            "--name",
            "clash",
            "--port",
            str(cluster.port),
            "--data",
            str(tmp_path / "clash"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: 127.0.0.1:{cluster.port}: cannot listen (Address already in use); "
        "choose another --port"
    ]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "clash" / "cluster.db").exists(), "nothing is created on failure"


def test_unwritable_data_directory_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gitferry",
            "cluster",
            "serve",
            "--name",
            "x",
            "--port",
            str(free_port()),
            "--data",
            str(blocker / "data"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "data directory is not writable" in result.stderr
