"""Masterminds/semver v3 constraint rules, as Argo CD applies them to tags and chart versions."""

from __future__ import annotations

import pytest

from gitferry.source import semver

CHECKS = [
    # (constraint, version, satisfied)
    ("1.2.*", "1.2.9", True),
    ("1.2.*", "1.3.0", False),
    ("1.2.x", "1.2.0", True),
    ("1.2", "1.2.7", True),
    ("*", "9.9.9", True),
    ("*", "1.0.0-rc.1", False),
    (">=1.0.0 <2.0.0", "1.9.9", True),
    (">=1.0.0 <2.0.0", "2.0.0", False),
    (">=1.0.0, <2.0.0", "1.0.0", True),
    ("^1.2", "1.9.0", True),
    ("^1.2", "2.0.0", False),
    ("^1.2.3", "1.2.2", False),
    ("^0.2.3", "0.2.9", True),
    ("^0.2.3", "0.3.0", False),
    ("^0.0.3", "0.0.4", False),
    ("^0", "0.9.0", True),
    ("~1.2.3", "1.2.9", True),
    ("~1.2.3", "1.3.0", False),
    ("~1", "1.9.0", True),
    ("~1", "2.0.0", False),
    ("~>1.2", "1.2.5", True),
    (">1", "1.5.0", False),
    (">1", "2.0.0", True),
    (">1.1", "1.1.9", False),
    (">1.1", "1.2.0", True),
    ("<=1.2", "1.2.9", True),
    ("<=1.2", "1.3.0", False),
    ("!=1.2.3", "1.2.4", True),
    ("!=1.2.3", "1.2.3", False),
    ("!=1.2.x", "1.2.4", False),
    ("1.2 - 1.4.5", "1.4.5", True),
    ("1.2 - 1.4.5", "1.4.6", False),
    ("<1.0.0 || >=2.0.0", "2.1.0", True),
    ("<1.0.0 || >=2.0.0", "1.1.0", False),
    (">=1.0.0-0", "1.0.0-rc.1", True),
    (">=1.0.0-0 <2.0.0", "1.5.0-beta", True),
    (">=1.0.0", "1.5.0-beta", False),
    ("=v1.2.3", "1.2.3", True),
    ("1.2.3", "1.2.3+build.5", True),
]


@pytest.mark.parametrize(("constraint", "version", "satisfied"), CHECKS)
def test_constraints_follow_masterminds_rules(
    constraint: str, version: str, satisfied: bool
) -> None:
    parsed = semver.parse_constraint(constraint)
    assert parsed is not None
    candidate = semver.parse_version(version)
    assert candidate is not None
    assert parsed.check(candidate) is satisfied


@pytest.mark.parametrize("text", ["main", "HEAD", "release-1", "feature/x", ">= ", "1.2.3.4"])
def test_branch_names_are_not_constraints(text: str) -> None:
    assert semver.parse_constraint(text) is None


ORDER = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.1",
    "v2",
]


def test_precedence_follows_the_semver_spec() -> None:
    versions = [semver.parse_version(v) for v in ORDER]
    assert all(v is not None for v in versions)
    assert sorted(versions) == versions  # type: ignore[type-var]


def test_loose_versions_are_coerced() -> None:
    assert semver.parse_version("v1.2") == semver.Version(1, 2, 0)
    assert semver.parse_version("1") == semver.Version(1, 0, 0)
    assert semver.parse_version("release-1") is None


def test_best_picks_the_highest_match() -> None:
    constraint = semver.parse_constraint("^1.0")
    assert constraint is not None
    tags = {}
    for tag in ["v1.0.0", "v1.4.0", "v2.0.0", "v1.10.0"]:
        version = semver.parse_version(tag)
        assert version is not None
        tags[tag] = version
    assert semver.best(constraint, tags) == "v1.10.0"
