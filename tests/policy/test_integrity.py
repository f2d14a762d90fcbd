"""Effective source integrity of a project (reference 2.7): `signatureKeys`, the 3.5
`sourceIntegrity.git.policies`, and which policy applies to a repository."""

from __future__ import annotations

from typing import Any

import pytest

from gitferry.policy import integrity
from gitferry.policy.project import Project


def project(**spec: Any) -> Project:
    return Project.parse({"kind": "AppProject", "metadata": {"name": "p"}, "spec": spec})


FPR = "0123456789ABCDEF0123456789ABCDEF01234567"
# (spec, repo URL, mode, keys, error) -- reference 2.7
INTEGRITY_CASES: list[tuple[dict[str, Any], str, str, tuple[str, ...], str]] = [
    ({}, "https://x/r", "none", (), ""),
    (
        {"signatureKeys": [{"keyID": "4AEE18F83AFDEB23"}]},
        "https://x/r",
        "head",
        ("4AEE18F83AFDEB23",),
        "",
    ),
    ({"signatureKeys": [{"keyID": FPR}]}, "https://x/r", "head", ("89ABCDEF01234567",), ""),
    ({"signatureKeys": [{"keyID": "nope"}]}, "https://x/r", "head", (), ""),
    (
        {
            "signatureKeys": [{"keyID": "4AEE18F83AFDEB23"}],
            "sourceIntegrity": {
                "git": {
                    "policies": [
                        {
                            "repos": [{"url": "https://a/*"}],
                            "gpg": {"mode": "strict", "keys": ["1111111111111111"]},
                        }
                    ]
                }
            },
        },
        "https://a/r",
        "strict",
        ("1111111111111111",),
        "",
    ),
    (
        {
            "sourceIntegrity": {
                "git": {
                    "policies": [
                        {
                            "repos": [{"url": "https://a/*"}, {"url": "!https://a/x"}],
                            "gpg": {"mode": "head", "keys": []},
                        }
                    ]
                }
            }
        },
        "https://a/x",
        "none",
        (),
        "",
    ),
    (
        {
            "sourceIntegrity": {
                "git": {"policies": [{"repos": [{"url": "*"}], "gpg": {"mode": "head"}}] * 2}
            }
        },
        "https://a/x",
        "none",
        (),
        "multiple (2) git source integrity policies found",
    ),
]


@pytest.mark.parametrize(("spec", "url", "mode", "keys", "error"), INTEGRITY_CASES)
def test_effective_source_integrity(
    spec: dict[str, Any], url: str, mode: str, keys: tuple[str, ...], error: str
) -> None:
    check = project(**spec).integrity_for(url)
    assert (check.mode, check.keys) == (integrity.Mode(mode), keys)
    assert error in check.error and bool(error) == bool(check.error)


def test_bad_key_ids_and_ignored_signature_keys_are_reported() -> None:
    assert "not a GnuPG key ID" in project(signatureKeys=[{"keyID": "nope"}]).problems[0]
    both = project(
        signatureKeys=[{"keyID": "4AEE18F83AFDEB23"}],
        sourceIntegrity={"git": {"policies": []}},
    )
    assert "signatureKeys: ignored" in both.problems[0]
    assert both.signature_key_ids("https://x/r") == ()
