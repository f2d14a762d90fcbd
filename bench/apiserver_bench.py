"""Benchmarks of the embedded cluster (issue 2's performance targets).

    .venv/bin/python bench/apiserver_bench.py [--objects 10000] [--clients 8]

Prints, for a fresh `gitferry cluster serve` process:
- server-side apply of N ConfigMaps from C concurrent keep-alive clients: objects/s
  (target >= 1,500/s), and the same workload through `kubectl apply --server-side` as a ratio
  measured in the same run (kubectl sends one PATCH per object from one process);
- list of N objects: milliseconds (target < 200 ms), with the ratio to a plain `/version`
  round trip as the baseline;
- watch event delivery after a write: p50/p99 milliseconds (target p99 < 20 ms);
- start-up with 100,000 stored objects: seconds (target < 5 s), with the ratio to an empty
  start-up.

The load generator speaks raw HTTP/1.1 over asyncio streams so that the client's own CPU
cost (on the same two cores) stays small next to the server's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import orjson
import yaml

from gitferry.testing.cluster import RunningCluster, find_kubectl, start_cluster


class Connection:
    """One keep-alive HTTP/1.1 connection with a bearer token."""

    def __init__(self, cluster: RunningCluster) -> None:
        self.port = cluster.port
        self.token = cluster.token
        self.ssl = cluster.ssl_context()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(
            "127.0.0.1", self.port, ssl=self.ssl
        )

    async def request(
        self, method: str, path: str, body: bytes = b"", content_type: str = "application/json"
    ) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {self.token}"
            f"\r\nUser-Agent: bench/1.0\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        chunked = False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "transfer-encoding" and "chunked" in value:
                chunked = True
        if chunked:
            data = b""
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                if size == 0:
                    await self.reader.readline()
                    break
                data += await self.reader.readexactly(size)
                await self.reader.readline()
            return status, data
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


NAMESPACES = "\n---\n".join(
    f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}}}"
    for name in ("bench", "bench-kubectl", "watch")
)


def configmap(namespace: str, index: int) -> bytes:
    return orjson.dumps(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": f"cm-{index:06d}",
                "namespace": namespace,
                "labels": {"bench": "yes", "shard": str(index % 10)},
            },
            "data": {f"key{k}": f"value-{index}-{k}" for k in range(5)},
        }
    )


async def apply_all(cluster: RunningCluster, namespace: str, count: int, clients: int) -> float:
    """Server-side apply `count` ConfigMaps from `clients` connections; objects per second."""
    connections = [Connection(cluster) for _ in range(clients)]
    await asyncio.gather(*(c.open() for c in connections))
    queue = list(range(count))

    async def worker(conn: Connection) -> None:
        while queue:
            index = queue.pop()
            status, body = await conn.request(
                "PATCH",
                f"/api/v1/namespaces/{namespace}/configmaps/cm-{index:06d}"
                "?fieldManager=bench&force=true",
                configmap(namespace, index),
                "application/apply-patch+yaml",
            )
            if status not in (200, 201):
                raise RuntimeError(f"apply failed: {status} {body[:200]!r}")

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    elapsed = time.perf_counter() - started
    for conn in connections:
        conn.close()
    return count / elapsed


def kubectl_apply_rate(cluster: RunningCluster, namespace: str, count: int) -> float:
    """`kubectl apply --server-side` of `count` ConfigMaps in one file; objects per second."""
    # A YAML stream rather than a `kind: List` (kubectl validates Lists against
    # /openapi/v2, which only protobuf clients can read; see the README's limits).
    with tempfile.NamedTemporaryFile("wb", suffix=".yaml", delete=False) as handle:
        docs = (orjson.loads(configmap(namespace, i)) for i in range(count))
        handle.write(yaml.safe_dump_all(docs).encode())
        path = handle.name
    started = time.perf_counter()
    cluster.kubectl(
        "apply", "--server-side", "--field-manager=bench-kubectl", "-f", path, timeout=1800
    )
    elapsed = time.perf_counter() - started
    os.unlink(path)
    return count / elapsed


async def list_timing(
    cluster: RunningCluster, namespace: str, rounds: int = 5
) -> tuple[float, float]:
    conn = Connection(cluster)
    await conn.open()
    lists, versions = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        status, body = await conn.request("GET", f"/api/v1/namespaces/{namespace}/configmaps")
        lists.append(time.perf_counter() - started)
        assert status == 200 and body.count(b'"kind":"ConfigMap"') >= 1
        started = time.perf_counter()
        await conn.request("GET", "/version")
        versions.append(time.perf_counter() - started)
    conn.close()
    return statistics.median(lists) * 1000, statistics.median(versions) * 1000


async def watch_latency(cluster: RunningCluster, namespace: str, samples: int = 200) -> list[float]:
    """Milliseconds from sending a write to receiving its watch event."""
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", cluster.port, ssl=cluster.ssl_context()
    )
    writer.write(
        f"GET /api/v1/namespaces/{namespace}/configmaps?watch=true&resourceVersion=0&"
        f"fieldSelector=metadata.name%3Dwatched HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {cluster.token}\r\n\r\n".encode()
    )
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    writer_conn = Connection(cluster)
    await writer_conn.open()
    latencies = []
    for i in range(samples):
        body = orjson.dumps(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "watched", "namespace": namespace},
                "data": {"i": str(i)},
            }
        )
        sent = time.perf_counter()
        send = asyncio.ensure_future(
            writer_conn.request(
                "PATCH",
                f"/api/v1/namespaces/{namespace}/configmaps/watched?fieldManager=w",
                body,
                "application/apply-patch+yaml",
            )
        )
        while True:
            size = int((await reader.readline()).strip(), 16)
            chunk = await reader.readexactly(size)
            await reader.readline()
            if f'"i":"{i}"'.encode() in chunk:
                break
        latencies.append((time.perf_counter() - sent) * 1000)
        await send
    writer.close()
    writer_conn.close()
    return latencies


def seed_database(data_dir: Path, count: int) -> None:
    """Write `count` ConfigMaps straight into a cluster database (for the start-up test)."""
    db = sqlite3.connect(data_dir / "cluster.db")
    rows = []
    for i in range(count):
        obj = orjson.loads(configmap("seeded", i))
        obj["metadata"].update(
            uid=f"00000000-0000-0000-0000-{i:012d}",
            resourceVersion=str(1000 + i),
            creationTimestamp="2026-01-01T00:00:00Z",
        )
        rows.append(("configmaps", "seeded", obj["metadata"]["name"], 1000 + i, orjson.dumps(obj)))
    db.executemany("INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?)", rows)
    db.execute("UPDATE counters SET value = ? WHERE name = 'resourceVersion'", (1000 + count,))
    db.commit()
    db.close()


def startup_seconds(cluster: RunningCluster) -> float:
    cluster.stop()
    started = time.perf_counter()
    cluster.start(timeout=120)
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--kubectl-objects", type=int, default=1_000)
    parser.add_argument("--startup-objects", type=int, default=100_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="gitferry-bench-"))
    cluster = start_cluster(workdir, "bench", speed=1.0)
    try:
        if not find_kubectl():
            raise SystemExit("kubectl is needed for the comparison run")
        cluster.kubectl("apply", "-f", "-", input=NAMESPACES)
        rate = await apply_all(cluster, "bench", args.objects, args.clients)
        print(
            f"server-side apply, {args.objects} ConfigMaps, {args.clients} clients: "
            f"{rate:,.0f} objects/s (target >= 1,500/s)"
        )
        kubectl_rate = kubectl_apply_rate(cluster, "bench-kubectl", args.kubectl_objects)
        print(
            f"kubectl apply --server-side, {args.kubectl_objects} ConfigMaps: "
            f"{kubectl_rate:,.0f} objects/s; gitferry clients / kubectl = "
            f"{rate / kubectl_rate:.1f}x"
        )
        list_ms, version_ms = await list_timing(cluster, "bench")
        print(
            f"list of {args.objects} ConfigMaps: {list_ms:.0f} ms (target < 200 ms); "
            f"/version round trip {version_ms:.2f} ms; ratio {list_ms / version_ms:.0f}x"
        )
        latencies = sorted(await watch_latency(cluster, "watch"))
        p50 = latencies[len(latencies) // 2]
        p99 = latencies[int(len(latencies) * 0.99) - 1]
        print(
            f"watch delivery after a write: p50 {p50:.1f} ms, p99 {p99:.1f} ms (target p99 < 20 ms)"
        )
        empty_start = startup_seconds(cluster)
        cluster.stop()
        seed_database(cluster.data_dir, args.startup_objects)
        seeded_start = startup_seconds(cluster)
        print(
            f"start-up with {args.startup_objects:,} more stored objects: {seeded_start:.2f} s "
            f"(target < 5 s); start-up before seeding {empty_start:.2f} s; ratio "
            f"{seeded_start / empty_start:.1f}x"
        )
    finally:
        cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
