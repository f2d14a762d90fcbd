"""`gitferry up` benchmark (issue 7): from an empty workdir to everything Synced and Healthy
(target under 30 s on this machine), and a restart of the same workdir (target under 10 s).

    .venv/bin/python bench/up_bench.py [--speed 1]

Runs `gitferry up` as a user would (a subprocess, realistic workload speed 1 by default) and
polls `gitferry app list -o json` until every application is Synced and Healthy. Baseline in
the same run: starting one embedded cluster until it answers, i.e. the floor of any start;
the ratios show what the whole platform (five clusters, scaffolding, the controller, fifteen
applications) costs in units of that floor.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gitferry.testing.cluster import start_cluster

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "cli" / "platform"))
from test_up import EXPECTED_APPS, free_base_port  # noqa: E402


def one_cluster(tmp: Path) -> float:
    started = time.monotonic()
    cluster = start_cluster(tmp / "baseline")
    elapsed = time.monotonic() - started
    cluster.stop()
    return elapsed


def converged(env: dict[str, str]) -> bool:
    result = subprocess.run(
        [sys.executable, "-m", "gitferry", "app", "list", "-o", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    if result.returncode != 0:
        return False
    apps = json.loads(result.stdout)
    names = {app["metadata"]["name"] for app in apps}
    return names == EXPECTED_APPS and all(
        ((app.get("status") or {}).get("sync") or {}).get("status") == "Synced"
        and ((app.get("status") or {}).get("health") or {}).get("status") == "Healthy"
        for app in apps
    )


def run_up(workdir: Path, port: int, speed: float) -> tuple[float, subprocess.Popen[bytes]]:
    env = {**os.environ, "GITFERRY_CONFIG": str(workdir / "config.yaml")}
    started = time.monotonic()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gitferry",
            "up",
            "--workdir",
            str(workdir),
            "--port",
            str(port),
            "--speed",
            f"{speed:g}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while not converged(env):
        if process.poll() is not None:
            raise SystemExit(f"gitferry up exited with {process.returncode}")
        if time.monotonic() - started > 600:
            raise SystemExit("not converged within 600 s")
        time.sleep(0.25)
    return time.monotonic() - started, process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    process.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--speed", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        baseline = one_cluster(tmp)
        port = free_base_port()
        fresh, process = run_up(tmp / "platform", port, args.speed)
        stop(process)
        restart, process = run_up(tmp / "platform", port, args.speed)
        stop(process)
    print(f"baseline: one embedded cluster answers in {baseline:.2f} s")
    print(
        f"fresh workdir -> {len(EXPECTED_APPS)} apps Synced+Healthy: {fresh:.1f} s "
        f"(target < 30 s; {fresh / baseline:.1f}x baseline)"
    )
    print(
        f"restart -> all Synced+Healthy: {restart:.1f} s "
        f"(target < 10 s; {restart / baseline:.1f}x baseline)"
    )


if __name__ == "__main__":
    main()
