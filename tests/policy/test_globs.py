"""Argo CD's matching primitives (reference 1.1-1.3): gobwas globs, Go `path.Match`, and
`MatchStringInList`. Every row is a case of the reference's tables."""

from __future__ import annotations

import pytest

from gitferry.policy.globs import ListMode, glob_match, match_in_list, path_match

# (pattern, text, separator, matches) -- reference 1.1
GLOB_CASES = [
    ("hello", "hello", False, True),
    ("hell", "hello", False, False),
    ("hell*", "hello", False, True),
    ("h*", "hello", False, True),
    ("e*", "hello", False, False),
    ("e[[a*", "e[[a*", False, False),
    ("arg/*", "arg/123", False, True),
    ("*", "", False, True),
    ("*", "a/b", False, True),
    ("*", "a/b", True, False),
    ("foo/*", "foo/bar/baz", False, True),
    ("a?c", "a/c", False, True),
    ("a?c", "a/c", True, False),
    ("[!abc]x", "dx", False, True),
    ("[!abc]x", "ax", False, False),
    ("[^a]x", "bx", False, False),
    ("[^a]x", "^x", False, True),
    ("[a-c]x", "bx", False, True),
    ("[a-c]x", "dx", False, False),
    ("{a,b}*", "bzz", False, True),
    ("{a,b}*", "czz", False, False),
    ("{a*,b}/x", "abc/x", False, True),
    ("\\*", "*", False, True),
    ("\\*", "a", False, False),
    ("", "", False, True),
    ("", "a", False, False),
    ("https://gitlab.com/group/*", "https://gitlab.com/group/repo/owner", True, False),
    ("https://gitlab.com/group/**", "https://gitlab.com/group/repo/owner", True, True),
    ("https://gitlab.com/group/*/*", "https://gitlab.com/group/repo/owner", True, True),
]


@pytest.mark.parametrize(
    ("pattern", "text", "separator", "expected"),
    GLOB_CASES,
    ids=[f"{p!r}~{t!r}{'/sep' if s else ''}" for p, t, s, _ in GLOB_CASES],
)
def test_glob_match_follows_gobwas(
    pattern: str, text: str, separator: bool, expected: bool
) -> None:
    assert glob_match(pattern, text, separator=separator) is expected


# (pattern, text, matches) -- reference 1.3
PATH_CASES = [
    ("*", "", True),
    ("", "", True),
    ("", "apps", False),
    ("*", "a/b", False),
    ("**", "a/b", False),
    ("p1/*", "p1/p2/app", False),
    ("p1/*", "p1/app", True),
    ("[^a]pps", "apps", False),
    ("[^a]pps", "bpps", True),
    ("[!a]pps", "!pps", True),
    ("[!a]pps", "bpps", False),
    ("{a,b}", "a", False),
    ("{a,b}", "{a,b}", True),
    ("[", "[", False),
    ("Deploy?ent", "Deployment", True),
]


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    PATH_CASES,
    ids=[f"{p!r}~{t!r}" for p, t, _ in PATH_CASES],
)
def test_path_match_follows_go_path_match(pattern: str, text: str, expected: bool) -> None:
    assert path_match(pattern, text) is expected


# (item, list, mode, matches) -- reference 1.2
LIST_CASES: list[tuple[str, list[str], ListMode, bool]] = [
    ("test", ["test"], "exact", True),
    ("test", ["*"], "exact", False),
    ("test", ["*"], "glob", True),
    ("test", ["other*", "te*"], "glob", True),
    ("test", [""], "exact", False),
    ("test", [], "glob", False),
    ("disallowed", ["/^((?!disallowed).)*$/"], "regexp", False),
    ("allowed", ["/^((?!disallowed).)*$/"], "regexp", True),
    ("some-ns", ["/ns/"], "regexp", True),
    ("some-ns", ["some-*"], "regexp", True),
    ("some-ns", ["/ns/"], "glob", False),
]


@pytest.mark.parametrize(
    ("item", "items", "mode", "expected"),
    LIST_CASES,
    ids=[f"{i!r}-in-{li!r}-{m}" for i, li, m, _ in LIST_CASES],
)
def test_match_in_list_follows_match_string_in_list(
    item: str, items: list[str], mode: ListMode, expected: bool
) -> None:
    assert match_in_list(items, item, mode) is expected
