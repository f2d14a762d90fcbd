"""jq path expressions of `ignoreDifferences`, evaluated as `del(<expr>)` with a timeout
(reference 4.4; anchors 4.2 row 8: a jq expression without a timeout is a CPU DoS).

libjq cannot be interrupted from Python, so `JqRunner` keeps one small persistent worker
process (`jqworker.py`) and sends it one (program, document) pair per call over pipes. A call
that outlives the timeout (default 1 s, Argo CD's `ignore.normalizer.jq.timeout`) kills the
worker and fails with Argo CD's message; the next call starts a new worker. The worker also
caps its address space, so a runaway expression cannot take the controller's memory.
Programs are compiled once in the worker and cached; `check` compiles in this process (also
cached) so a malformed expression is reported before any object is compared.

Costs: a call is a pipe round trip plus JSON encoding both ways (about 120 us for a small
Deployment on a 2-core machine); starting a worker takes about 70 ms and happens once, or
after a timeout. Nothing is started until a rule with a jq expression matches an object.

Used by `diff.ignore`; the controller owns one runner and closes it on shutdown.
"""

from __future__ import annotations

import functools
import os
import select
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

DEFAULT_TIMEOUT = 1.0
DEFAULT_MEMORY_LIMIT = 1 << 30
STARTUP_TIMEOUT = 30.0
_WORKER = Path(__file__).with_name("jqworker.py")
_LEN = struct.Struct(">I")
_JSON_TYPES = {type(None): "null", str: "a string", list: "an array", bool: "a boolean"}


@dataclass(frozen=True)
class JqResult:
    """The output of one `del(<expr>)`: a document, or why there is none (`error`)."""

    document: dict[str, Any] | None
    error: str = ""


def go_duration(seconds: float) -> str:
    """A duration the way Go prints it (`1s`, `1.5s`, `500ms`), for Argo CD's messages."""
    if seconds >= 1:
        return f"{seconds:g}s"
    return f"{seconds * 1000:g}ms"


@functools.lru_cache(maxsize=1024)
def check(expression: str) -> str:
    """Why `del(<expression>)` does not compile ("" when it does)."""
    try:
        import jq
    except ImportError:
        return "jq path expressions need the `jq` package (libjq bindings), not installed"
    try:
        jq.compile(f"del({expression})")
    except ValueError as err:
        return f"failed to compile jq path expression {expression!r}: {err}"
    return ""


class _WorkerGone(Exception):
    pass


class JqRunner:
    """Evaluates `del(<expr>)` on documents in a killable worker; thread-safe (one call at a
    time)."""

    def __init__(
        self, *, timeout: float = DEFAULT_TIMEOUT, memory_limit: int = DEFAULT_MEMORY_LIMIT
    ) -> None:
        self.timeout = timeout
        self.memory_limit = memory_limit
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    def __enter__(self) -> JqRunner:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker (it is started again by the next call)."""
        with self._lock:
            self._stop()

    def delete(self, expression: str, document: dict[str, Any]) -> JqResult:
        """`del(<expression>)` of `document`; exactly one object output, else an error."""
        problem = check(expression)
        if problem:
            return JqResult(None, problem)
        program = f"del({expression})".encode()
        body = orjson.dumps(document)
        request = _LEN.pack(len(program)) + program + _LEN.pack(len(body)) + body
        with self._lock:
            try:
                status, payload = self._call(request)
            except TimeoutError:
                self._stop()
                return JqResult(None, f"JQ patch execution timed out ({go_duration(self.timeout)})")
            except _WorkerGone as err:
                self._stop()
                return JqResult(None, f"JQ patch returned error: {err}")
        if status != 0:
            return JqResult(None, payload.decode(errors="replace"))
        output = orjson.loads(payload)
        if not isinstance(output, dict):
            kind = _JSON_TYPES.get(type(output), "value")
            return JqResult(None, f"JQ patch returned {kind}, not an object")
        return JqResult(output)

    def _call(self, request: bytes) -> tuple[int, bytes]:
        proc = self._ensure()
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(request)
            proc.stdin.flush()
        except (BrokenPipeError, OSError) as err:
            raise _WorkerGone("the jq worker stopped") from err
        deadline = time.monotonic() + self.timeout
        fd = proc.stdout.fileno()
        header = _read(fd, 1 + _LEN.size, deadline)
        payload = _read(fd, _LEN.unpack(header[1:])[0], deadline)
        return header[0], payload

    def _ensure(self) -> subprocess.Popen[bytes]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        self._stop()
        try:
            proc = subprocess.Popen(
                [sys.executable, "-I", str(_WORKER), str(self.memory_limit)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                bufsize=0,
            )
        except OSError as err:
            raise _WorkerGone(f"cannot start the jq worker: {err.strerror}") from err
        self._proc = proc
        self.restarts += 1
        assert proc.stdout is not None
        try:
            _read(proc.stdout.fileno(), 1, time.monotonic() + STARTUP_TIMEOUT)
        except TimeoutError as err:
            raise _WorkerGone("the jq worker did not start") from err
        return proc

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()


def _read(fd: int, size: int, deadline: float) -> bytes:
    """Exactly `size` bytes from a pipe before `deadline`, else TimeoutError or _WorkerGone."""
    chunks: list[bytes] = []
    missing = size
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while missing:
        left = deadline - time.monotonic()
        if left <= 0 or not poller.poll(left * 1000):
            raise TimeoutError
        chunk = os.read(fd, missing)
        if not chunk:
            raise _WorkerGone("the jq worker stopped (out of memory or killed)")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)
