"""Running the git CLI: argv lists only, a clean environment, timeouts, and credentials that
never reach an argv, a log line or an error message.

Every git process of gitferry starts here. The environment drops the caller's `GIT_*`
variables, ssh agent and global configuration (HOME points at an empty directory of the
cache), so a repository is read with the credentials chosen for it and nothing ambient.
HTTPS credentials travel through `GIT_ASKPASS` (a fixed helper script that prints two
environment variables); SSH keys through a 0600 temporary file named in `GIT_SSH_COMMAND`,
with ssh told to ignore `~/.ssh` (which it finds through the password database, not HOME).
A process that outlives its timeout is killed with its whole process group.

Called by `mirror`, `snapshots` and `signatures`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import tempfile
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gitferry.model import errors
from gitferry.source import urls
from gitferry.source.credentials import Credentials

_ASKPASS = """#!/bin/sh
# gitferry: answers git's credential prompts from the environment, never from argv.
case "$1" in
  Username*) printf '%s\\n' "$GITFERRY_GIT_USERNAME" ;;
  *) printf '%s\\n' "$GITFERRY_GIT_PASSWORD" ;;
esac
"""
# Variables of the caller that would change what git does or which credentials it uses.
_DROPPED = ("SSH_AUTH_SOCK", "SSH_ASKPASS", "GNUPGHOME", "XDG_CONFIG_HOME", "EMAIL")


@dataclass(frozen=True)
class Completed:
    """A finished git process. `stderr` is already scrubbed of secrets and URL userinfo."""

    args: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def reason(self) -> str:
        """The last meaningful stderr lines, for an error message."""
        lines = [ln.strip() for ln in self.stderr.splitlines() if ln.strip()]
        return "; ".join(lines[-3:]) or f"git exited with status {self.returncode}"


class Git:
    """Starts git processes for one cache directory (its HOME and askpass helper live there)."""

    def __init__(self, home: Path, *, timeout: float) -> None:
        self.home = home
        self.timeout = timeout
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.askpass = home / "askpass.sh"
        if not self.askpass.exists() or self.askpass.read_text() != _ASKPASS:
            temporary = home / f".askpass.{os.getpid()}"
            temporary.write_text(_ASKPASS)
            temporary.chmod(0o700)
            temporary.replace(self.askpass)

    def environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment of every git process: the caller's, minus what git would pick up."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("GIT_") and key not in _DROPPED
        }
        env.update(
            HOME=str(self.home),
            LC_ALL="C",
            LANGUAGE="C",
            GIT_TERMINAL_PROMPT="0",
            GIT_CONFIG_NOSYSTEM="1",
            GIT_ALLOW_PROTOCOL="file:http:https:ssh",
            GIT_SSH_COMMAND=self.ssh_command(None),
        )
        env.update(extra or {})
        return env

    def ssh_command(self, key: Path | None, *, insecure: bool = False) -> str:
        """The ssh of git: no user or system ssh config, no agent, no default keys; only
        `key`. Host keys are pinned on first use in the cache (`accept-new`), or not checked
        for an `insecure` repository."""
        command = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentityAgent=none"]
        command += ["-o", "IdentitiesOnly=yes"]
        command += ["-i", str(key)] if key else ["-o", "IdentityFile=none"]
        if insecure:
            command += ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
        else:
            known = self.home / "known_hosts"
            command += ["-o", "StrictHostKeyChecking=accept-new"]
            command += ["-o", f"UserKnownHostsFile={known}"]
        return shlex.join(command)

    @contextlib.contextmanager
    def credentials_env(
        self, location: urls.Location, creds: Credentials | None
    ) -> Iterator[dict[str, str]]:
        """Extra environment that authenticates a fetch of `location`; cleans up after itself."""
        if location.transport is urls.Transport.SSH:
            insecure = creds is not None and creds.insecure
            if creds is None or not creds.ssh_private_key:
                yield {"GIT_SSH_COMMAND": self.ssh_command(None, insecure=insecure)}
                return
            with tempfile.TemporaryDirectory(dir=self.home, prefix="key.") as keydir:
                key = Path(keydir) / "id"
                descriptor = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "w") as handle:
                    handle.write(creds.ssh_private_key.rstrip("\n") + "\n")
                yield {"GIT_SSH_COMMAND": self.ssh_command(key, insecure=insecure)}
            return
        env: dict[str, str] = {}
        username = (creds.username if creds else "") or location.username
        password = (creds.password if creds else "") or location.password
        if username or password:
            env["GIT_ASKPASS"] = str(self.askpass)
            # A token alone is accepted with any non-empty user name by GitHub and GitLab.
            env["GITFERRY_GIT_USERNAME"] = username or "x-access-token"
            env["GITFERRY_GIT_PASSWORD"] = password
        if creds is not None and creds.insecure:
            env["GIT_SSL_NO_VERIFY"] = "true"
        yield env

    async def run(
        self,
        args: Sequence[str],
        *,
        subject: str,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        stdin: bytes | None = None,
        scrub: Sequence[str] = (),
        timeout: float | None = None,
        program: str | None = None,
    ) -> Completed:
        """Run `git args...` (or `program args...`, for gpg) to completion; raises
        RepositoryUnreachableError on timeout."""
        limit = self.timeout if timeout is None else timeout
        async with self.spawn(
            args, cwd=cwd, env=env, stdin=stdin is not None, program=program
        ) as process:
            try:
                async with asyncio.timeout(limit):
                    out, err = await process.communicate(stdin)
            except TimeoutError:
                raise errors.RepositoryUnreachableError(
                    f"{subject}: {program or 'git'} {args[0]} did not finish within "
                    f"{limit:g}s and was stopped; check that the repository answers, or raise "
                    "the git timeout"
                ) from None
        text = scrub_text(err.decode("utf-8", "replace"), scrub)
        return Completed(tuple(args), process.returncode or 0, out, text)

    @contextlib.asynccontextmanager
    async def spawn(
        self,
        args: Sequence[str],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        stdin: bool = False,
        program: str | None = None,
    ) -> AsyncIterator[asyncio.subprocess.Process]:
        """A running `git args...` with pipes; killed (with its children) if still running
        when the block ends, whether by error, timeout or cancellation."""
        process = await asyncio.create_subprocess_exec(
            program or "git",
            *args,
            cwd=cwd,
            env=self.environment(env),
            stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # its own process group, so a kill reaches ssh/remote-https
        )
        try:
            yield process
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                with contextlib.suppress(Exception):
                    await asyncio.shield(process.wait())


def scrub_text(text: str, secrets: Sequence[str]) -> str:
    """`text` without URL passwords and without any of `secrets` (longest first)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return urls.redact(text)
