"""Files at a commit without a checkout: snapshots (modes, symlinks kept as they are, made
once), single files, listings, plain directories as a working tree."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from gitferry.model import errors
from gitferry.source import repositories
from gitferry.testing.git import (
    Executable,
    FileContent,
    GitCallRecorder,
    GitRepo,
    Symlink,
    git,
)

pytestmark = pytest.mark.anyio
Repositories = repositories.Repositories

FILES: dict[str, FileContent] = {
    "apps/web/deploy.yaml": "kind: Deployment\n",
    "apps/web/values.yaml": "replicas: 2\n",
    "apps/api/cm.yaml": "kind: ConfigMap\n",
    "scripts/gen.sh": Executable("#!/bin/sh\necho hi\n"),
    "links/inside": Symlink("../apps/web/values.yaml"),
    "links/outside": Symlink("../../../../etc/passwd"),
    "links/absolute": Symlink("/etc/shadow"),
    "links/dir": Symlink("../apps"),
    "binary.bin": bytes(range(256)),
}


@pytest.fixture
def tree(repo: GitRepo) -> str:
    return repo.commit(FILES, "tree")


async def test_snapshots_keep_modes_and_symlinks_exactly(
    repos: Repositories, repo: GitRepo, tree: str
) -> None:
    root = await repos.snapshot(repo.url, tree)
    assert (root / "apps/web/deploy.yaml").read_text() == "kind: Deployment\n"
    assert (root / "binary.bin").read_bytes() == bytes(range(256))
    assert (root / "scripts/gen.sh").stat().st_mode & 0o777 == 0o755
    assert (root / "apps/api/cm.yaml").stat().st_mode & 0o777 == 0o644
    for name in ("inside", "outside", "absolute", "dir"):
        link = root / "links" / name
        assert link.is_symlink(), name
        target = FILES[f"links/{name}"]
        assert isinstance(target, Symlink)
        assert os.readlink(link) == target.target


async def test_a_snapshot_is_made_once_and_reused(
    repos: Repositories, repo: GitRepo, tree: str, recorder: GitCallRecorder
) -> None:
    first = await asyncio.gather(*(repos.snapshot(repo.url, tree) for _ in range(5)))
    assert recorder.count("cat-file") == 1
    recorder.clear()
    assert await repos.snapshot(repo.url, tree) == first[0]
    assert recorder.calls() == []
    assert [p.name for p in first[0].parent.iterdir()] == [tree]  # no temporary left


async def test_snapshots_of_two_commits_are_separate(repos: Repositories, repo: GitRepo) -> None:
    one = repo.head()
    two = repo.commit({"app/cm.yaml": "kind: Secret\n"})
    a, b = await repos.snapshot(repo.url, one), await repos.snapshot(repo.url, two)
    assert (a / "app/cm.yaml").read_text() != (b / "app/cm.yaml").read_text()


async def test_read_file_and_list_paths_need_no_checkout(
    repos: Repositories, repo: GitRepo, tree: str
) -> None:
    assert await repos.read_file(repo.url, tree, "apps/web/values.yaml") == b"replicas: 2\n"
    assert await repos.list_paths(repo.url, tree, "apps") == [
        "apps/api/cm.yaml",
        "apps/web/deploy.yaml",
        "apps/web/values.yaml",
    ]
    assert await repos.list_paths(repo.url, tree, "apps/web/") == [
        "apps/web/deploy.yaml",
        "apps/web/values.yaml",
    ]
    assert len(await repos.list_paths(repo.url, tree)) == len(FILES) + 1  # + app/cm.yaml
    assert await repos.list_paths(repo.url, tree, "app") == ["app/cm.yaml"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("links/outside", "symbolic link"),
        ("links/dir/web/values.yaml", "beneath the symbolic link 'links/dir'"),
        ("apps/web", "not a file"),
        ("missing.yaml", "no such file"),
    ],
)
@pytest.mark.parametrize("from_snapshot", [False, True])
async def test_read_file_refuses_links_and_missing_files(
    repos: Repositories, repo: GitRepo, tree: str, path: str, message: str, from_snapshot: bool
) -> None:
    if from_snapshot:
        await repos.snapshot(repo.url, tree)
        message = "no such file" if message == "not a file" else message
    with pytest.raises(errors.RepositoryError, match=message):
        await repos.read_file(repo.url, tree, path)


async def test_a_tree_with_a_dotdot_entry_is_refused(repos: Repositories, repo: GitRepo) -> None:
    oid = git("hash-object", "-w", str(repo.work / "app/cm.yaml"), cwd=repo.work)
    tree = _mktree(repo, f"100644 blob {oid}\t..\n")
    commit = repo.git("commit-tree", tree, "-m", "evil")
    repo.git("push", "--quiet", "origin", f"{commit}:refs/heads/evil")
    with pytest.raises(errors.RepositoryError, match="unsafe path"):
        await repos.snapshot(repo.url, commit)


def _mktree(repo: GitRepo, listing: str) -> str:
    import subprocess

    return subprocess.run(
        ["git", "mktree", "--missing"],
        cwd=repo.work,
        input=listing,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


async def test_a_plain_directory_is_a_read_only_working_tree(
    repos: Repositories, tmp_path: Path
) -> None:
    plain = tmp_path / "plain"
    (plain / "sub").mkdir(parents=True)
    (plain / "sub/a.yaml").write_text("a: 1\n")
    (plain / ".git").mkdir()  # a stray .git directory of a nested checkout is not entered
    (plain / ".git/config").write_text("x")
    (plain / "escape").symlink_to("/etc")
    resolved = await repos.resolve(str(plain), "main")
    assert resolved.is_working_tree
    assert await repos.snapshot(str(plain), resolved.sha) == plain
    assert await repos.list_paths(str(plain), resolved.sha) == ["escape", "sub/a.yaml"]
    assert await repos.read_file(f"file://{plain}", resolved.sha, "sub/a.yaml") == b"a: 1\n"
    with pytest.raises(errors.RepositoryError, match="symbolic link"):
        await repos.read_file(str(plain), resolved.sha, "escape/passwd")
    with pytest.raises(errors.RepositoryError, match="not a path inside"):
        await repos.read_file(str(plain), resolved.sha, "../plain/sub/a.yaml")


async def test_a_local_work_tree_is_read_at_its_commits(repos: Repositories, repo: GitRepo) -> None:
    committed = repo.head()
    (repo.work / "app/cm.yaml").write_text("uncommitted\n")
    resolved = await repos.resolve(str(repo.work), "HEAD")
    assert resolved.sha == committed
    assert await repos.read_file(str(repo.work), resolved.sha, "app/cm.yaml") == (
        b"kind: ConfigMap\n"
    )


async def test_a_snapshot_needs_a_full_sha(repos: Repositories, repo: GitRepo) -> None:
    with pytest.raises(errors.RevisionNotFoundError, match="resolve the revision first"):
        await repos.snapshot(repo.url, "main")


async def test_files_of_a_commit_can_be_read_before_any_resolve(
    repos: Repositories, repo: GitRepo
) -> None:
    sha = repo.head()
    assert await repos.list_paths(repo.url, sha) == ["app/cm.yaml"]
    assert await repos.read_file(repo.url, sha, "app/cm.yaml") == b"kind: ConfigMap\n"


@pytest.mark.parametrize("revision", ["main", "--output=/tmp/x", "abc1234"])
async def test_file_access_takes_only_full_shas(
    repos: Repositories, repo: GitRepo, revision: str
) -> None:
    with pytest.raises(errors.RevisionNotFoundError, match="not a full commit SHA"):
        await repos.list_paths(repo.url, revision)
    with pytest.raises(errors.RevisionNotFoundError, match="not a full commit SHA"):
        await repos.read_file(repo.url, revision, "app/cm.yaml")
