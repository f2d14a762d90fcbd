"""Running a renderer subprocess with a time cap and an output cap.

The process gets its own session (process group); when it runs over its time or writes more
than the byte cap, the whole group is killed with SIGKILL and reaped. Only stdout is kept as
the result; stderr (warnings, deprecation notices) is kept only for the error message. No
shell is involved: arguments are passed as a list. Used by `kustomize`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path

from gitferry.model.errors import RenderError, RenderLimitError

_STDERR_KEPT = 4000


def _kill_group(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        process.kill()


async def _read_capped(stream: asyncio.StreamReader, cap: int) -> bytes | None:
    """Everything from `stream`, or None as soon as it exceeds `cap` bytes."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await stream.read(65536):
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def run(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    max_output: int,
    what: str,
) -> bytes:
    """stdout of `argv`; RenderLimitError on timeout or too much output, RenderError when
    the command fails (with the end of its stderr)."""
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as err:
        raise RenderError(f"{what}: cannot run {argv[0]}: {err.strerror}") from err
    assert process.stdout is not None and process.stderr is not None
    stdout_task = asyncio.ensure_future(_read_capped(process.stdout, max_output))
    stderr_task = asyncio.ensure_future(process.stderr.read())
    try:
        async with asyncio.timeout(timeout):
            stdout = await stdout_task
            if stdout is None:
                raise RenderLimitError(f"{what}: output exceeds {max_output} bytes")
            stderr = await stderr_task
            code = await process.wait()
    except TimeoutError as err:
        raise RenderLimitError(f"{what}: did not finish within {timeout:g}s; killed") from err
    finally:
        if process.returncode is None:
            _kill_group(process)
            with contextlib.suppress(ProcessLookupError):
                await process.wait()
        for task in (stdout_task, stderr_task):
            task.cancel()
    if code != 0:
        detail = stderr.decode(errors="replace").strip()[-_STDERR_KEPT:]
        raise RenderError(f"{what}: failed (exit {code}): {detail}")
    return stdout
