"""`NormalizeGitURL` (reference 1.4): the form sourceRepos and source URLs are compared in."""

from __future__ import annotations

import pytest

from gitferry.policy.giturls import normalize_git_url

# (input, normalised) -- reference 1.4, plus Go net/url behaviour it relies on
CASES = {
    "lowercases and strips .git": (
        "https://GitHub.com/ArgoProj/Argo-CD.git",
        "https://github.com/argoproj/argo-cd",
    ),
    "scp-like ssh shorthand": ("git@github.com:argoproj/test.git", "git@github.com/argoproj/test"),
    "ssh scheme is dropped": (
        "ssh://git@github.com/argoproj/test.git",
        "git@github.com/argoproj/test",
    ),
    "ssh with a colon path is an invalid port, so empty": (
        "ssh://git@GITHUB.com:argoproj/test",
        "",
    ),
    "only a final .git is stripped": ("https://github.com/a/b.git/", "https://github.com/a/b.git/"),
    "surrounding spaces are trimmed": ("  https://github.com/a/b  ", "https://github.com/a/b"),
    "star stays": ("*", "*"),
    "double star stays": ("https://gitlab.com/group/**", "https://gitlab.com/group/**"),
    "glob in the last segment stays": (
        "https://helm-charts.company.com/*",
        "https://helm-charts.company.com/*",
    ),
    "spaces in the path are escaped": ("https://github.com/a b", "https://github.com/a%20b"),
    "a non-numeric port is unparsable": ("https://x:abc/", ""),
    "a leading ! is not a URL": ("!https://x/*", ""),
    "an explicit port is kept": ("https://git.example:8443/r.git", "https://git.example:8443/r"),
}


@pytest.mark.parametrize(("url", "expected"), CASES.values(), ids=CASES.keys())
def test_normalize_git_url(url: str, expected: str) -> None:
    assert normalize_git_url(url) == expected


def test_unparsable_urls_all_normalise_to_the_same_empty_string() -> None:
    assert normalize_git_url("ssh://git@github.com:argoproj/test") == normalize_git_url(
        "ssh://git@GITHUB.com:argoproj/test"
    )
