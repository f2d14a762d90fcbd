"""`gitferry up` end to end, as a user runs it: a subprocess in a fresh workdir converges,
a push to config-repo goes live, Ctrl-C stops everything, and a second run resumes with
nothing lost. Plus the clear refusals that create nothing."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitferry.cli.platform.layout import CLUSTERS, Workdir
from gitferry.testing.cluster import find_kubectl

pytestmark = pytest.mark.e2e

EXPECTED_APPS = {
    "platform-app-of-apps",
    *(f"{env}-platform-services" for env in ("development", "staging", "production")),
    *(f"greeter-{env}" for env in ("development", "staging", "production")),
    *(
        f"{component}-{cluster}"
        for component in ("infrastructure", "policies")
        for cluster in ("development", "staging", "production", "disaster-recovery")
    ),
}


def free_base_port() -> int:
    """The first of five consecutive free ports."""
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            base = int(sock.getsockname()[1])
        if base + len(CLUSTERS) < 65000 and all(_free(base + i) for i in range(len(CLUSTERS))):
            return base
    raise RuntimeError("no five consecutive free ports")


def _free(port: int) -> bool:
    """Whether a server could listen on `port` now (as servers do, ignoring TIME_WAIT)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Up:
    """A running `gitferry up` subprocess."""

    def __init__(self, workdir: Path, port: int) -> None:
        self.workdir = Workdir(workdir)
        self.port = port
        self.env = {**os.environ, "GITFERRY_CONFIG": str(workdir / "config.yaml")}
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        log = (self.workdir.root.parent / "up.log").open("a")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gitferry",
                "up",
                "--workdir",
                str(self.workdir.root),
                "--port",
                str(self.port),
                "--speed",
                "0",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(60)

    def apps(self) -> list[dict]:
        result = subprocess.run(
            [sys.executable, "-m", "gitferry", "app", "list", "-o", "json"],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=60,
        )
        return json.loads(result.stdout) if result.returncode == 0 else []

    def wait_converged(self, timeout: float) -> list[dict]:
        deadline = time.monotonic() + timeout
        apps: list[dict] = []
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, self.log()
            apps = self.apps()
            names = {a["metadata"]["name"] for a in apps}
            if names == EXPECTED_APPS and all(_ready(a) for a in apps):
                return apps
            time.sleep(1)
        states = {a["metadata"]["name"]: _state(a) for a in apps}
        raise AssertionError(f"not converged after {timeout}s: {states}\n{self.log()}")

    def kubectl(self, context: str, *args: str) -> str:
        kubectl = find_kubectl()
        assert kubectl
        return subprocess.run(
            [
                kubectl,
                "--kubeconfig",
                str(self.workdir.kubeconfig),
                "--context",
                context,
                "--cache-dir",
                str(self.workdir.root.parent / "kubectl-cache"),
                *args,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout

    def log(self) -> str:
        return (self.workdir.root.parent / "up.log").read_text()[-3000:]


def _state(app: dict) -> tuple[str, str]:
    status = app.get("status") or {}
    return (status.get("sync") or {}).get("status", ""), (status.get("health") or {}).get(
        "status", ""
    )


def _ready(app: dict) -> bool:
    return _state(app) == ("Synced", "Healthy")


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    running = Up(tmp_path / "platform", free_base_port())
    yield running
    if running.process is not None and running.process.poll() is None:
        running.process.kill()
        running.process.wait()


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def greeting(up: Up) -> str:
    return up.kubectl(
        "development", "get", "configmap", "greeter", "-n", "greeter", "-o",
        "jsonpath={.data.GREETING}",
    )  # fmt: skip


@pytest.mark.skipif(find_kubectl() is None, reason="kubectl is not installed")
def test_up_converges_goes_live_on_push_and_resumes_after_restart(up: Up):
    up.start()
    up.wait_converged(240)
    assert greeting(up) == "Hello from development"
    assert "greeter" in up.kubectl("production", "get", "deploy", "-n", "greeter", "-o", "name")

    clone = up.workdir.clone("config-repo")
    values = clone / "environments/development/applications/greeter/values.yaml"
    values.write_text(values.read_text().replace("Hello from development", "Hello, pushed"))
    git("commit", "-qam", "say hello differently", cwd=clone)
    pushed = time.monotonic()
    git("push", "-q", cwd=clone)
    while greeting(up) != "Hello, pushed":
        assert time.monotonic() - pushed < 60, up.log()
        time.sleep(0.5)

    assert up.stop() == 0
    assert not up.workdir.pids.exists()
    assert all(_free(up.port + i) for i in range(len(CLUSTERS)))

    up.start()
    apps = up.wait_converged(120)
    assert {a["metadata"]["name"] for a in apps} == EXPECTED_APPS
    assert greeting(up) == "Hello, pushed"
    assert up.stop() == 0


def test_a_taken_port_is_refused_in_one_line_and_nothing_is_created(tmp_path: Path):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = int(blocker.getsockname()[1])
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "gitferry",
                "up",
                "--workdir",
                str(tmp_path / "w"),
                "--port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: port {port} (cluster management) is taken")
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "w").exists()
