"""Credentials reach git and nothing else: https through GIT_ASKPASS against a real HTTP Git
server with Basic auth, SSH keys through a 0600 file; never in argv, ps, logs or errors."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gitferry.model import errors
from gitferry.source import credentials, repositories
from gitferry.testing.git import GitCallRecorder, GitRepo, HttpGitServer

pytestmark = pytest.mark.anyio
PASSWORD = "s3cr3t-Pa55word-4242"


def repository_secret(url: str, username: str, password: str) -> dict[str, Any]:
    return {
        "metadata": {
            "name": "repo",
            "labels": {credentials.SECRET_TYPE_LABEL: credentials.REPOSITORY},
        },
        "data": {
            k: base64.b64encode(v.encode()).decode()
            for k, v in {"url": url, "username": username, "password": password}.items()
        },
    }


@pytest.fixture
def server(repo: GitRepo) -> Iterator[HttpGitServer]:
    with HttpGitServer(repo.remote.parent, username="alice", password=PASSWORD) as running:
        yield running


def with_secret(tmp_path: Path, url: str, username: str, password: str) -> Any:
    secrets = [repository_secret(url, username, password)]
    return repositories.Repositories(
        tmp_path / "cache",
        credentials=lambda u: credentials.pick(u, secrets),
        git_timeout=30.0,
    )


async def test_credentials_from_a_secret_open_the_repository(
    tmp_path: Path, repo: GitRepo, server: HttpGitServer
) -> None:
    url = server.url("remote.git")
    repos = with_secret(tmp_path, url, "alice", PASSWORD)
    assert (await repos.resolve(url, "main")).sha == repo.head()


@pytest.mark.parametrize(
    ("username", "password"), [("alice", "wrong-password-777"), ("", ""), ("mallory", PASSWORD)]
)
async def test_wrong_or_missing_credentials_fail_clearly(
    tmp_path: Path, server: HttpGitServer, username: str, password: str
) -> None:
    url = server.url("remote.git")
    repos = with_secret(tmp_path, url, username, password)
    with pytest.raises(errors.RepositoryUnreachableError) as caught:
        await repos.resolve(url, "main")
    message = str(caught.value)
    assert message.startswith(f"repo {url}: authentication failed")
    assert "repository Secret" in message
    assert PASSWORD not in message and "wrong-password-777" not in message


async def test_userinfo_in_the_url_works_and_is_redacted(
    tmp_path: Path, repo: GitRepo, server: HttpGitServer
) -> None:
    repos = repositories.Repositories(tmp_path / "cache", git_timeout=30.0)
    good = server.url("remote.git").replace("http://", f"http://alice:{PASSWORD}@")
    assert (await repos.resolve(good, "main")).sha == repo.head()
    bad = server.url("remote.git").replace("http://", "http://alice:leaky-secret-99@")
    fresh = repositories.Repositories(tmp_path / "other", git_timeout=30.0)
    with pytest.raises(errors.RepositoryUnreachableError) as caught:
        await fresh.resolve(bad, "main")
    assert "leaky-secret-99" not in str(caught.value)
    assert "leaky-secret-99" not in repr(caught.value)


async def test_the_password_is_in_no_argv_ps_output_or_log(
    tmp_path: Path,
    repo: GitRepo,
    recorder: GitCallRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with HttpGitServer(repo.remote.parent, username="alice", password=PASSWORD, delay=0.2) as slow:
        url = slow.url("remote.git")
        repos = with_secret(tmp_path, url, "alice", PASSWORD)
        seen: list[str] = []
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                seen.append(
                    subprocess.run(
                        ["ps", "-eww", "-o", "args"], capture_output=True, text=True
                    ).stdout
                )

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            await repos.resolve(url, "main")
            wrong = with_secret(tmp_path / "other", url, "alice", PASSWORD + "-not")
            with pytest.raises(errors.RepositoryUnreachableError):
                await wrong.resolve(url, "main")
        finally:
            stop.set()
            watcher.join()
    assert any("remote-http" in snapshot or "git fetch" in snapshot for snapshot in seen)
    assert not any(PASSWORD in snapshot for snapshot in seen)
    assert recorder.count("fetch") == 2
    assert not any(PASSWORD in arg for call in recorder.calls() for arg in call)
    assert PASSWORD not in caplog.text


FAKE_SSH = """#!/bin/sh
key=""; prev=""
for a in "$@"; do [ "$prev" = "-i" ] && key="$a"; prev="$a"; done
{
  printf 'args:'; printf ' %s' "$@"; printf '\\n'
  if [ -n "$key" ]; then printf 'mode: %s\\n' "$(stat -c %a "$key")"; fi
  if [ -n "$key" ]; then printf 'key: %s\\n' "$(head -n 1 "$key")"; fi
  printf 'file: %s\\n' "$key"
} >> "{log}"
for last in "$@"; do :; done
exec sh -c "$last"
"""


def fake_ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An `ssh` on PATH that records how it was called and serves the repository locally."""
    bin_dir, log = tmp_path / "ssh-bin", tmp_path / "ssh.log"
    bin_dir.mkdir()
    (bin_dir / "ssh").write_text(FAKE_SSH.replace("{log}", str(log)))
    (bin_dir / "ssh").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return log


@pytest.mark.parametrize("insecure", [False, True])
async def test_ssh_keys_go_through_a_private_temporary_file(
    tmp_path: Path, repo: GitRepo, monkeypatch: pytest.MonkeyPatch, insecure: bool
) -> None:
    log = fake_ssh(tmp_path, monkeypatch)
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----"
    creds = credentials.Credentials(ssh_private_key=key, insecure=insecure)
    repos = repositories.Repositories(tmp_path / "cache", credentials=lambda _: creds)
    url = f"ssh://git@git.example.invalid{repo.remote}"
    assert (await repos.resolve(url, "main")).sha == repo.head()
    record = log.read_text()
    assert "mode: 600" in record
    assert "key: -----BEGIN OPENSSH PRIVATE KEY-----" in record
    assert "IdentitiesOnly=yes" in record
    checking = "StrictHostKeyChecking=no" if insecure else "StrictHostKeyChecking=accept-new"
    assert checking in record
    assert "not-a-real-key" not in record.split("key:")[0]  # not in argv
    key_file = next(ln for ln in record.splitlines() if ln.startswith("file:")).split()[1]
    assert not Path(key_file).exists()


async def test_ssh_without_a_key_uses_no_ambient_identity_or_config(
    tmp_path: Path, repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = fake_ssh(tmp_path, monkeypatch)
    repos = repositories.Repositories(tmp_path / "cache")
    await repos.resolve(f"git@git.example.invalid:{repo.remote}", "main")
    args = log.read_text().splitlines()[0]
    for option in ("-F /dev/null", "IdentityFile=none", "IdentityAgent=none", "BatchMode=yes"):
        assert option in args


async def test_a_fetch_that_hangs_is_killed_at_the_timeout(tmp_path: Path) -> None:
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/r.git"
    repos = repositories.Repositories(tmp_path / "cache", git_timeout=1.0)
    try:
        started = asyncio.get_running_loop().time()
        with pytest.raises(errors.RepositoryUnreachableError, match="did not finish within 1s"):
            await repos.resolve(url, "main")
        assert asyncio.get_running_loop().time() - started < 5
    finally:
        listener.close()
