"""Files of one commit without a checkout: tree listings, single files, and snapshots.

A snapshot is the tree of one commit written out once into a per-commit directory of the
cache (into a temporary directory, then renamed, so a snapshot that exists is complete) and
shared by every application at that commit. Modes are kept (0644, 0755); symbolic links are
written as symbolic links with exactly the target stored in Git, even when it points outside
the repository: the renderer decides what may be followed. Git submodules (gitlinks) become
empty directories, as in `git archive`. Paths that git itself refuses to check out (`..`,
`.git`, absolute) make the commit unusable.

Plain local directories (not Git repositories) are read in place as a single "working
tree" revision. Called by `repositories` (for the renderer, the controller, ApplicationSet
generators and the CLI's offline render).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from gitferry.model import errors
from gitferry.source.mirror import Mirror

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Entry:
    """One entry of `git ls-tree -r`: a file, a symbolic link or a submodule."""

    mode: str  # 100644, 100755, 120000 (symlink), 160000 (submodule)
    kind: str  # blob or commit
    oid: str
    path: str

    @property
    def is_symlink(self) -> bool:
        return self.mode == "120000"


async def list_tree(mirror: Mirror, sha: str) -> list[Entry]:
    """Every file, symbolic link and submodule of the commit's tree."""
    result = await mirror.run("ls-tree", "-r", "-z", "--full-tree", sha)
    if not result.ok:
        raise errors.RevisionNotFoundError(
            f"{mirror.subject}: cannot read the tree of {sha[:12]}: {result.reason()}"
        )
    entries = []
    for record in result.stdout.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        mode, kind, oid = meta.decode().split(" ")
        entries.append(Entry(mode, kind, oid, path.decode("utf-8", "surrogateescape")))
    return entries


def check_path(subject: str, sha: str, path: str) -> None:
    """Refuse a tree path that could write outside the snapshot or into a `.git`."""
    parts = path.split("/")
    if path.startswith("/") or any(p in ("", ".", "..") or p.lower() == ".git" for p in parts):
        raise errors.RepositoryError(
            f"{subject}: commit {sha[:12]} contains the unsafe path {path!r}, which git "
            "refuses to check out; fix the commit"
        )


async def read_blob(mirror: Mirror, sha: str, path: str) -> bytes:
    """The content of the regular file `path` at `sha` (symbolic links are not followed)."""
    where = f"{mirror.subject}: {path!r} at {sha[:12]}"
    result = await mirror.run("--literal-pathspecs", "ls-tree", "-z", sha, "--", path)
    if not result.ok:
        raise errors.RevisionNotFoundError(f"{where}: {result.reason()}")
    record = result.stdout.split(b"\0")[0]
    meta, _, found = record.partition(b"\t")
    if not record or found.decode("utf-8", "surrogateescape") != path.strip("/"):
        parts = path.strip("/").split("/")
        ancestors = ["/".join(parts[:n]) for n in range(1, len(parts))]
        if ancestors:
            listed = await mirror.run("--literal-pathspecs", "ls-tree", "-z", sha, "--", *ancestors)
            for entry in listed.stdout.split(b"\0") if listed.ok else []:
                link = entry.partition(b"\t")[2].decode("utf-8", "surrogateescape")
                if entry.startswith(b"120000 ") and link in ancestors:
                    raise errors.RepositoryError(
                        f"{where}: is beneath the symbolic link {link!r}; it is not followed"
                    )
        raise errors.RepositoryError(f"{where}: no such file")
    mode, kind, oid = meta.decode().split(" ")
    if kind != "blob":
        raise errors.RepositoryError(f"{where}: not a file (a {kind})")
    if mode == "120000":
        raise errors.RepositoryError(f"{where}: is a symbolic link; it is not followed")
    blob = await mirror.run("cat-file", "blob", oid)
    if not blob.ok:
        raise errors.RepositoryError(f"{where}: cannot read: {blob.reason()}")
    return blob.stdout


