"""ApplicationSet benchmark: a git directories generator over 5,000 directories, rendered with
fasttemplate (target under 1 s) and with goTemplate (target under 3 s). The baseline, measured
in the same run, is the raw listing of the same tree (what any generator must pay).

    .venv/bin/python bench/appset_bench.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gitferry.appset import generate
from gitferry.source import snapshots
from gitferry.source.repositories import Repositories

COUNT = 5000
RUNS = 5


def _tree(root: Path) -> None:
    for i in range(COUNT):
        directory = root / "apps" / f"team-{i % 50:02d}" / f"service_{i:04d}"
        directory.mkdir(parents=True)
        (directory / "kustomization.yaml").write_text("resources: [deployment.yaml]\n")


def _appset(repo: Path, go: bool) -> dict[str, Any]:
    if go:
        path, base, team = (
            "{{ .path.path }}",
            "{{ .path.basenameNormalized }}",
            "{{ index .path.segments 1 }}",
        )
    else:
        path, base, team = "{{path}}", "{{path.basenameNormalized}}", "{{path[1]}}"
    return {
        "metadata": {"name": "services", "namespace": "argocd"},
        "spec": {
            "goTemplate": go,
            "generators": [
                {
                    "git": {
                        "repoURL": str(repo),
                        "revision": "HEAD",
                        "directories": [{"path": "apps/*/*"}],
                    }
                }
            ],
            "template": {
                "metadata": {
                    "name": f"{team}-{base}",
                    "labels": {"team": team, "service": base, "tier": "backend"},
                    "annotations": {"argocd.argoproj.io/sync-wave": "10"},
                },
                "spec": {
                    "project": team,
                    "source": {"repoURL": str(repo), "targetRevision": "HEAD", "path": path},
                    "destination": {"server": "https://kubernetes.default.svc", "namespace": base},
                    "syncPolicy": {
                        "automated": {"prune": True, "selfHeal": True},
                        "syncOptions": ["CreateNamespace=true", "ApplyOutOfSyncOnly=true"],
                    },
                },
            },
        },
    }


def _median(fn: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(RUNS):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        repo = root / "repo"
        _tree(repo)
        listing, paths = _median(lambda: snapshots.list_directory(repo))
        print(f"baseline: raw listing of {len(paths)} files: {listing * 1000:.0f} ms")
        ok = True
        for go, target in ((False, 1.0), (True, 3.0)):
            appset = _appset(repo, go)

            def run(appset: dict[str, Any] = appset) -> generate.Generated:
                reader = Repositories(root / "cache")  # fresh: no cache between runs
                return asyncio.run(generate.generate(appset, git=reader))

            seconds, result = _median(run)
            assert len(result.applications) == COUNT and not result.invalid, result.invalid[:3]
            engine = "goTemplate" if go else "fasttemplate"
            print(
                f"{engine}: {COUNT} applications in {seconds * 1000:.0f} ms "
                f"({seconds / COUNT * 1e6:.0f} us each), {seconds / listing:.1f}x the raw listing; "
                f"target < {target:g} s: {'ok' if seconds < target else 'MISSED'}"
            )
            ok = ok and seconds < target
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
