"""Controller benchmarks (issue 4).

    .venv/bin/python bench/controller_bench.py cnoe [--apps 5000]
    .venv/bin/python bench/controller_bench.py flux [--apps 1000]

`cnoe`: the CNOE workload (each Application is one ConfigMap in its own namespace). Measures
from "all created" to "all Synced and Healthy" and prints applications per second per core
(anchor: Argo CD 1.6 to 2.4 per vCPU; target at least 25 per core). Then the steady state
with every app synced: the controller's CPU while idle (target under 5% of one core) and the
time from a commit plus a refresh call to the change being live (target under 2 s).

`flux`: Flux's workload (1,000 Applications of a Deployment scaled to 0, a ServiceAccount, a
Service and an Ingress): total time (anchor: Flux 4 min 13 s on 2 CPUs; target under 60 s)
and the controller's peak memory (anchor 223 MiB; target under 400 MiB).

Baseline in the same run: server-side applying exactly the same objects straight to the
same cluster with the same concurrency, i.e. the floor any controller pays; the ratio shows
what the controller adds (rendering, comparison, status writes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from gitferry.cluster import connect
from gitferry.cluster.client import KubeClient
from gitferry.controller import install
from gitferry.testing.cluster import RunningCluster, start_cluster
from gitferry.testing.git import GitRepo
from gitferry.testing.platform import Controller

CORES = os.cpu_count() or 1


def cnoe_files(i: int) -> dict[str, str]:
    return {
        f"apps/app-{i}/cm.yaml": yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "payload"},
                "data": {"index": str(i)},
            }
        )
    }


def flux_files(i: int) -> dict[str, str]:
    labels = {"app": f"podinfo-{i}"}
    docs = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "podinfo"}},
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "podinfo"},
            "spec": {"selector": labels, "ports": [{"port": 9898}]},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "podinfo"},
            "spec": {
                "replicas": 0,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "serviceAccountName": "podinfo",
                        "containers": [{"name": "podinfo", "image": "stefanprodan/podinfo:6.5"}],
                    },
                },
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "podinfo"},
            "spec": {
                "rules": [
                    {
                        "host": f"podinfo-{i}.example",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {
                                        "service": {"name": "podinfo", "port": {"number": 9898}}
                                    },
                                }
                            ]
                        },
                    }
                ]
            },
        },
    ]
    return {f"apps/app-{i}/podinfo.yaml": yaml.safe_dump_all(docs)}


def application(repo: str, i: int) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": f"app-{i}", "namespace": "argocd"},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo, "path": f"apps/app-{i}", "targetRevision": "main"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": f"ns-{i}"},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": ["CreateNamespace=true"],
            },
        },
    }


async def apply_all(client: KubeClient, objects: list[dict[str, Any]], manager: str) -> float:
    limit = asyncio.Semaphore(16)

    async def one(obj: dict[str, Any]) -> None:
        async with limit:
            await client.apply(obj, manager=manager, force=True)

    started = time.perf_counter()
    await asyncio.gather(*(one(o) for o in objects))
    return time.perf_counter() - started


async def count_ready(client: KubeClient) -> tuple[int, int]:
    items, _ = await client.list("argoproj.io/v1alpha1", "Application", "argocd")
    ready = sum(
        1
        for a in items
        if (a.get("status") or {}).get("sync", {}).get("status") == "Synced"
        and (a.get("status") or {}).get("health", {}).get("status") == "Healthy"
        and not a.get("operation")
    )
    return ready, len(items)


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


async def baseline(cluster: RunningCluster, files: dict[str, str], count: int) -> float:
    """Apply the same objects directly (namespaces first), in fresh namespaces."""
    objects: list[dict[str, Any]] = []
    for i in range(count):
        objects.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"base-{i}"}})
    payload: list[dict[str, Any]] = []
    for path, text in files.items():
        index = int(path.split("/")[1].split("-")[1])
        for doc in yaml.safe_load_all(text):
            doc["metadata"]["namespace"] = f"base-{index}"
            payload.append(doc)
    async with KubeClient(connect.from_kubeconfig(cluster.kubeconfig)) as client:
        first = await apply_all(client, objects, "baseline")
        second = await apply_all(client, payload, "baseline")
    return first + second


async def run(kind: str, count: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix=f"gitferry-{kind}-"))
    cluster = start_cluster(workdir, "bench", speed=0.0)
    # The controller's defaults: 120 s (plus jitter) between periodic refreshes, 2 s waves.
    controller = Controller(
        cluster, workdir / "controller", reconciliation_timeout=None, wave_delay=2.0
    )
    (workdir / "controller").mkdir()
    try:
        make = cnoe_files if kind == "cnoe" else flux_files
        files: dict[str, str] = {}
        for i in range(count):
            files.update(make(i))
        repo = GitRepo.create(workdir / "repo")
        repo.commit(files)
        target = connect.from_kubeconfig(cluster.kubeconfig)
        async with KubeClient(target) as client:
            await install.install(client, "argocd")
            floor = await baseline(cluster, files, count)
            await apply_all(client, [application(repo.url, i) for i in range(count)], "bench")
            controller.start()
            assert controller.process is not None
            pid = controller.process.pid
            started = time.perf_counter()
            ready = 0
            while True:
                await asyncio.sleep(1.0)
                ready, total = await count_ready(client)
                if ready == total == count:
                    break
                if time.perf_counter() - started > 3600:
                    raise SystemExit(f"gave up: {ready}/{count} ready")
            elapsed = time.perf_counter() - started
            peak = proc_peak_rss(pid)
            print(
                f"{kind}: {count} applications created -> all Synced and Healthy in "
                f"{elapsed:.1f} s: {count / elapsed:.1f} apps/s, "
                f"{count / elapsed / CORES:.1f} apps/s per core ({CORES} cores); "
                f"controller peak memory {peak / 2**20:.0f} MiB"
            )
            print(
                f"  baseline (the same objects applied directly): {floor:.1f} s; "
                f"controller / baseline = {elapsed / floor:.1f}x"
            )
            if kind == "cnoe":
                await steady_state(client, controller, repo, pid)
    finally:
        controller.stop()
        cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)


async def steady_state(client: KubeClient, controller: Controller, repo: GitRepo, pid: int) -> None:
    await asyncio.sleep(5)
    # One full reconciliation cycle (120 s plus up to 60 s of jitter): every app is refreshed
    # once inside the window.
    before, t0 = proc_cpu(pid), time.perf_counter()
    await asyncio.sleep(180)
    idle = (proc_cpu(pid) - before) / (time.perf_counter() - t0)
    print(
        f"  steady state, all synced, over a full 180 s reconciliation cycle: controller CPU "
        f"{idle * 100:.1f}% of one core (target < 5%)"
    )
    repo.commit(
        {
            "apps/app-0/cm.yaml": yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "payload"},
                    "data": {"index": "changed"},
                }
            )
        }
    )
    started = time.perf_counter()
    await client.patch(
        "argoproj.io/v1alpha1",
        "Application",
        "argocd",
        "app-0",
        {"metadata": {"annotations": {"argocd.argoproj.io/refresh": "normal"}}},
    )
    while True:
        live = await client.get("v1", "ConfigMap", "ns-0", "payload")
        if live and live["data"]["index"] == "changed":
            break
        await asyncio.sleep(0.02)
    print(
        f"  commit + refresh call -> live in the cluster: "
        f"{time.perf_counter() - started:.2f} s (target < 2 s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=["cnoe", "flux"])
    parser.add_argument("--apps", type=int)
    args = parser.parse_args()
    count = args.apps or (5000 if args.workload == "cnoe" else 1000)
    asyncio.run(run(args.workload, count))


if __name__ == "__main__":
    main()
