"""Resolving revisions against real repositories: HEAD, branches, tags, SHAs, semver, the
revision TTL, refresh, coalesced fetches, and the fallback to cached revisions."""

from __future__ import annotations

import asyncio

import pytest

from gitferry._kit.clock import FakeClock
from gitferry.model import errors
from gitferry.source import repositories
from gitferry.testing.git import GitCallRecorder, GitRepo

pytestmark = pytest.mark.anyio
Repositories = repositories.Repositories


@pytest.fixture
def history(repo: GitRepo) -> dict[str, str]:
    """main: c1 - c2 - c3; tags v1.0.0 (c1, annotated), v1.1.0 (c2), v2.0.0-rc.1 (c3),
    app-v1.5.0 (c3), release (c2); branch `feature` at c1 ahead by one commit."""
    c1 = repo.head()
    c2 = repo.commit({"a.txt": "2"}, "second")
    c3 = repo.commit({"a.txt": "3"}, "third")
    tag1 = repo.tag("v1.0.0", c1, annotated=True)
    repo.tag("v1.1.0", c2)
    repo.tag("v2.0.0-rc.1", c3)
    repo.tag("app-v1.5.0", c3)
    repo.tag("release", c2)
    repo.checkout("feature", create=True)
    repo.git("reset", "--quiet", "--hard", c1)
    feature = repo.commit({"f.txt": "f"}, "feature work")
    repo.checkout("main")
    return {"c1": c1, "c2": c2, "c3": c3, "tag1": tag1, "feature": feature}


RESOLVED = [
    # (revision, tag prefix, expected commit, why)
    ("HEAD", "", "c3", "the remote's HEAD"),
    ("", "", "c3", "empty means HEAD"),
    ("main", "", "c3", "a branch"),
    ("refs/heads/main", "", "c3", "a full ref name"),
    ("feature", "", "feature", "another branch"),
    ("release", "", "c2", "a lightweight tag"),
    ("v1.0.0", "", "c1", "an annotated tag, peeled to its commit"),
    ("1.1.0", "", "c2", "a plain version matches a v-prefixed tag"),
    ("v1.*", "", "c2", "the highest tag in range; pre-releases left out"),
    (">=1.0.0 <2.0.0", "", "c2", "a range"),
    ("^1.0", "", "c2", "caret"),
    ("~1.0.0", "", "c1", "tilde"),
    (">=2.0.0-0", "", "c3", "pre-releases when the constraint names one"),
    ("^1.0", "app-", "c3", "tagPrefix filters and is cut before parsing"),
]


@pytest.mark.parametrize(("revision", "prefix", "expected", "why"), RESOLVED)
async def test_revisions_resolve_like_argo_cd(
    repos: Repositories,
    repo: GitRepo,
    history: dict[str, str],
    revision: str,
    prefix: str,
    expected: str,
    why: str,
) -> None:
    resolved = await repos.resolve(repo.url, revision, tag_prefix=prefix)
    assert resolved.sha == history[expected], why
    assert not resolved.from_cache


async def test_annotated_tags_name_their_tag_object(
    repos: Repositories, repo: GitRepo, history: dict[str, str]
) -> None:
    resolved = await repos.resolve(repo.url, "v1.0.0")
    assert (resolved.sha, resolved.tag_object) == (history["c1"], history["tag1"])
    assert (await repos.resolve(repo.url, "release")).tag_object == ""


@pytest.mark.parametrize("length", [40, 12, 7])
async def test_full_and_short_shas_resolve_to_the_full_sha(
    repos: Repositories, repo: GitRepo, history: dict[str, str], length: int
) -> None:
    resolved = await repos.resolve(repo.url, history["c2"][:length])
    assert resolved.sha == history["c2"]


async def test_a_branch_wins_over_a_tag_of_the_same_name(
    repos: Repositories, repo: GitRepo, history: dict[str, str]
) -> None:
    repo.tag("feature", history["c1"])
    assert (await repos.resolve(repo.url, "feature")).sha == history["feature"]


@pytest.mark.parametrize("revision", ["nope", "v9.*", "deadbeefdeadbeef"])
async def test_unknown_revisions_say_so(
    repos: Repositories, repo: GitRepo, history: dict[str, str], revision: str
) -> None:
    with pytest.raises(errors.RevisionNotFoundError, match=f"repo {repo.url}: revision"):
        await repos.resolve(repo.url, revision)


async def test_a_commit_that_no_ref_leads_to_is_fetched_by_sha(
    repos: Repositories, repo: GitRepo
) -> None:
    await repos.resolve(repo.url, "main")
    orphan = repo.commit({"x": "orphan"}, "only on the remote", push=False)
    repo.git("push", "--quiet", "origin", f"{orphan}:refs/hidden/x")
    assert (await repos.resolve(repo.url, orphan)).sha == orphan


