"""Git repositories for tests: a work tree with a bare "remote", signing keys, an HTTP Git
server with Basic auth, and a recorder of git invocations.

    repo = GitRepo.create(tmp_path / "apps")
    sha = repo.commit({"app/cm.yaml": "kind: ConfigMap", "link": Symlink("../outside")})
    repo.tag("v1.0.0", annotated=True)
    repo.url                      # the bare remote: give it to gitferry as repoURL

Everything runs the real git CLI with a private configuration (no global or system config,
fixed author and dates), so results are the same on every machine. Used by gitferry's tests
(`tests/source`, the renderer's and the controller's) and by users testing their own setup.
"""

from __future__ import annotations

import base64
import http.server
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Symlink:
    """A file content that makes `GitRepo.commit` write a symbolic link to `target`."""

    target: str


@dataclass(frozen=True)
class Executable:
    """A file content committed with mode 0755."""

    content: str | bytes


FileContent = str | bytes | Symlink | Executable | None  # None deletes the file


def _env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Test Author",
        GIT_AUTHOR_EMAIL="author@example.invalid",
        GIT_COMMITTER_NAME="Test Author",
        GIT_COMMITTER_EMAIL="author@example.invalid",
        GIT_TERMINAL_PROMPT="0",
        LC_ALL="C",
    )
    env.update(extra or {})
    return env


