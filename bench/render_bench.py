"""Render benchmark (issue 3): a directory app of 1,000 manifests rendered cold and warm
(target under 300 ms warm), the same files as a Kustomize app, and `kubectl kustomize` of
them as the baseline measured in the same run.

    .venv/bin/python bench/render_bench.py
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from gitferry.model.application import Application
from gitferry.render import kustomize, renderer
from gitferry.render.options import RenderOptions

URL = "https://git.example/bench.git"
COUNT = 1000


@dataclass(frozen=True)
class _Resolved:
    sha: str
    from_cache: bool = True


class _Provider:
    def __init__(self, root: Path) -> None:
        self.root = root

    async def resolve(self, url: str, revision: str) -> _Resolved:
        return _Resolved("0" * 40)

    async def snapshot(self, url: str, sha: str) -> Path:
        return self.root

    async def chart(self, url: str, chart: str, version: str) -> Path:
        raise NotImplementedError


def _manifest(i: int) -> str:
    kind = ("ConfigMap", "Service", "Deployment")[i % 3]
    body = {
        "ConfigMap": f"data:\n  key: value-{i}\n  other: '{i}'\n",
        "Service": f"spec:\n  selector:\n    app: web-{i}\n  ports:\n  - port: 80\n",
        "Deployment": (
            f"spec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web-{i}\n"
            f"  template:\n    metadata:\n      labels:\n        app: web-{i}\n    spec:\n"
            f"      containers:\n      - name: web\n        image: nginx:1.27\n"
            f"        ports:\n        - containerPort: 80\n"
        ),
    }[kind]
    api = "apps/v1" if kind == "Deployment" else "v1"
    return (
        f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: item-{i}\n"
        f"  labels:\n    app: web-{i}\n    tier: bench\n{body}"
    )


def _write(root: Path) -> None:
    app = root / "app"
    app.mkdir(parents=True)
    for i in range(COUNT):
        (app / f"m{i:04d}.yaml").write_text(_manifest(i))
    kust = root / "kust"
    kust.mkdir()
    lines = ["resources:"]
    for i in range(COUNT):
        (kust / f"m{i:04d}.yaml").write_text(_manifest(i))
        lines.append(f"- m{i:04d}.yaml")
    (kust / "kustomization.yaml").write_text("\n".join(lines) + "\n")


def _app(path: str) -> Application:
    return Application.parse(
        {
            "metadata": {"name": "bench", "namespace": "argocd"},
            "spec": {
                "destination": {"server": "https://kubernetes.default.svc", "namespace": "b"},
                "source": {"repoURL": URL, "path": path},
            },
        }
    )


def _timed(runs: int, fn: object) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write(root)
        provider = _Provider(root)
        engine = renderer.Renderer()
        options = RenderOptions()
        rows = []
        for path, label in (("app", "directory"), ("kust", "kustomize")):
            app = _app(path)

            def cold(app: Application = app) -> None:
                engine.cache.clear()
                result = asyncio.run(engine.render_app(app, provider, options))
                assert len(result.manifests) == COUNT

            def warm(app: Application = app) -> None:
                result = asyncio.run(engine.render_app(app, provider, options))
                assert len(result.manifests) == COUNT

            rows.append((f"gitferry {label} cold", _timed(5, cold)))
            rows.append((f"gitferry {label} warm (cache hit)", _timed(20, warm)))
        argv = kustomize.command(())
        rows.append(
            (
                "kubectl kustomize (baseline)",
                _timed(
                    5,
                    lambda: subprocess.run(
                        [*argv, str(root / "kust")], check=True, capture_output=True
                    ),
                ),
            )
        )
        engine.close()
    baseline = statistics.median(rows[-1][1])
    print(f"{COUNT} manifests, python {sys.version.split()[0]}")
    for label, times in rows:
        median = statistics.median(times)
        print(
            f"{label:38s} median {median:8.1f} ms  min {min(times):8.1f} ms  "
            f"x{median / baseline:5.2f} of kubectl kustomize"
        )


if __name__ == "__main__":
    main()
