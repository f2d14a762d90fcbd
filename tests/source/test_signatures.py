"""Commit and tag signatures checked with `git verify-commit --raw` against given keys only."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from gitferry.model import errors
from gitferry.source import repositories, signatures
from gitferry.source.signatures import SignatureStatus
from gitferry.testing.git import GitRepo, GpgKey

pytestmark = pytest.mark.anyio
Repositories = repositories.Repositories

STATUS_LINES = [
    (
        "[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG 0123456789ABCDEF Test <t@x>\n"
        "[GNUPG:] VALIDSIG AAAA0123456789ABCDEF 2026-01-01 1 0 4 0 22 8 01 AAAA\n",
        SignatureStatus.GOOD,
        "0123456789ABCDEF",
    ),
    ("[GNUPG:] BADSIG 0123456789ABCDEF Test <t@x>\n", SignatureStatus.BAD, "0123456789ABCDEF"),
    (
        "[GNUPG:] ERRSIG 0123456789ABCDEF 22 8 00 1767225600 9 -\n"
        "[GNUPG:] NO_PUBKEY 0123456789ABCDEF\n",
        SignatureStatus.UNKNOWN_KEY,
        "0123456789ABCDEF",
    ),
    (
        "[GNUPG:] ERRSIG 0123456789ABCDEF 99 8 00 1767225600 4 -\n",
        SignatureStatus.BAD,
        "0123456789ABCDEF",
    ),
    (
        "[GNUPG:] EXPKEYSIG 0123456789abcdef Test <t@x>\n",
        SignatureStatus.EXPIRED,
        "0123456789ABCDEF",
    ),
    (
        "[GNUPG:] REVKEYSIG 0123456789ABCDEF Test <t@x>\n",
        SignatureStatus.REVOKED,
        "0123456789ABCDEF",
    ),
    ("error: no signature found\n", SignatureStatus.UNSIGNED, ""),
]


@pytest.mark.parametrize(("output", "status", "key_id"), STATUS_LINES)
def test_gnupg_status_lines_map_to_a_status(
    output: str, status: SignatureStatus, key_id: str
) -> None:
    parsed = signatures.parse_status(output)
    assert (parsed.status, parsed.key_id) == (status, key_id)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GpgKey, GpgKey]]:
    root = tmp_path_factory.mktemp("gpg")
    signer, other = GpgKey.generate(root / "signer"), GpgKey.generate(root / "other")
    yield signer, other
    signer.close()
    other.close()


async def test_a_commit_signed_by_a_given_key_is_good(
    repos: Repositories, repo: GitRepo, keys: tuple[GpgKey, GpgKey]
) -> None:
    signer, other = keys
    sha = repo.commit({"x": "1"}, "signed", sign_with=signer)
    result = await repos.verify_commit(repo.url, sha, [other.public_key, signer.public_key])
    assert result.good
    assert result.key_id == signer.key_id.upper()
    assert result.fingerprint == signer.fingerprint.upper()
    assert "signer@example.invalid" in result.signer


async def test_an_unsigned_commit_is_unsigned(
    repos: Repositories, repo: GitRepo, keys: tuple[GpgKey, GpgKey]
) -> None:
    result = await repos.verify_commit(repo.url, repo.head(), [keys[0].public_key])
    assert result.status is SignatureStatus.UNSIGNED


async def test_a_signature_by_another_key_is_an_unknown_key(
    repos: Repositories, repo: GitRepo, keys: tuple[GpgKey, GpgKey]
) -> None:
    signer, other = keys
    sha = repo.commit({"x": "2"}, "signed by someone else", sign_with=other)
    result = await repos.verify_commit(repo.url, sha, [signer.public_key])
    assert (result.status, result.key_id) == (SignatureStatus.UNKNOWN_KEY, other.key_id.upper())
    assert (await repos.verify_commit(repo.url, sha, [])).status is SignatureStatus.UNKNOWN_KEY


async def test_a_signed_annotated_tag_is_verified_on_its_tag_object(
    repos: Repositories, repo: GitRepo, keys: tuple[GpgKey, GpgKey]
) -> None:
    signer, _ = keys
    repo.tag("v1.0.0", sign_with=signer)
    resolved = await repos.resolve(repo.url, "v1.0.0")
    assert resolved.tag_object
    tag = await repos.verify_commit(repo.url, resolved.tag_object, [signer.public_key])
    commit = await repos.verify_commit(repo.url, resolved.sha, [signer.public_key])
    assert (tag.status, commit.status) == (SignatureStatus.GOOD, SignatureStatus.UNSIGNED)


async def test_keyrings_are_made_once_per_key_set(
    repos: Repositories, repo: GitRepo, keys: tuple[GpgKey, GpgKey]
) -> None:
    signer, other = keys
    sha = repo.commit({"x": "3"}, "signed", sign_with=signer)
    for _ in range(3):
        await repos.verify_commit(repo.url, sha, [signer.public_key])
    await repos.verify_commit(repo.url, sha, [other.public_key])
    homes = [p for p in (repos.cache_dir / "gnupg").iterdir() if not p.name.startswith(".")]
    assert len(homes) == 2
    assert all(p.stat().st_mode & 0o777 == 0o700 for p in homes)


async def test_key_material_that_is_not_a_key_is_refused(
    repos: Repositories, repo: GitRepo
) -> None:
    with pytest.raises(errors.SignatureError, match="cannot import the public keys"):
        await repos.verify_commit(repo.url, repo.head(), ["not a key"])


async def test_only_full_shas_are_verified(repos: Repositories, repo: GitRepo) -> None:
    with pytest.raises(errors.RevisionNotFoundError, match="resolve the revision first"):
        await repos.verify_commit(repo.url, "main", [])


async def test_verification_leaves_no_gpg_process_behind(
    repos: Repositories, repo: GitRepo, keys: tuple[GpgKey, GpgKey]
) -> None:
    sha = repo.commit({"x": "4"}, "signed", sign_with=keys[0])
    assert (await repos.verify_commit(repo.url, sha, [keys[0].public_key])).good
    listing = subprocess.run(["ps", "-eww", "-o", "args"], capture_output=True, text=True)
    assert str(repos.cache_dir) not in listing.stdout
