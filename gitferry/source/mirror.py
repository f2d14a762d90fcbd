"""One local bare mirror per repository, fetched with the git CLI, fetches coalesced.

The mirror holds every branch and tag of the remote (`git fetch --prune --force`, so moved
and deleted refs follow the remote) and the commit of the remote's HEAD under
`refs/gitferry/HEAD`. Its ref table is read once per fetch and kept in memory, so resolving
a revision between fetches costs no process. Concurrent fetches of one repository share one
git process; a *fresh* fetch (a webhook's refresh) never settles for a fetch that began
before it was asked for, but waits for it and shares one more.

Local repositories (paths and file:// URLs) are mirrored too: revisions, snapshots and the
fallback to the last fetched state then behave exactly as for remote ones, and the source
repository is only ever read. Called by `repositories`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import re
import shutil
from pathlib import Path

from gitferry._kit.clock import Clock
from gitferry.model import errors
from gitferry.source import revisions, urls
from gitferry.source.credentials import Credentials
from gitferry.source.git import Completed, Git

log = logging.getLogger(__name__)

_REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
_HEAD_REFSPEC = f"+HEAD:{revisions.HEAD_REF}"
_PINNED = "refs/gitferry/commits/"
_AUTH_FAILURE = re.compile(
    r"authentication failed|could not read (username|password)|permission denied"
    r"|403|401|invalid username or password|host key verification failed",
    re.IGNORECASE,
)


def mirror_name(location: urls.Location) -> str:
    """The directory name of a repository's mirror: readable, and unique per URL."""
    digest = hashlib.sha256(location.url.encode()).hexdigest()[:16]
    tail = re.sub(r"[^A-Za-z0-9._-]+", "-", location.url.rstrip("/").rsplit("/", 1)[-1])
    return f"{tail.removesuffix('.git')[:40] or 'repo'}-{digest}"


