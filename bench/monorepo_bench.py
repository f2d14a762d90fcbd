"""1,000 applications over one monorepo at one revision (issue 3's target: one fetch; all
rendered in under 10 s cold; the second pass, from the manifest cache, under 1 s).

    .venv/bin/python bench/monorepo_bench.py [--apps 1000]

Baseline in the same run: parsing the same YAML files directly with PyYAML's C loader (the
floor any renderer must pay), so the printed ratios show the cost of everything else (Git,
snapshots, type detection, tracking, normalisation).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
from pathlib import Path

import yaml

from gitferry.model.application import Application
from gitferry.render.renderer import Renderer
from gitferry.source.repositories import Repositories
from gitferry.testing.git import GitCallRecorder, GitRepo

MANIFESTS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: svc-{i}, labels: {{app: svc-{i}}}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: svc-{i}}}}}
  template:
    metadata: {{labels: {{app: svc-{i}}}}}
    spec: {{containers: [{{name: app, image: "example/svc:{i}"}}]}}
---
apiVersion: v1
kind: Service
metadata: {{name: svc-{i}}}
spec: {{selector: {{app: svc-{i}}}, ports: [{{port: 80}}]}}
"""


def application(url: str, index: int) -> Application:
    return Application.parse(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": f"svc-{index}", "namespace": "argocd"},
            "spec": {
                "project": "default",
                "source": {"repoURL": url, "path": f"apps/svc-{index}", "targetRevision": "main"},
                "destination": {"server": "https://kubernetes.default.svc", "namespace": "x"},
            },
        }
    )


async def render_all(renderer: Renderer, repos: Repositories, apps: list[Application]) -> float:
    started = time.perf_counter()
    results = await asyncio.gather(*(renderer.render_app(app, repos) for app in apps))
    assert all(len(result.manifests) == 2 for result in results)
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, default=1000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="gitferry-monorepo-"))
    repo = GitRepo.create(root / "repo")
    repo.commit({f"apps/svc-{i}/manifests.yaml": MANIFESTS.format(i=i) for i in range(args.apps)})
    apps = [application(repo.url, i) for i in range(args.apps)]

    started = time.perf_counter()
    for i in range(args.apps):
        path = repo.work / f"apps/svc-{i}/manifests.yaml"
        list(yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader))
    baseline = time.perf_counter() - started

    recorder = GitCallRecorder(root / "shim")
    os.environ["PATH"] = f"{recorder.bin}{os.pathsep}{os.environ['PATH']}"
    repos = Repositories(root / "cache")
    renderer = Renderer()
    try:
        cold = await render_all(renderer, repos, apps)
        fetches = recorder.count("fetch")
        warm = await render_all(renderer, repos, apps)
    finally:
        renderer.close()
        shutil.rmtree(root, ignore_errors=True)
    print(f"{args.apps} apps, one monorepo, one revision: git fetches {fetches} (target 1)")
    print(
        f"cold render of all: {cold:.2f} s (target < 10 s); {cold / baseline:.1f}x the "
        f"plain YAML parse of the same files ({baseline * 1000:.0f} ms)"
    )
    print(
        f"second pass, from cache: {warm * 1000:.0f} ms (target < 1 s); "
        f"{warm / baseline:.1f}x the plain YAML parse"
    )


if __name__ == "__main__":
    asyncio.run(main())
