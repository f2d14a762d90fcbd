"""URL normalisation (Argo CD's NormalizeGitURL), redaction and classification."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitferry.model import errors
from gitferry.source import urls

NORMALIZED = [
    ("https://GitHub.com/ArgoProj/Argo-CD.git", "https://github.com/argoproj/argo-cd"),
    ("git@github.com:argoproj/test.git", "git@github.com/argoproj/test"),
    ("ssh://git@github.com/argoproj/test.git", "git@github.com/argoproj/test"),
    ("ssh://git@GITHUB.com:argoproj/test", ""),
    ("https://github.com/a/b.git/", "https://github.com/a/b.git/"),
    ("  https://example.com/x  ", "https://example.com/x"),
    ("*", "*"),
    ("https://gitlab.com/group/**", "https://gitlab.com/group/**"),
]


@pytest.mark.parametrize(("url", "expected"), NORMALIZED)
def test_normalize_matches_argo_cd(url: str, expected: str) -> None:
    assert urls.normalize(url) == expected


REDACTED = [
    ("fatal: https://user:s3cret@host/x.git", "fatal: https://user:***@host/x.git"),
    ("https://ghp_token@github.com/o/r", "https://***@github.com/o/r"),
    ("ssh://git@host/repo", "ssh://git@host/repo"),
    ("ssh://git:pw@host/repo", "ssh://git:***@host/repo"),
    ("no url here", "no url here"),
    ("two http://a:b@x and https://c:d@y", "two http://a:***@x and https://c:***@y"),
]


@pytest.mark.parametrize(("text", "expected"), REDACTED)
def test_redact_hides_passwords_and_tokens(text: str, expected: str) -> None:
    assert urls.redact(text) == expected


CLASSIFIED = [
    ("https://example.com/r.git", urls.Transport.HTTPS),
    ("http://example.com/r.git", urls.Transport.HTTPS),
    ("git@github.com:o/r.git", urls.Transport.SSH),
    ("ssh://git@example.com:2222/r.git", urls.Transport.SSH),
    ("oci://registry.example/charts", urls.Transport.OCI),
    ("file:///srv/git/r.git", urls.Transport.LOCAL),
    ("/srv/git/r.git", urls.Transport.LOCAL),
    ("./relative/dir", urls.Transport.LOCAL),
]


@pytest.mark.parametrize(("url", "transport"), CLASSIFIED)
def test_classify_tells_how_a_repository_is_reached(url: str, transport: urls.Transport) -> None:
    assert urls.classify(url).transport is transport


def test_classify_moves_userinfo_into_credentials() -> None:
    location = urls.classify("https://me:pa%40ss@example.com/r.git")
    assert (location.url, location.username, location.password) == (
        "https://example.com/r.git",
        "me",
        "pa@ss",
    )
    assert "pa" not in location.display


def test_relative_paths_are_taken_from_the_base(tmp_path: Path) -> None:
    assert urls.classify("sub/dir", base=tmp_path).path == tmp_path / "sub" / "dir"


@pytest.mark.parametrize(
    "url",
    [
        "ext::sh -c touch% /tmp/pwned",
        "-uhack",
        "--upload-pack=touch /tmp/x",
        "fd::3",
        "git://example.com/r",
        "ssh://-oProxyCommand=x/r",
        "",
        "https://exa mple.com\n/r",
    ],
)
def test_urls_that_would_make_git_run_something_are_refused(url: str) -> None:
    with pytest.raises(errors.RepositoryError):
        urls.classify(url)
