"""Picking credentials from Argo CD's repository Secrets (exact repository first, then the
longest repo-creds prefix)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from gitferry.source import credentials


def secret(kind: str, encode: bool = True, **fields: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": fields.get("name", "s"),
            "labels": {credentials.SECRET_TYPE_LABEL: kind},
        },
    }
    if encode:
        body["data"] = {k: base64.b64encode(v.encode()).decode() for k, v in fields.items()}
    else:
        body["stringData"] = fields
    return body


SECRETS = [
    secret("repo-creds", url="https://github.com/org", username="org", password="org-pw"),
    secret("repo-creds", url="https://github.com/org/team", username="team", password="t-pw"),
    secret("repository", url="https://github.com/org/app.git", username="app", password="a-pw"),
    secret("repository", encode=False, url="https://github.com/org/bare", insecure="true"),
    secret(
        "repository",
        url="git@github.com:org/ssh.git",
        sshPrivateKey="-----BEGIN KEY-----\nx\n",
    ),
    secret("cluster", url="https://github.com/org/app", username="no", password="no"),
]

PICKED = [
    # (repoURL, expected username, why)
    ("https://github.com/org/app", "app", "exact repository, normalised (no .git)"),
    ("https://GitHub.com/ORG/App.git", "app", "normalisation lowercases"),
    ("https://github.com/org/team/x", "team", "longest repo-creds prefix wins"),
    ("https://github.com/org/other", "org", "shorter template when the longer does not match"),
    ("https://github.com/org/bare", "org", "a repository without credentials takes a template's"),
    ("https://gitlab.com/x/y", None, "nothing matches"),
]


@pytest.mark.parametrize(("url", "username", "why"), PICKED)
def test_pick_follows_argo_cd_order(url: str, username: str | None, why: str) -> None:
    picked = credentials.pick(url, SECRETS)
    assert (picked.username if picked else None) == username, why


def test_a_repository_secret_keeps_its_own_settings_when_borrowing_credentials() -> None:
    picked = credentials.pick("https://github.com/org/bare", SECRETS)
    assert picked is not None
    assert (picked.insecure, picked.password, picked.url) == (
        True,
        "org-pw",
        "https://github.com/org/bare",
    )


def test_ssh_keys_are_read_from_scp_like_urls() -> None:
    picked = credentials.pick("ssh://git@github.com/org/ssh", SECRETS)
    assert picked is not None and picked.ssh_private_key.startswith("-----BEGIN KEY")


def test_secrets_never_show_in_repr() -> None:
    picked = credentials.pick("https://github.com/org/app", SECRETS)
    assert "a-pw" not in repr(picked)


def test_project_scoped_secrets_match_only_their_project() -> None:
    scoped = [
        secret("repository", url="https://h/r", username="global", password="g"),
        secret("repository", url="https://h/r", username="scoped", password="s", project="p1"),
    ]
    assert credentials.pick("https://h/r", scoped).username == "global"  # type: ignore[union-attr]
    assert credentials.pick("https://h/r", scoped, project="p1").username == "scoped"  # type: ignore[union-attr]
    assert credentials.pick("https://h/r", scoped, project="p2").username == "global"  # type: ignore[union-attr]


def test_string_data_overrides_data_and_bad_base64_is_ignored() -> None:
    body = secret("repository", url="https://h/r", username="old")
    body["data"]["password"] = "***not base64***"
    body["stringData"] = {"username": "new"}
    picked = credentials.pick("https://h/r", [body])
    assert picked is not None and (picked.username, picked.password) == ("new", "")