async def test_a_moved_branch_is_seen_after_the_ttl_or_a_refresh(
    repos: Repositories, repo: GitRepo, clock: FakeClock
) -> None:
    old = (await repos.resolve(repo.url, "main")).sha
    new = repo.commit({"b.txt": "b"}, "moved")
    clock.advance(179)
    assert (await repos.resolve(repo.url, "main")).sha == old
    clock.advance(2)
    assert (await repos.resolve(repo.url, "main")).sha == new
    newer = repo.commit({"b.txt": "c"}, "moved again")
    assert (await repos.resolve(repo.url, "main")).sha == new
    await repos.refresh(repo.url)
    assert (await repos.resolve(repo.url, "main")).sha == newer


async def test_force_pushes_and_deleted_tags_follow_the_remote(
    repos: Repositories, repo: GitRepo, history: dict[str, str], clock: FakeClock
) -> None:
    assert (await repos.resolve(repo.url, "release")).sha == history["c2"]
    repo.tag("release", history["c1"])  # moved tag
    repo.git("push", "--quiet", "origin", ":refs/tags/v1.1.0")  # deleted tag
    repo.reset(history["c1"])  # force-pushed branch
    clock.advance(181)
    assert (await repos.resolve(repo.url, "release")).sha == history["c1"]
    assert (await repos.resolve(repo.url, "main")).sha == history["c1"]
    assert (await repos.resolve(repo.url, "v1.*")).sha == history["c1"]


async def test_concurrent_resolves_share_one_fetch(
    repos: Repositories, repo: GitRepo, history: dict[str, str], recorder: GitCallRecorder
) -> None:
    revisions = ["main", "feature", "v1.*", "release", "HEAD"] * 10
    found = await asyncio.gather(*(repos.resolve(repo.url, r) for r in revisions))
    assert {r.sha for r in found} == {history["c3"], history["feature"], history["c2"]}
    assert recorder.count("fetch") == 1


async def test_refreshes_during_a_fetch_share_one_more_fetch(
    repos: Repositories, repo: GitRepo, recorder: GitCallRecorder
) -> None:
    first = asyncio.create_task(repos.resolve(repo.url, "main"))
    await asyncio.sleep(0)  # the first fetch is under way
    await asyncio.gather(first, *(repos.refresh(repo.url) for _ in range(5)))
    assert recorder.count("fetch") == 2


async def test_a_known_full_sha_needs_no_fetch(
    repos: Repositories,
    repo: GitRepo,
    history: dict[str, str],
    recorder: GitCallRecorder,
    clock: FakeClock,
) -> None:
    await repos.resolve(repo.url, "main")
    clock.advance(1000)
    recorder.clear()
    assert (await repos.resolve(repo.url, history["c1"])).sha == history["c1"]
    assert recorder.count("fetch") == 0


async def test_an_unreachable_repository_serves_cached_revisions(
    repos: Repositories,
    repo: GitRepo,
    history: dict[str, str],
    clock: FakeClock,
    recorder: GitCallRecorder,
) -> None:
    assert (await repos.resolve(repo.url, "main")).sha == history["c3"]
    repo.delete_remote()
    clock.advance(181)
    resolved = await repos.resolve(repo.url, "main")
    assert (resolved.sha, resolved.from_cache) == (history["c3"], True)
    assert resolved.warning.startswith(f"repo {repo.url}: fetch failed")
    snapshot = await repos.snapshot(repo.url, resolved.sha)
    assert (snapshot / "a.txt").read_text() == "3"
    with pytest.raises(errors.RepositoryUnreachableError, match="not in the cached copy"):
        await repos.resolve(repo.url, "never-pushed")
    with pytest.raises(errors.RepositoryUnreachableError, match="not in the cached copy"):
        await repos.resolve(repo.url, "f" * 40)
    # The failure is remembered for a while: no new git fetch per call.
    fetches = recorder.count("fetch")
    await repos.resolve(repo.url, "feature")
    assert recorder.count("fetch") == fetches


async def test_the_mirror_of_an_earlier_process_is_a_fallback(
    tmp_path: pytest.TempPathFactory,
    repo: GitRepo,
    history: dict[str, str],
    clock: FakeClock,
    repos: Repositories,
) -> None:
    await repos.resolve(repo.url, "main")
    repo.delete_remote()
    restarted = Repositories(repos.cache_dir, clock=clock)
    resolved = await restarted.resolve(repo.url, "v1.0.0")
    assert (resolved.sha, resolved.from_cache) == (history["c1"], True)


async def test_a_repository_never_reached_gives_a_clear_error(repos: Repositories) -> None:
    with pytest.raises(errors.RepositoryUnreachableError) as caught:
        await repos.resolve("http://127.0.0.1:9/nothing.git", "main")
    assert str(caught.value).startswith("repo http://127.0.0.1:9/nothing.git: fetch failed")
    assert caught.value.retryable


async def test_a_remote_head_naming_a_missing_branch_still_fetches(
    repos: Repositories, tmp_path: pytest.TempPathFactory
) -> None:
    made = GitRepo.create(tmp_path / "odd", branch="trunk")  # type: ignore[operator]
    sha = made.commit({"x": "1"})
    made.git("--git-dir", str(made.remote), "symbolic-ref", "HEAD", "refs/heads/master")
    assert (await repos.resolve(made.url, "trunk")).sha == sha
    with pytest.raises(errors.RevisionNotFoundError):
        await repos.resolve(made.url, "HEAD")
