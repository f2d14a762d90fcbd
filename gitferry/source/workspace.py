"""Local Git repositories that a person works in: a working clone and its bare remote.

`gitferry init` and `gitferry up` scaffold the platform's repositories with `publish`: the
files already written in the clone become the first commit, pushed to a new bare remote whose
`post-receive` hook plays the part of a Git host's webhook. The clone keeps the user's own Git
identity when they have one; otherwise it gets a local one, so that a first `git commit` in
the walkthrough works on a fresh machine. Called by `gitferry.cli.platform`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from gitferry.model import errors
from gitferry.source.git import Completed, Git

BRANCH = "main"
# The identity of the scaffold's first commit, and of the clone when the user has none.
_IDENTITY = {"name": "gitferry", "email": "gitferry@localhost"}
_TIMEOUT = 60.0


@dataclass(frozen=True)
class Published:
    """A scaffolded repository: where to work, where it is pushed, and its first commit."""

    clone: Path
    remote: Path
    commit: str


async def publish(git: Git, clone: Path, remote: Path, *, message: str, hook: str) -> Published:
    """Commit everything in `clone` and push it to a new bare repository at `remote` that runs
    `hook` (a shell script) after every push. Raises RepositoryError if git fails."""
    env = {
        "GIT_AUTHOR_NAME": _IDENTITY["name"],
        "GIT_AUTHOR_EMAIL": _IDENTITY["email"],
        "GIT_COMMITTER_NAME": _IDENTITY["name"],
        "GIT_COMMITTER_EMAIL": _IDENTITY["email"],
    }
    remote.parent.mkdir(parents=True, exist_ok=True)
    await _git(git, ["init", "--quiet", "--bare", f"--initial-branch={BRANCH}", str(remote)])
    await _git(git, ["init", "--quiet", f"--initial-branch={BRANCH}", str(clone)])
    await _git(git, ["add", "--all"], cwd=clone)
    await _git(git, ["commit", "--quiet", "--no-gpg-sign", "-m", message], cwd=clone, env=env)
    await _git(git, ["remote", "add", "origin", str(remote)], cwd=clone)
    await _git(git, ["push", "--quiet", "-u", "origin", BRANCH], cwd=clone, env=env)
    # Installed after the first push: nothing is running yet to be told about it.
    install_hook(remote, hook)
    if not user_has_identity(clone):
        for key, value in _IDENTITY.items():
            await _git(git, ["config", f"user.{key}", value], cwd=clone)
    done = await _git(git, ["rev-parse", "HEAD"], cwd=clone)
    return Published(clone, remote, done.stdout.decode().strip())


def install_hook(remote: Path, script: str) -> None:
    """(Re)write the bare repository's `post-receive` hook, executable by its owner only."""
    hook = remote / "hooks" / "post-receive"
    temporary = hook.with_suffix(".tmp")
    temporary.write_text(script)
    temporary.chmod(0o700)
    temporary.replace(hook)


def user_has_identity(clone: Path) -> bool:
    """Whether git, as the user runs it in `clone`, knows who they are (user.email)."""
    if shutil.which("git") is None:
        return False
    found = subprocess.run(
        ["git", "config", "--get", "user.email"],
        cwd=clone,
        capture_output=True,
        env={k: v for k, v in os.environ.items() if k != "GIT_DIR"},
        timeout=_TIMEOUT,
    )
    return found.returncode == 0 and bool(found.stdout.strip())


async def _git(
    git: Git, args: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> Completed:
    done = await git.run(args, subject=str(cwd or args[-1]), cwd=cwd, env=env, timeout=_TIMEOUT)
    if not done.ok:
        raise errors.RepositoryError(f"{cwd or args[-1]}: git {args[0]} failed: {done.reason()}")
    return done
