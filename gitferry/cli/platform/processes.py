"""The child processes of `gitferry up`: one `gitferry cluster serve` per cluster and one
`gitferry controller`, each with its own log file and its own session (so that Ctrl-C reaches
`gitferry up` alone, which then stops them in order: controller first, clusters last).

Their PIDs are recorded in the workdir; a later `gitferry up` stops processes that an earlier,
killed run left behind before it checks its ports. Called by `up_cmd`.
"""

from __future__ import annotations

import contextlib
import json
import os
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

from gitferry.cli.platform.layout import CLUSTERS, Workdir, cluster_port
from gitferry.model.errors import GitFerryError

_STOP_GRACE = 10.0


class PlatformError(GitFerryError):
    """The platform cannot start: a port is taken, a process died, a cluster never answered."""


@dataclass
class Child:
    """A running child process and where its output goes."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def last_lines(self, count: int = 3) -> str:
        """The end of its log, for an error message."""
        try:
            lines = self.log.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(line.strip() for line in lines[-count:])


@dataclass
class Children:
    """The children of one `gitferry up`, in start order."""

    workdir: Workdir
    started: list[Child] = field(default_factory=list)

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> Child:
        """Start `python -m gitferry args...` with its output in `<workdir>/logs/<name>.log`."""
        log = self.workdir.log(name)
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "gitferry", *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                start_new_session=True,
            )
        child = Child(name, process, log)
        self.started.append(child)
        self._record()
        return child

    def dead(self) -> Child | None:
        """The first child that exited, if any."""
        return next((child for child in self.started if not child.alive()), None)

    def stop(self) -> None:
        """Stop every child, newest first: SIGTERM, then SIGKILL after a grace period."""
        for child in reversed(self.started):
            _terminate(child.process.pid)
            try:
                child.process.wait(_STOP_GRACE)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.process.pid, signal.SIGKILL)
                child.process.wait()
        self.started.clear()
        self.workdir.pids.unlink(missing_ok=True)

    def _record(self) -> None:
        self.workdir.pids.parent.mkdir(parents=True, exist_ok=True)
        self.workdir.pids.write_text(
            json.dumps({child.name: child.process.pid for child in self.started})
        )


def stop_leftovers(workdir: Workdir) -> list[str]:
    """Stop the processes an earlier `gitferry up` of this workdir left running (it was
    killed before it could stop them). Returns their names."""
    try:
        recorded = json.loads(workdir.pids.read_text())
    except (OSError, ValueError):
        return []
    stopped = []
    for name, pid in recorded.items():
        if isinstance(pid, int) and _is_gitferry(pid):
            _terminate(pid)
            deadline = time.monotonic() + _STOP_GRACE
            while _is_gitferry(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _is_gitferry(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
            stopped.append(name)
    workdir.pids.unlink(missing_ok=True)
    return stopped


def check_ports(base: int) -> None:
    """Raise PlatformError naming the first port of the platform that is taken."""
    for cluster in CLUSTERS:
        port = cluster_port(base, cluster)
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                raise PlatformError(
                    f"port {port} (cluster {cluster}) is taken: stop what uses it, or choose "
                    f"another range with --port N (gitferry up uses ports N to "
                    f"N+{len(CLUSTERS) - 1})"
                ) from None


def wait_for_cluster(child: Child, url: str, ca_file: Path, timeout: float) -> None:
    """Wait until the cluster at `url` answers `/readyz`; raise PlatformError if its process
    exits or it does not answer within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise PlatformError(
                f"cluster {child.name} stopped while starting: {child.last_lines()} "
                f"(log: {child.log})"
            )
        if ca_file.exists() and _answers(url + "/readyz", ca_file):
            return
        time.sleep(0.05)
    raise PlatformError(
        f"cluster {child.name} did not answer at {url} within {timeout:g}s (log: {child.log})"
    )


def _answers(url: str, ca_file: Path) -> bool:
    try:
        context = ssl.create_default_context(cafile=str(ca_file))
        with urllib.request.urlopen(url, timeout=1.0, context=context) as response:
            return bool(response.status == 200)
    except (OSError, ssl.SSLError, urllib.error.URLError):
        return False


def _terminate(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)


def _is_gitferry(pid: int) -> bool:
    """Whether `pid` is alive and is a gitferry process (not a recycled PID)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"gitferry" in command