class Mirror:
    """The bare mirror of one repository, and what this process knows of its freshness."""

    def __init__(self, git: Git, root: Path, location: urls.Location, clock: Clock) -> None:
        self.git = git
        self.location = location
        self.path = root / mirror_name(location)
        self.subject = f"repo {location.display}"
        self.clock = clock
        self.refs: list[revisions.Ref] | None = None  # None: not read in this process yet
        self.fetched_at: float | None = None  # monotonic time of the last good fetch
        self.failed_at: float | None = None
        self.failure: errors.RepositoryUnreachableError | None = None
        self._running: asyncio.Task[None] | None = None
        self._follow_up: asyncio.Task[None] | None = None
        # Full SHAs of commits known to be in the mirror: objects never leave it (fetches only
        # add), so asking git again is wasted work on every resolve of a pinned revision.
        self._commits: set[str] = set()

    @property
    def exists(self) -> bool:
        return (self.path / "HEAD").exists()

    async def fetch(self, creds: Credentials | None, *, fresh: bool = False) -> None:
        """Bring the mirror up to date with the remote, sharing a fetch already under way.

        Raises RepositoryUnreachableError (the mirror and its ref table stay as they were).
        """
        running = self._running
        if running is not None and not running.done():
            if not fresh:
                return await asyncio.shield(running)
            if self._follow_up is None or self._follow_up.done():
                self._follow_up = asyncio.create_task(self._after(running, creds))
            return await asyncio.shield(self._follow_up)
        self._running = asyncio.create_task(self._fetch(creds))
        return await asyncio.shield(self._running)

    async def _after(self, running: asyncio.Task[None], creds: Credentials | None) -> None:
        with contextlib.suppress(Exception):
            await running
        self._follow_up = None
        self._running = asyncio.create_task(self._fetch(creds))
        await self._running

    async def _fetch(self, creds: Credentials | None) -> None:
        try:
            await self._init()
            secrets = (*(creds.secrets() if creds else ()), self.location.password)
            with self.git.credentials_env(self.location, creds) as env:
                result = await self._git_fetch(env, secrets, with_head=True)
                if not result.ok and "couldn't find remote ref HEAD" in result.stderr:
                    # The remote's HEAD names a branch that does not exist (yet).
                    result = await self._git_fetch(env, secrets, with_head=False)
                    await self.run("update-ref", "-d", revisions.HEAD_REF)
            if not result.ok:
                raise errors.RepositoryUnreachableError(self._explain(result))
            self.refs = await self.read_refs()
        except errors.RepositoryUnreachableError as err:
            self.failure, self.failed_at = err, self.clock.monotonic()
            log.warning("%s", err)
            raise
        self.fetched_at, self.failure = self.clock.monotonic(), None

    async def _git_fetch(
        self, env: dict[str, str], secrets: tuple[str, ...], *, with_head: bool
    ) -> Completed:
        refspecs = (*_REFSPECS, _HEAD_REFSPEC) if with_head else _REFSPECS
        return await self.git.run(
            [
                "fetch",
                "--prune",
                "--force",
                "--no-write-fetch-head",
                "--quiet",
                "origin",
                *refspecs,
            ],
            subject=self.subject,
            cwd=self.path,
            env=env,
            scrub=secrets,
        )

    def _explain(self, result: Completed) -> str:
        reason = result.reason()
        if _AUTH_FAILURE.search(result.stderr):
            return (
                f"{self.subject}: authentication failed ({reason}); check the credentials in "
                "the repository Secret (argocd.argoproj.io/secret-type: repository or "
                "repo-creds) for this URL"
            )
        return (
            f"{self.subject}: fetch failed ({reason}); check that the URL is right and the "
            "repository answers"
        )

    async def _init(self) -> None:
        if self.exists:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.init")
        shutil.rmtree(temporary, ignore_errors=True)
        for args in (
            ["init", "--bare", "--quiet", str(temporary)],
            ["-C", str(temporary), "config", "remote.origin.url", self.location.url],
            ["-C", str(temporary), "config", "core.logAllRefUpdates", "false"],
        ):
            result = await self.git.run(args, subject=self.subject)
            if not result.ok:
                raise errors.RepositoryError(
                    f"{self.subject}: cannot create the mirror: {result.reason()}"
                )
        try:
            temporary.rename(self.path)
        except OSError:  # another process made it first
            shutil.rmtree(temporary, ignore_errors=True)

    async def run(self, *args: str, stdin: bytes | None = None) -> Completed:
        """A local git command in the mirror (no network, no credentials)."""
        return await self.git.run(list(args), subject=self.subject, cwd=self.path, stdin=stdin)

    async def read_refs(self) -> list[revisions.Ref]:
        """The ref table as it is on disk now."""
        result = await self.run(
            "for-each-ref", f"--format={revisions.FOR_EACH_REF_FORMAT}", "refs/"
        )
        if not result.ok:
            raise errors.RepositoryError(f"{self.subject}: cannot list refs: {result.reason()}")
        return revisions.parse_refs(result.stdout.decode("utf-8", "replace"))

    async def known_refs(self) -> list[revisions.Ref] | None:
        """The last ref table: from memory, else from a mirror left by an earlier process."""
        if self.refs is None and self.exists:
            self.refs = await self.read_refs()
        return self.refs

    async def commit_of(self, revision: str) -> str | None:
        """The full SHA of the commit `revision` (a hex SHA, full or abbreviated) names."""
        if revision in self._commits:
            return revision
        if not self.exists or not revisions.SHORT_SHA.match(revision):
            return None
        result = await self.run("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
        if not result.ok:
            return None
        sha = result.stdout.decode().strip()
        self._commits.add(sha)
        return sha

    async def object_type(self, oid: str) -> str:
        """`commit`, `tag`, `tree` or `blob`; "" when the mirror does not have `oid`."""
        if not self.exists or not revisions.FULL_SHA.match(oid):
            return ""
        result = await self.run("cat-file", "-t", oid)
        return result.stdout.decode().strip() if result.ok else ""

    async def fetch_commit(self, creds: Credentials | None, sha: str) -> bool:
        """Fetch one commit by SHA (one no branch or tag leads to); False if the remote
        does not have it or will not serve it."""
        if not revisions.FULL_SHA.match(sha):
            return False
        secrets = (*(creds.secrets() if creds else ()), self.location.password)
        with self.git.credentials_env(self.location, creds) as env:
            result = await self.git.run(
                # Kept under a ref of its own, so that gc never drops it.
                ["fetch", "--quiet", "--no-write-fetch-head", "origin", f"+{sha}:{_PINNED}{sha}"],
                subject=self.subject,
                cwd=self.path,
                env=env,
                scrub=secrets,
            )
        return result.ok
