"""An embedded cluster in a child process, for tests (gitferry's own and users').

`start_cluster` runs `gitferry cluster serve` exactly as a user would, on a free port, waits
until it answers, and returns a handle with its kubeconfig and a `kubectl` runner that uses a
private discovery cache (kubectl's default cache is keyed by host and port and goes stale
across test runs). The handle can kill the process (`kill -9` for crash tests) and start it
again on the same data.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import httpx

_VERSIONED_KUBECTL = Path("/usr/lib/google-cloud-sdk/bin/kubectl.1.32")


def find_kubectl() -> str | None:
    """The kubectl to drive: the 1.32 build when the image has it, else any on PATH."""
    if _VERSIONED_KUBECTL.exists():
        return str(_VERSIONED_KUBECTL)
    return shutil.which("kubectl")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningCluster:
    """A `gitferry cluster serve` child process and how to reach it."""

    name: str
    port: int
    data_dir: Path
    kubeconfig: Path
    audit_log: Path
    speed: float
    tls: bool = True
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(default_factory=Path)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def token(self) -> str:
        return (self.data_dir / "token").read_text().strip()

    @property
    def ca_file(self) -> Path:
        """The cluster's CA certificate (what the kubeconfig carries), for HTTPS clients."""
        return self.data_dir / "tls" / "ca.crt"

    def ssl_context(self) -> ssl.SSLContext | None:
        return ssl.create_default_context(cafile=str(self.ca_file)) if self.tls else None

    def http(self, *, timeout: float = 30.0) -> httpx.Client:
        """An HTTP client for the raw API, authenticated and verifying the cluster's CA."""
        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {self.token}"},
            verify=self.ssl_context() or True,
            timeout=timeout,
        )

    def start(self, timeout: float = 30.0) -> None:
        command = [
            sys.executable,
            "-m",
            "gitferry",
            "cluster",
            "serve",
            "--name",
            self.name,
            "--port",
            str(self.port),
            "--data",
            str(self.data_dir),
            "--kubeconfig-out",
            str(self.kubeconfig),
            "--audit-log",
            str(self.audit_log),
            "--speed",
            str(self.speed),
        ]
        command.append("--tls" if self.tls else "--plain-http")
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"cluster {self.name} exited at start-up:\n{self.log_path.read_text()}"
                )
            if self._ready():
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"cluster {self.name} did not answer within {timeout} s")

    def _ready(self) -> bool:
        if self.tls and not self.ca_file.exists():
            return False
        try:
            with urllib.request.urlopen(
                f"{self.url}/readyz", timeout=1, context=self.ssl_context()
            ) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self, *, kill: bool = False) -> None:
        """Stop the process: SIGINT and wait (clean), or SIGKILL (a crash)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGINT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run the real kubectl against this cluster."""
        binary = find_kubectl()
        if binary is None:
            raise RuntimeError("kubectl is not installed")
        env = {**os.environ, "KUBECACHEDIR": str(self.data_dir.parent / f"{self.name}-kubecache")}
        result = subprocess.run(
            [binary, "--kubeconfig", str(self.kubeconfig), *args],
            input=input,
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result


def start_cluster(
    workdir: Path, name: str = "test", *, speed: float = 0.0, tls: bool = True
) -> RunningCluster:
    """Start an embedded cluster whose files live under `workdir`."""
    workdir.mkdir(parents=True, exist_ok=True)
    cluster = RunningCluster(
        name=name,
        port=free_port(),
        data_dir=workdir / name,
        kubeconfig=workdir / f"{name}.kubeconfig",
        audit_log=workdir / f"{name}-audit.log",
        speed=speed,
        tls=tls,
        log_path=workdir / f"{name}.log",
    )
    cluster.start()
    return cluster
