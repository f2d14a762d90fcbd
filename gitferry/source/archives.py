"""Unpacking untrusted .tgz archives (Helm charts) with caps and no way out of the target.

Only regular files and directories are written. Symbolic links, hard links, devices and
sparse files are refused, as are absolute names and `..`; the number of entries and the
unpacked size are capped before anything is read, so size and file-count bombs stop early
(Argo CD advisories GHSA-g687-f2gx-6wm8 and the OCI symlink escape of fix #24145). Called by
`charts`.
"""

from __future__ import annotations

import os
import tarfile
from pathlib import Path, PurePosixPath
from typing import IO, BinaryIO

from gitferry.model import errors

_CHUNK = 1 << 20


def extract(
    source: BinaryIO, dest: Path, subject: str, *, max_files: int, max_bytes: int
) -> list[str]:
    """Unpack the gzip'd tar `source` into the existing empty directory `dest`; returns the
    top-level names. Raises RepositoryError naming the offending entry."""
    count = total = 0
    tops: list[str] = []
    made: set[PurePosixPath] = set()
    try:
        with tarfile.open(fileobj=source, mode="r|*") as archive:
            for member in archive:
                count += 1
                if count > max_files:
                    raise errors.RepositoryError(
                        f"{subject}: the archive has more than {max_files} entries"
                    )
                name = _safe_name(member.name, subject)
                if member.isdir():
                    _mkdirs(dest, name, made)
                elif member.isreg() and not member.issparse():
                    total += member.size
                    if total > max_bytes:
                        raise errors.RepositoryError(
                            f"{subject}: the archive unpacks to more than {max_bytes} bytes"
                        )
                    _mkdirs(dest, name.parent, made)
                    reader = archive.extractfile(member)
                    assert reader is not None
                    _write(reader, dest / name, member.size, bool(member.mode & 0o111))
                else:
                    raise errors.RepositoryError(
                        f"{subject}: the archive entry {member.name!r} is not a regular file "
                        "or directory (links and devices are refused)"
                    )
                if name.parts[0] not in tops:
                    tops.append(name.parts[0])
    except (tarfile.TarError, EOFError, OSError) as err:
        raise errors.RepositoryError(f"{subject}: not a valid .tgz archive ({err})") from err
    return tops


def _safe_name(raw: str, subject: str) -> PurePosixPath:
    name = PurePosixPath(raw)
    parts = [p for p in name.parts if p != "."]
    if name.is_absolute() or not parts or ".." in parts or "\\" in raw:
        raise errors.RepositoryError(
            f"{subject}: the archive entry {raw!r} points outside the archive; refused"
        )
    return PurePosixPath(*parts)


def _mkdirs(dest: Path, directory: PurePosixPath, made: set[PurePosixPath]) -> None:
    for depth in range(1, len(directory.parts) + 1):
        prefix = PurePosixPath(*directory.parts[:depth])
        if prefix not in made:
            target = dest / prefix
            if target.is_symlink() or (target.exists() and not target.is_dir()):
                raise errors.RepositoryError(f"{dest}: {prefix} is both a file and a directory")
            target.mkdir(mode=0o755, exist_ok=True)
            made.add(prefix)


def _write(reader: IO[bytes], target: Path, size: int, executable: bool) -> None:
    mode = 0o755 if executable else 0o644
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
    with os.fdopen(os.open(target, flags, mode), "wb") as handle:
        remaining = size
        while remaining > 0:
            chunk = reader.read(min(_CHUNK, remaining))
            if not chunk:
                break
            handle.write(chunk)
            remaining -= len(chunk)
    os.chmod(target, mode)
