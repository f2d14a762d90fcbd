"""A small pool of long-lived worker processes that can be killed.

Each worker is a child Python process that imports one function (`module:function`) and
serves jobs over a socket pair, under an address-space limit. A job that outlives its
timeout gets its worker killed (SIGKILL, by process id) and replaced on the next call; a
worker that dies (e.g. out of memory) is replaced the same way, and the error says why. This
is how Helm renders run: a Go runtime cannot be unloaded and a runaway template cannot be
interrupted in-process. `call` blocks, is thread-safe, and is meant for `asyncio.to_thread`.
Used by `helm` (through `renderer.Renderer`, which owns the pool).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from gitferry.model.errors import RenderError, RenderLimitError

# The directory holding the `gitferry` package, so the worker imports the same code.
_IMPORT_ROOT = str(Path(__file__).resolve().parents[2])


class WorkerError(RenderError):
    """The job raised in the worker; the message is the worker's exception."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def serve(conn: Connection, target: str, memory_limit: int) -> None:
    """The worker's main loop (runs in the child process). A memory limit (address space)
    makes a runaway allocation fail in the worker instead of exhausting the machine."""
    if memory_limit > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    module_name, _, function_name = target.partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            conn.send(("ok", function(job)))
        except Exception as err:  # reported to the parent, which decides what it means
            conn.send(("error", type(err).__name__, str(err)))


class _Worker:
    """A child Python process (`python -m gitferry.render.workers FD TARGET LIMIT`), talking
    over a socket pair; its stderr goes to a temporary file, read only to explain a crash.
    Not `multiprocessing`: spawning would re-run the caller's main module."""

    def __init__(self, target: str, memory_limit: int) -> None:
        parent, child = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_IMPORT_ROOT, env.get("PYTHONPATH")]))
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the worker
        argv = [sys.executable, "-m", "gitferry.render.workers"]
        try:
            self.process = subprocess.Popen(
                [*argv, str(child.fileno()), target, str(memory_limit)],
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
                stderr=self.stderr,
                env=env,
                close_fds=True,
            )
        finally:
            child.close()
        self.conn = Connection(parent.detach())

    def crash_reason(self) -> str:
        """The first fatal line the worker wrote, e.g. Go's `fatal error: out of memory`."""
        self.stderr.seek(0)
        for line in self.stderr.read(65536).decode(errors="replace").splitlines():
            if line.startswith(("fatal error:", "panic:", "MemoryError", "Traceback")):
                return line.strip()
        return f"exit code {self.process.poll()}"

    def alive(self) -> bool:
        return self.process.poll() is None

    def call(self, job: Any, timeout: float) -> Any:
        self.conn.send(job)
        if not self.conn.poll(timeout):
            raise TimeoutError
        reply = self.conn.recv()
        if reply[0] == "ok":
            return reply[1]
        raise WorkerError(reply[1], reply[2])

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        self.conn.close()
        self.stderr.close()


class WorkerPool:
    """Up to `size` workers running `target`; see the module docstring."""

    def __init__(
        self, target: str, size: int = 2, what: str = "worker", memory_limit: int = 0
    ) -> None:
        self.target = target
        self.what = what
        self.memory_limit = memory_limit
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self.started = 0
        self.killed = 0

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    return worker
                self._all.discard(worker)
            worker = _Worker(self.target, self.memory_limit)
            self._all.add(worker)
            self.started += 1
            return worker

    def _drop(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)
            self.killed += 1

    def call(self, job: Any, timeout: float) -> Any:
        """Run one job; RenderLimitError when it runs over `timeout` (the worker is killed)."""
        with self._slots:
            worker = self._take()
            try:
                result = worker.call(job, timeout)
            except TimeoutError:
                self._drop(worker)
                raise RenderLimitError(
                    f"{self.what}: did not finish within {timeout:g}s; killed"
                ) from None
            except WorkerError:
                with self._lock:
                    self._idle.append(worker)
                raise
            except (EOFError, OSError) as err:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    worker.process.wait(5)
                reason = worker.crash_reason()
                self._drop(worker)
                raise RenderError(f"{self.what}: the worker process died: {reason}") from err
            with self._lock:
                self._idle.append(worker)
            return result

    def pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._all]

    def close(self) -> None:
        with self._lock:
            workers, self._all, self._idle = list(self._all), set(), []
        for worker in workers:
            worker.kill()


if __name__ == "__main__":
    serve(Connection(int(sys.argv[1])), sys.argv[2], int(sys.argv[3]))
