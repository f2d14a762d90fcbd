"""`Repositories`: the one object the rest of gitferry uses to read Git and Helm sources.

    repos = Repositories(cache_dir, credentials=lookup)
    resolved = await repos.resolve(url, "main")          # -> Resolved(sha, from_cache, ...)
    root = await repos.snapshot(url, resolved.sha)        # the tree, shared per commit
    text = await repos.read_file(url, sha, "apps/a.yaml") # no checkout needed
    chart = await repos.chart(url, "guestbook", "0.1.*") # an unpacked chart directory

Rules:
- A repository is fetched at most once per `revision_ttl` (Argo CD's default: 180 s) unless
  `refresh(url)` (a webhook) asks for it now; a full commit SHA already present is never
  fetched for.
- When a fetch fails, revisions are still answered from the last fetched state of the mirror
  (even one left by an earlier process) with `Resolved.from_cache` set and the reason in
  `Resolved.warning`, so the controller can say "using cached revision"; only revisions that
  state cannot answer fail, with RepositoryUnreachableError. A failed fetch is retried after
  `_RETRY_AFTER_FAILURE` seconds, not on every call.
- A local path that is not a Git repository is a "working tree": it has the single revision
  `WORKING_TREE`, and its snapshot is the directory itself, never written to. Local Git
  repositories are mirrored like remote ones.

Called by the renderer, the controller, ApplicationSet generators and the CLI's offline
render, which the CLI wires together.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gitferry._kit.clock import Clock, SystemClock
from gitferry.model import errors
from gitferry.source import revisions, signatures, snapshots, urls
from gitferry.source.charts import ChartLimits, Charts
from gitferry.source.credentials import Credentials
from gitferry.source.git import Git
from gitferry.source.mirror import Mirror, mirror_name
from gitferry.source.signatures import Keyrings, Signature

log = logging.getLogger(__name__)

WORKING_TREE = "working-tree"
# A repository that just failed is not asked again for this long (each try may take up to
# the git timeout, and every application of the repository would pay it).
_RETRY_AFTER_FAILURE = 10.0

CredentialsLookup = Callable[[str], Credentials | None]


@dataclass(frozen=True)
class Resolved:
    """A revision resolved to a commit."""

    sha: str  # full commit SHA, or WORKING_TREE for a plain local directory
    from_cache: bool = False  # the repository could not be reached: last known commit
    warning: str = ""  # why, when from_cache (already redacted)
    tag_object: str = ""  # the annotated tag object, when the revision named one

    @property
    def is_working_tree(self) -> bool:
        return self.sha == WORKING_TREE


class Repositories:
    """Mirrors, revisions, snapshots, signatures and charts under one cache directory."""

    def __init__(
        self,
        cache_dir: Path,
        *,
        credentials: CredentialsLookup | None = None,
        revision_ttl: float = 180.0,
        clock: Clock | None = None,
        git_timeout: float = 120.0,
        chart_limits: ChartLimits | None = None,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.revision_ttl = revision_ttl
        self.clock = clock or SystemClock()
        self._credentials = credentials
        self._git = Git(self.cache_dir / "home", timeout=git_timeout)
        self._mirrors: dict[str, Mirror] = {}
        self._opened: dict[str, tuple[urls.Location, Mirror]] = {}
        self._making: dict[Path, asyncio.Task[Path]] = {}
        self._keyrings = Keyrings(self._git, self.cache_dir / "gnupg")
        self._charts = Charts(
            self.cache_dir / "charts", chart_limits or ChartLimits(), self.clock, revision_ttl
        )

    # -- revisions ----------------------------------------------------------------------

    async def resolve(self, url: str, revision: str = "HEAD", *, tag_prefix: str = "") -> Resolved:
        """The commit `revision` (HEAD, branch, tag, SHA, semver constraint) names now."""
        location, mirror = self._open(url)
        if mirror is None:
            return Resolved(WORKING_TREE)
        revision = revision.strip() or "HEAD"
        if revisions.FULL_SHA.match(revision):
            return Resolved(await self._commit(location, mirror, revision.lower()))
        warning = await self._refresh_if_stale(location, mirror)
        refs = await mirror.known_refs() or []
        ref = revisions.match(refs, revision, tag_prefix=tag_prefix)
        sha = ref.commit if ref else None
        if sha is None and revisions.looks_like_sha(revision):
            sha = await mirror.commit_of(revision)
        if sha is None:
            if warning:
                raise errors.RepositoryUnreachableError(
                    f"{warning}; revision {revision!r} is not in the cached copy either"
                )
            raise errors.RevisionNotFoundError(
                f"{mirror.subject}: revision {revision!r} is not a branch, tag or commit of "
                "this repository; check targetRevision"
            )
        if warning:
            log.warning("%s; using the cached revision %s for %r", warning, sha[:12], revision)
        return Resolved(sha, bool(warning), warning, ref.tag_object if ref else "")

    async def refresh(self, url: str) -> None:
        """Fetch now (a webhook said the repository changed) and forget resolved revisions.

        Raises RepositoryUnreachableError when the fetch fails; cached state stays usable.
        """
        location, mirror = self._open(url)
        self._charts.forget(location.url)
        if mirror is not None:
            mirror.fetched_at = None
            await mirror.fetch(self._lookup(location), fresh=True)

    async def _refresh_if_stale(self, location: urls.Location, mirror: Mirror) -> str:
        """Fetch when the last fetch is older than the TTL; the failure's message, or ""."""
        now = self.clock.monotonic()
        if mirror.fetched_at is not None and now - mirror.fetched_at < self.revision_ttl:
            return ""
        recent = mirror.failed_at is not None and now - mirror.failed_at < _RETRY_AFTER_FAILURE
        try:
            if recent and mirror.failure is not None:
                raise errors.RepositoryUnreachableError(str(mirror.failure))
            await mirror.fetch(self._lookup(location))
        except errors.RepositoryUnreachableError as err:
            if await mirror.known_refs() is None:
                raise
            return str(err)
        return ""

    async def _commit(self, location: urls.Location, mirror: Mirror, sha: str) -> str:
        """`sha` once the mirror has that commit (fetching it if needed)."""
        found = await mirror.commit_of(sha)
        if found is not None:
            return found
        warning = await self._refresh_if_stale(location, mirror)
        found = await mirror.commit_of(sha)
        if found is None and warning:
            raise errors.RepositoryUnreachableError(
                f"{warning}; commit {sha[:12]} is not in the cached copy either"
            )
        if found is None and await mirror.fetch_commit(self._lookup(location), sha):
            found = await mirror.commit_of(sha)
        if found is None:
            raise errors.RevisionNotFoundError(
                f"{mirror.subject}: commit {sha[:12]} is not in this repository; check "
                "targetRevision (it may have been force-pushed away)"
            )
        return found

    # -- files at a revision ------------------------------------------------------------

    async def snapshot(self, url: str, sha: str) -> Path:
        """A directory holding the tree of commit `sha`, made once and shared; read-only use."""
        location, mirror = self._open(url)
        if mirror is None:
            return location.path
        dest = self._snapshot_path(mirror, sha)
        if dest.is_dir():
            return dest
        task = self._making.get(dest)
        if task is None:
            task = asyncio.create_task(self._make_snapshot(location, mirror, sha, dest))
            self._making[dest] = task
            task.add_done_callback(lambda _: self._making.pop(dest, None))
        return await asyncio.shield(task)

    async def _make_snapshot(
        self, location: urls.Location, mirror: Mirror, sha: str, dest: Path
    ) -> Path:
        await self._commit(location, mirror, sha)
        dest.parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{sha[:12]}."))
        try:
            await snapshots.materialise(mirror, sha, temporary, timeout=self._git.timeout)
            temporary.chmod(0o755)
            temporary.rename(dest)
        except TimeoutError:
            raise errors.RepositoryError(
                f"{mirror.subject}: writing the files of {sha[:12]} took longer than "
                f"{self._git.timeout:g}s; raise the git timeout for very large repositories"
            ) from None
        except OSError as err:
            if not dest.is_dir():  # not "another process renamed its copy first"
                raise errors.RepositoryError(
                    f"{mirror.subject}: cannot write the files of {sha[:12]} into the cache "
                    f"({err.strerror}); check the space and permissions of {self.cache_dir}"
                ) from err
        finally:
            shutil.rmtree(temporary, ignore_errors=True)
        return dest

    async def read_file(self, url: str, sha: str, path: str) -> bytes:
        """The bytes of the regular file `path` (from the repository root) at commit `sha`."""
        location, mirror = self._open(url)
        if mirror is None:
            return snapshots.read_directory_file(location.path, path, f"repo {location.display}")
        dest = self._snapshot_path(mirror, sha)
        if dest.is_dir():
            return snapshots.read_directory_file(dest, path, f"{mirror.subject} at {sha[:12]}")
        try:  # the commit is usually in the mirror already: no need to check first
            if mirror.exists:
                return await snapshots.read_blob(mirror, sha.lower(), path)
        except errors.RevisionNotFoundError:
            pass
        return await snapshots.read_blob(mirror, await self._commit(location, mirror, sha), path)

    async def list_paths(self, url: str, sha: str, prefix: str = "") -> list[str]:
        """The files and symbolic links at commit `sha` under the directory `prefix`, sorted."""
        location, mirror = self._open(url)
        if mirror is None:
            return snapshots.list_directory(location.path, prefix)
        self._snapshot_path(mirror, sha)  # checks that `sha` is a full SHA
        try:
            if not mirror.exists:
                raise errors.RevisionNotFoundError(mirror.subject)
            entries = await snapshots.list_tree(mirror, sha.lower())
        except errors.RevisionNotFoundError:
            entries = await snapshots.list_tree(mirror, await self._commit(location, mirror, sha))
        return sorted(
            e.path for e in entries if e.kind == "blob" and snapshots.under(e.path, prefix)
        )

    # -- signatures and charts ----------------------------------------------------------

    async def verify_commit(self, url: str, sha: str, keys: Sequence[str]) -> Signature:
        """The signature of commit `sha`, or of an annotated tag object (`Resolved.tag_object`),
        checked against the ASCII-armoured public `keys` only."""
        location, mirror = self._open(url)
        if mirror is None:
            raise errors.SignatureError(
                f"repo {location.display}: a plain directory has no commits to verify"
            )
        if not revisions.FULL_SHA.match(sha):
            raise errors.RevisionNotFoundError(
                f"{mirror.subject}: {sha!r} is not a full SHA; resolve the revision first"
            )
        if await mirror.object_type(sha) == "":
            await self._commit(location, mirror, sha)
        home = await self._keyrings.home(keys)
        return await signatures.verify(mirror, sha.lower(), home)

    async def chart(self, url: str, chart: str, version: str) -> Path:
        """The unpacked chart `chart` at `version` (exact, or a semver constraint) from a Helm
        repository or OCI registry."""
        location = urls.classify(url)
        if location.transport not in (urls.Transport.HTTPS, urls.Transport.OCI):
            raise errors.RepositoryError(
                f"repo {location.display}: Helm charts come from https:// or oci:// URLs"
            )
        return await self._charts.get(location, chart, version, self._lookup(location))

    # -- plumbing -----------------------------------------------------------------------

    def _open(self, url: str) -> tuple[urls.Location, Mirror | None]:
        """The location of `url`, and its mirror (None for a plain local directory). A URL
        once found to be a Git repository is remembered: every refresh of every app asks, and
        classifying a local path costs file-system calls."""
        opened = self._opened.get(url)
        if opened is not None:
            return opened
        location = urls.classify(url)
        if location.transport is urls.Transport.OCI:
            raise errors.RepositoryError(
                f"repo {location.display}: an OCI registry is not a Git repository; "
                "set `chart` to read a Helm chart from it"
            )
        mirror = self._mirrors.get(location.url)
        if mirror is None:
            mirror = Mirror(self._git, self.cache_dir / "mirrors", location, self.clock)
        if location.transport is urls.Transport.LOCAL and not _is_git_repository(location.path):
            if location.path.is_dir():
                return location, None
            if not mirror.exists:  # a local repository that went away still has its mirror
                raise errors.RepositoryUnreachableError(
                    f"repo {location.display}: no such directory; check repoURL"
                )
        self._mirrors[location.url] = mirror
        self._opened[url] = (location, mirror)
        return location, mirror

    def _lookup(self, location: urls.Location) -> Credentials | None:
        if self._credentials is None or location.transport is urls.Transport.LOCAL:
            return None
        return self._credentials(location.url)

    def _snapshot_path(self, mirror: Mirror, sha: str) -> Path:
        if not revisions.FULL_SHA.match(sha):
            raise errors.RevisionNotFoundError(
                f"{mirror.subject}: {sha!r} is not a full commit SHA; resolve the revision first"
            )
        return self.cache_dir / "snapshots" / mirror_name(mirror.location) / sha.lower()


def _is_git_repository(path: Path) -> bool:
    """A work tree's top (has `.git`) or a bare repository; a directory inside a work tree
    is not one: it is read as a plain directory."""
    dot_git = path / ".git"
    return (
        dot_git.is_file()
        or (dot_git / "HEAD").is_file()
        or ((path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir())
    )