def git(*args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> str:
    """Run git with the test configuration; its stdout, stripped. Raises on failure."""
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=_env(env), capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.strip()


@dataclass
class GpgKey:
    """A signing key in its own GNUPGHOME. Call `close` to stop the gpg-agent it started."""

    home: Path
    key_id: str  # long key ID, 16 hex
    fingerprint: str
    public_key: str  # ASCII-armoured

    @classmethod
    def generate(cls, home: Path, user: str = "Test Signer <signer@example.invalid>") -> GpgKey:
        home.mkdir(parents=True, mode=0o700)
        env = {**os.environ, "GNUPGHOME": str(home)}

        def gpg(*args: str) -> str:
            return subprocess.run(
                ["gpg", "--batch", *args], env=env, capture_output=True, text=True, check=True
            ).stdout

        gpg("--passphrase", "", "--quick-gen-key", user, "ed25519", "sign", "1d")
        records = [ln.split(":") for ln in gpg("--list-secret-keys", "--with-colons").splitlines()]
        key_id = next(r[4] for r in records if r[0] == "sec")
        fingerprint = next(r[9] for r in records if r[0] == "fpr")
        return cls(home, key_id, fingerprint, gpg("--armor", "--export", key_id))

    def env(self) -> dict[str, str]:
        return {"GNUPGHOME": str(self.home)}

    def close(self) -> None:
        subprocess.run(
            ["gpgconf", "--homedir", str(self.home), "--kill", "all"],
            capture_output=True,
            check=False,
        )


@dataclass
class GitRepo:
    """A work tree whose commits are pushed to a bare remote (the URL under test)."""

    work: Path
    remote: Path
    branch: str = "main"
    _clock: int = field(default=1_700_000_000, repr=False)

    @classmethod
    def create(cls, root: Path, *, branch: str = "main") -> GitRepo:
        """An empty repository: `root/work` (the work tree) and `root/remote.git`."""
        root.mkdir(parents=True, exist_ok=True)
        work, remote = root / "work", root / "remote.git"
        git("init", "--quiet", f"--initial-branch={branch}", str(work))
        git("init", "--quiet", "--bare", f"--initial-branch={branch}", str(remote))
        git("remote", "add", "origin", str(remote), cwd=work)
        return cls(work, remote, branch)

    @property
    def url(self) -> str:
        """The bare remote's path, usable as a repoURL."""
        return str(self.remote)

    def git(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        return git(*args, cwd=self.work, env=env)

    def _dates(self) -> dict[str, str]:
        self._clock += 60  # distinct, reproducible commit dates
        stamp = f"@{self._clock} +0000"
        return {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}

    def commit(
        self,
        files: Mapping[str, FileContent],
        message: str = "change",
        *,
        sign_with: GpgKey | None = None,
        push: bool = True,
    ) -> str:
        """Write `files` (relative paths), commit everything, push the branch; the new SHA."""
        for name, content in files.items():
            path = self.work / name
            if path.is_symlink() or path.exists():
                path.unlink()
            if content is None:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Symlink):
                path.symlink_to(content.target)
                continue
            data = content.content if isinstance(content, Executable) else content
            path.write_bytes(data.encode() if isinstance(data, str) else data)
            path.chmod(0o755 if isinstance(content, Executable) else 0o644)
        self.git("add", "--all")
        env = self._dates()
        args = ["commit", "--quiet", "--allow-empty", "-m", message]
        if sign_with is not None:
            env.update(sign_with.env())
            args = ["-c", f"user.signingkey={sign_with.key_id}", *args, "--gpg-sign"]
        self.git(*args, env=env)
        if push:
            self.push()
        return self.head()

    def head(self, revision: str = "HEAD") -> str:
        return self.git("rev-parse", f"{revision}^{{commit}}")

    def push(self) -> None:
        """Push the current branch (forced, so rewritten history reaches the remote)."""
        branch = self.git("rev-parse", "--abbrev-ref", "HEAD")
        self.git("push", "--quiet", "--force", "origin", f"HEAD:refs/heads/{branch}")

    def checkout(self, branch: str, *, create: bool = False) -> None:
        self.git("checkout", "--quiet", *(["-b"] if create else []), branch)

    def reset(self, revision: str) -> None:
        """Move the current branch to `revision` (and push: a force-push on the remote)."""
        self.git("reset", "--quiet", "--hard", revision)
        self.push()

    def tag(
        self,
        name: str,
        revision: str = "HEAD",
        *,
        annotated: bool = False,
        sign_with: GpgKey | None = None,
        push: bool = True,
    ) -> str:
        """Create (or move) a tag; returns the tag object for annotated tags, else the commit."""
        env = self._dates()
        args = ["tag", "--force", name, revision]
        if sign_with is not None:
            env.update(sign_with.env())
            args = ["-c", f"user.signingkey={sign_with.key_id}", "tag", "--force", "-s"]
            args += ["-m", name, name, revision]
        elif annotated:
            args = ["tag", "--force", "-a", "-m", name, name, revision]
        self.git(*args, env=env)
        if push:
            self.git("push", "--quiet", "--force", "origin", f"refs/tags/{name}")
        return self.git("rev-parse", f"refs/tags/{name}")

    def delete_remote(self) -> Path:
        """Move the remote away (the repository becomes unreachable); returns where it went."""
        hidden = self.remote.with_name(self.remote.name + ".gone")
        self.remote.rename(hidden)
        return hidden


class GitCallRecorder:
    """A `git` on PATH that records the arguments of every call, then runs the real git.

    Prepend `bin` to PATH (e.g. `monkeypatch.setenv("PATH", f"{rec.bin}:{os.environ['PATH']}")`)
    and read `calls()`.
    """

    def __init__(self, root: Path) -> None:
        real = shutil.which("git")
        if real is None:
            raise RuntimeError("git is not installed")
        self.bin = root / "bin"
        self.log = root / "calls"
        self.bin.mkdir(parents=True)
        self.log.mkdir()
        shim = self.bin / "git"
        shim.write_text(
            "#!/bin/sh\n"
            f'f=$(mktemp "{self.log}/call.XXXXXXXX")\n'
            'printf \'%s\\0\' "$@" > "$f"\n'
            f'exec "{real}" "$@"\n'
        )
        shim.chmod(0o755)

    def calls(self) -> list[list[str]]:
        out = []
        for path in sorted(self.log.iterdir(), key=lambda p: p.stat().st_mtime_ns):
            out.append(path.read_bytes().decode().split("\0")[:-1])
        return out

    def count(self, subcommand: str) -> int:
        """How many calls ran `subcommand` (the first argument that is not an option)."""
        return sum(1 for call in self.calls() if _subcommand(call) == subcommand)

    def clear(self) -> None:
        for path in self.log.iterdir():
            path.unlink()


def _subcommand(argv: list[str]) -> str:
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("-C", "-c"):
            skip = True
        elif not arg.startswith("-"):
            return arg
    return ""


class HttpGitServer:
    """`git http-backend` behind a threaded HTTP server on 127.0.0.1, serving every bare
    repository under `root` (as `/<name>`), with optional Basic auth and a delay per request
    (to watch processes while a fetch is under way)."""

    def __init__(
        self, root: Path, *, username: str = "", password: str = "", delay: float = 0.0
    ) -> None:
        self.root = root
        self.username, self.password, self.delay = username, password, delay
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server._handle(self)

            def do_POST(self) -> None:
                server._handle(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"

    def __enter__(self) -> HttpGitServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _handle(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        self.requests.append(f"{handler.command} {handler.path}")
        if self.delay:
            time.sleep(self.delay)
        if self.username or self.password:
            expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            if handler.headers.get("Authorization") != f"Basic {expected}":
                handler.send_response(401)
                handler.send_header("WWW-Authenticate", 'Basic realm="git"')
                handler.send_header("Content-Length", "0")
                handler.end_headers()
                return
        path, _, query = handler.path.partition("?")
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        env = _env(
            {
                "GIT_PROJECT_ROOT": str(self.root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "REQUEST_METHOD": handler.command,
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "CONTENT_TYPE": handler.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "HTTP_CONTENT_ENCODING": handler.headers.get("Content-Encoding", ""),
                "GIT_PROTOCOL": handler.headers.get("Git-Protocol", ""),
                "REMOTE_USER": self.username,
                "REMOTE_ADDR": "127.0.0.1",
            }
        )
        with tempfile.TemporaryFile() as out:
            subprocess.run(
                ["git", "http-backend"], input=body, stdout=out, env=env, check=False, timeout=60
            )
            out.seek(0)
            raw = out.read()
        head, _, payload = raw.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = raw.partition(b"\n\n")
        status = 200
        headers = []
        for line in head.decode("latin-1").splitlines():
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.strip().split()[0])
            elif key:
                headers.append((key, value.strip()))
        handler.send_response(status)
        for key, value in headers:
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
