"""The small languages of sources: gobwas and doublestar globs, and `$VAR` substitution."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gitferry.model.errors import UnsafePathError
from gitferry.render import envsubst, globbing

# (pattern, path, matches) for directory include/exclude (gobwas, no separators)
GOBWAS = [
    ("*.yaml", "a.yaml", True),
    ("*.yaml", "sub/a.yaml", True),  # `*` crosses `/`
    ("*.yaml", "a.yml", False),
    ("**/a.yaml", "x/y/a.yaml", True),
    ("sub/*", "sub/a/b.json", True),
    ("{a,b}.yaml", "b.yaml", True),
    ("{a,b}.yaml", "c.yaml", False),
    ("{*.yaml,*.json}", "x.json", True),
    ("{config/**,app-{1,2}.yaml}", "app-2.yaml", True),
    ("?.yaml", "a.yaml", True),
    ("?.yaml", "ab.yaml", False),
    ("[ab].yaml", "b.yaml", True),
    ("[!ab].yaml", "b.yaml", False),
    ("[a-c].yaml", "c.yaml", True),
    ("\\*.yaml", "*.yaml", True),
    ("\\*.yaml", "a.yaml", False),
    ("a.yaml", "xa.yaml", False),  # anchored
    ("{unclosed", "{unclosed", False),  # a pattern that does not compile matches nothing
]


@pytest.mark.parametrize(("pattern", "path", "matches"), GOBWAS)
def test_gobwas_match(pattern: str, path: str, matches: bool) -> None:
    assert globbing.gobwas_match(pattern, path) is matches


# (pattern, matching files) for Helm value files (doublestar) over a fixed tree
TREE = ["values.yaml", "env/prod.yaml", "env/dev.yaml", "env/eu/prod.yaml", "other/x.yml"]
DOUBLESTAR = [
    ("env/*.yaml", ["env/dev.yaml", "env/prod.yaml"]),
    ("env/**/*.yaml", ["env/dev.yaml", "env/eu/prod.yaml", "env/prod.yaml"]),
    ("**/prod.yaml", ["env/eu/prod.yaml", "env/prod.yaml"]),
    ("*.yaml", ["values.yaml"]),
    ("{values,other/x}.y*", ["other/x.yml", "values.yaml"]),
    ("env/?ev.yaml", ["env/dev.yaml"]),
    ("missing/*.yaml", []),
]


@pytest.mark.parametrize(("pattern", "expected"), DOUBLESTAR)
def test_doublestar_glob(pattern: str, expected: list[str], tmp_path: Path, tree: Any) -> None:
    tree(tmp_path, dict.fromkeys(TREE, ""))
    assert globbing.doublestar_glob(tmp_path, pattern, tmp_path) == expected


def test_doublestar_glob_stays_in_the_repository(tmp_path: Path, tree: Any) -> None:
    tree(tmp_path, {"repo/a.yaml": "", "outside/b.yaml": ""})
    with pytest.raises(UnsafePathError):
        globbing.doublestar_glob(tmp_path / "repo", "../outside/*.yaml", tmp_path / "repo")


ENV = {"ARGOCD_APP_NAME": "guestbook", "ARGOCD_APP_REVISION": "abc123", "X": "1"}
# (text, expanded) with Go's os.Expand rules and Argo CD's mapping
EXPANSIONS = [
    ("plain", "plain"),
    ("$ARGOCD_APP_NAME", "guestbook"),
    ("${ARGOCD_APP_NAME}-x", "guestbook-x"),
    ("$ARGOCD_APP_NAME-x", "guestbook-x"),
    ("v-$ARGOCD_APP_REVISION", "v-abc123"),
    ("$UNKNOWN|", "|"),
    ("$$X", "$X"),
    ("cost: 5$", "cost: 5$"),
    ("a/$/b", "a/$/b"),
    ("${}x", "x"),
    ("${unclosed", "unclosed"),
    ("$1x", "x"),
    ("$X$X", "11"),
]


@pytest.mark.parametrize(("text", "expected"), EXPANSIONS)
def test_env_substitution(text: str, expected: str) -> None:
    assert envsubst.expand(text, ENV) == expected
