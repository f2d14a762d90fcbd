"""kill -9 in the middle of a write burst loses no acknowledged write and corrupts nothing."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest

from gitferry.testing.cluster import start_cluster

pytestmark = pytest.mark.e2e


def test_kill_during_write_burst_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    cluster = start_cluster(tmp_path, "crash", speed=0.0)
    with cluster.http() as api:
        api.post(
            "/api/v1/namespaces",
            json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "burst"}},
        )
    acknowledged: list[set[str]] = [set() for _ in range(4)]
    stop = threading.Event()

    def writer(index: int) -> None:
        with cluster.http(timeout=5) as client:
            n = 0
            while not stop.is_set():
                name = f"w{index}-{n}"
                try:
                    response = client.post(
                        "/api/v1/namespaces/burst/configmaps",
                        json={
                            "apiVersion": "v1",
                            "kind": "ConfigMap",
                            "metadata": {"name": name},
                            "data": {"n": str(n)},
                        },
                    )
                except httpx.HTTPError:
                    return  # the server died mid-request: this write was never acknowledged
                if response.status_code == 201:
                    acknowledged[index].add(name)
                n += 1

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    cluster.stop(kill=True)
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    written = set().union(*acknowledged)
    assert len(written) > 50, "the burst did not get going"

    database = sqlite3.connect(cluster.data_dir / "cluster.db")
    assert database.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    database.close()

    cluster.start()
    try:
        with cluster.http() as api:
            listed = api.get("/api/v1/namespaces/burst/configmaps").json()
        stored = {item["metadata"]["name"] for item in listed["items"]}
        assert written <= stored, f"lost {len(written - stored)} acknowledged writes"
        versions = [int(item["metadata"]["resourceVersion"]) for item in listed["items"]]
        assert len(set(versions)) == len(versions), "resourceVersions must stay unique"
        assert int(listed["metadata"]["resourceVersion"]) >= max(versions)
    finally:
        cluster.stop()