async def materialise(mirror: Mirror, sha: str, dest: Path, *, timeout: float) -> None:
    """Write the tree of `sha` into the empty directory `dest`."""
    entries = await list_tree(mirror, sha)
    for entry in entries:
        check_path(mirror.subject, sha, entry.path)
    blobs = [e for e in entries if e.kind == "blob"]
    links: set[str] = set()
    made: set[str] = {""}
    async with asyncio.timeout(timeout):
        async with mirror.git.spawn(["cat-file", "--batch"], cwd=mirror.path, stdin=True) as proc:
            assert proc.stdin is not None and proc.stdout is not None
            feeder = asyncio.create_task(_feed(proc.stdin, [e.oid for e in blobs]))
            try:
                for entry in blobs:
                    parent = _parent(entry.path)
                    _make_dirs(dest, parent, made, links, mirror.subject)
                    header = (await proc.stdout.readline()).decode().split()
                    if len(header) != 3 or header[1] != "blob":
                        raise errors.RepositoryError(
                            f"{mirror.subject}: cannot read {entry.path!r} at {sha[:12]}"
                        )
                    size = int(header[2])
                    target = dest / entry.path
                    if entry.is_symlink:
                        link = await proc.stdout.readexactly(size)
                        os.symlink(os.fsdecode(link), target)
                        links.add(entry.path)
                    else:
                        await _write(proc.stdout, target, size, entry.mode == "100755")
                    await proc.stdout.readexactly(1)  # the newline after each object
            finally:
                feeder.cancel()
                with contextlib.suppress(asyncio.CancelledError, OSError):
                    await feeder
    for entry in entries:
        if entry.kind == "commit":  # a submodule: an empty directory, as git archive does
            _make_dirs(dest, entry.path, made, links, mirror.subject)


async def _feed(stdin: asyncio.StreamWriter, oids: list[str]) -> None:
    for start in range(0, len(oids), 512):
        stdin.write("".join(f"{oid}\n" for oid in oids[start : start + 512]).encode())
        await stdin.drain()
    stdin.close()


async def _write(stream: asyncio.StreamReader, target: Path, size: int, executable: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    descriptor = os.open(target, flags, 0o755 if executable else 0o644)
    with os.fdopen(descriptor, "wb") as handle:
        remaining = size
        while remaining:
            chunk = await stream.readexactly(min(remaining, _CHUNK))
            handle.write(chunk)
            remaining -= len(chunk)
    # The umask may have taken bits away; the mode stored in Git is what the renderer sees.
    os.chmod(target, 0o755 if executable else 0o644, follow_symlinks=False)


def _parent(path: str) -> str:
    return path.rpartition("/")[0]


def _make_dirs(dest: Path, directory: str, made: set[str], links: set[str], subject: str) -> None:
    """Create `directory` under `dest`, refusing to create anything beneath a symlink."""
    if directory in made:
        return
    parts = directory.split("/")
    for index in range(1, len(parts) + 1):
        prefix = "/".join(parts[:index])
        if prefix in links:
            raise errors.RepositoryError(
                f"{subject}: the tree has entries beneath the symbolic link {prefix!r}"
            )
        if prefix not in made:
            (dest / prefix).mkdir(mode=0o755)
            made.add(prefix)


def list_directory(root: Path, prefix: str = "") -> list[str]:
    """The files and symbolic links under a plain directory (working tree), sorted, `/`-
    separated, relative to `root`; `.git` directories and symlinked directories are not
    entered."""
    out: list[str] = []
    for current, dirs, files in os.walk(root, followlinks=False):
        here = Path(current)
        base = here.relative_to(root).as_posix()
        base = "" if base == "." else base + "/"
        links = [d for d in dirs if (here / d).is_symlink()]
        dirs[:] = [d for d in dirs if d != ".git" and d not in links]
        out.extend(base + name for name in (*files, *links))
    return sorted(p for p in out if under(p, prefix))


def read_directory_file(root: Path, path: str, subject: str) -> bytes:
    """A regular file of a plain directory; no `..`, no symbolic links on the way."""
    where = f"{subject}: {path!r}"
    parts = path.strip("/").split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise errors.RepositoryError(f"{where}: not a path inside the directory")
    current = root
    for index, part in enumerate(parts):
        current = current / part
        if current.is_symlink() and index == len(parts) - 1:
            raise errors.RepositoryError(f"{where}: is a symbolic link; it is not followed")
        if current.is_symlink():
            link = "/".join(parts[: index + 1])
            raise errors.RepositoryError(
                f"{where}: is beneath the symbolic link {link!r}; it is not followed"
            )
    if not current.is_file():
        raise errors.RepositoryError(f"{where}: no such file")
    return current.read_bytes()


def under(path: str, prefix: str) -> bool:
    """Whether `path` is `prefix` or inside the directory `prefix` ("" is the root)."""
    prefix = prefix.strip("/")
    return not prefix or path == prefix or path.startswith(prefix + "/")


def discard(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
