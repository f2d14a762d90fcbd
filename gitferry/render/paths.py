"""Path safety for everything a renderer reads, and hard-linked working copies.

Every path that comes from a source (app path, values files, file parameters, kustomize
bases and resources, chart directories) is resolved here: relative to its base, refused
when it leaves the repository root lexically (`..`) or through a symlink. `check_tree`
walks a directory a renderer will read whole (a chart, a kustomization root), refusing
symlinks that escape and counting files against the cap. Used by every renderer module.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from gitferry.model.errors import RenderLimitError, UnsafePathError


def _real(path: Path | str) -> str:
    return os.path.realpath(path)


def _within(real_root: str, real: str) -> bool:
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def is_inside(root: Path, path: Path) -> bool:
    """Whether `path`, symlinks resolved, is `root` or below it."""
    return _within(_real(root), _real(path))


def relative(root: Path, path: Path | str) -> str:
    """`path` relative to `root` for messages (never an absolute host path)."""
    rel = os.path.relpath(path, root)
    return "." if rel == "." else rel.replace(os.sep, "/")


def app_dir(root: Path, path: str) -> Path:
    """The directory of an app inside its repository (`spec.source.path`)."""
    if os.path.isabs(path):
        raise UnsafePathError(f"{path}: app path is absolute")
    candidate = Path(os.path.normpath(root / path))
    if not _within(os.path.normpath(root), str(candidate)):
        raise UnsafePathError(f"{path}: app path is outside the repository")
    if not is_inside(root, candidate):
        raise UnsafePathError(f"{path}: app path is a symlink that points outside the repository")
    if not candidate.exists():
        raise UnsafePathError(f"{path}: app path does not exist")
    if not candidate.is_dir():
        raise UnsafePathError(f"{path}: app path is not a directory")
    return candidate


def resolve(root: Path, base: Path, path: str, what: str) -> Path:
    """`path` from `base` (an absolute path counts from `root`, as Argo CD does for values
    files), refused when it leaves `root` lexically or through a symlink."""
    if os.path.isabs(path):
        candidate = os.path.normpath(os.path.join(root, path.lstrip("/")))
    else:
        candidate = os.path.normpath(os.path.join(base, path))
    if not _within(os.path.normpath(root), candidate):
        raise UnsafePathError(f"{what} {path}: points outside the repository")
    if not _within(_real(root), _real(candidate)):
        raise UnsafePathError(f"{what} {path}: is a symlink that points outside the repository")
    return Path(candidate)


def check_tree(root: Path, start: Path, max_files: int, what: str) -> int:
    """Walk `start` as a renderer that follows symlinks would; refuse symlinks resolving
    outside `root`; return the number of files, refusing more than `max_files`."""
    real_root = _real(root)
    seen: set[str] = set()
    pending = [_real(start)]
    count = 0
    while pending:
        top = pending.pop()
        if top in seen:
            continue
        seen.add(top)
        for dirpath, dirnames, filenames in os.walk(top):
            for name in [*dirnames, *filenames]:
                full = os.path.join(dirpath, name)
                if not os.path.islink(full):
                    continue
                target = _real(full)
                if not _within(real_root, target):
                    shown = relative(Path(real_root), full)
                    raise UnsafePathError(f"{what}: symlink {shown} points outside the repository")
                if os.path.isdir(target):
                    pending.append(target)
            count += len(filenames)
            if count > max_files:
                raise RenderLimitError(
                    f"{what}: more than {max_files} files; raise the file cap or narrow the path"
                )
    return count


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError as err:
        if err.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.EACCES):
            raise
        shutil.copy2(src, dst)


def linked_copy(src: Path, dst: Path) -> None:
    """Copy a tree with hard links (files are shared, never to be written in place),
    keeping symlinks as symlinks and making directories writable for our own files."""
    for dirpath, dirnames, filenames in os.walk(src):
        rel = os.path.relpath(dirpath, src)
        target_dir = dst if rel == "." else dst / rel
        target_dir.mkdir(parents=True, exist_ok=True)
        for name in [*dirnames, *filenames]:
            full = os.path.join(dirpath, name)
            if os.path.islink(full):
                os.symlink(os.readlink(full), target_dir / name)
                if name in dirnames:
                    dirnames.remove(name)
            elif name in filenames:
                _link_or_copy(full, str(target_dir / name))


def replace_file(path: Path, data: bytes) -> None:
    """Write `path` as a new file (a hard link to a shared snapshot is replaced, not
    modified)."""
    temp = path.with_name(f".{path.name}.gitferry-tmp")
    temp.write_bytes(data)
    os.replace(temp, path)
