"""Repository URLs: what kind a `repoURL` is, Argo CD's normalised form, and redaction.

`classify` decides how a URL is reached (https, ssh, a local path, a Helm repository over HTTP,
an OCI registry) and refuses URLs that would make git run something (`ext::`, a leading `-`).
`normalize` is Argo CD's `NormalizeGitURL` (credential matching compares normalised URLs).
`redact` removes passwords and tokens from any text that may hold a URL; every message this
package produces goes through it. Called by the rest of `gitferry.source`.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from gitferry.model import errors


class Transport(StrEnum):
    """How a repository is reached."""

    HTTPS = "https"  # also plain http: same credentials, same git transport
    SSH = "ssh"
    LOCAL = "local"  # a local path or a file:// URL
    OCI = "oci"  # an OCI registry holding Helm charts


@dataclass(frozen=True)
class Location:
    """A classified repository URL.

    `url` is what git is given: the URL without any user:password (those become credentials),
    or the absolute path for local repositories. `display` is safe to print.
    """

    transport: Transport
    url: str
    display: str
    username: str = ""  # from the URL's userinfo, if it had one (https only)
    password: str = ""

    @property
    def path(self) -> Path:
        """The local directory of a LOCAL location."""
        return Path(self.url)


# Argo CD's `IsSSHURL` test, applied before normalisation.
_SCP_LIKE = re.compile(r"^(ssh://)?([^/:]*?)@[^@]+$")
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<info>[^/@\s]*)@")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def normalize(url: str) -> str:
    """Argo CD's `NormalizeGitURL`: lowercase, scp-like SSH to `ssh://`, no `.git`, no `ssh://`.

    Returns "" when the URL cannot be parsed (an invalid port, for example), as Argo CD does.
    """
    repo = url.strip().lower()
    if _SCP_LIKE.match(repo) and not repo.startswith("ssh://"):
        repo = "ssh://" + repo.replace(":", "/", 1)
    repo = repo.removesuffix(".git")
    try:
        parts = urllib.parse.urlsplit(repo)
        parts.port  # noqa: B018  (raises ValueError on an invalid port, like Go's url.Parse)
    except ValueError:
        return ""
    return urllib.parse.urlunsplit(parts).removeprefix("ssh://")


def redact(text: str) -> str:
    """`text` with the secret part of every URL userinfo replaced by `***`.

    `https://user:pw@host` becomes `https://user:***@host`; a lone token
    (`https://ghp_x@host`) becomes `https://***@host`. SSH user names (`ssh://git@host`)
    are not secrets and are kept.
    """

    def replace(match: re.Match[str]) -> str:
        scheme, info = match["scheme"], match["info"]
        user, sep, _ = info.partition(":")
        if sep:
            return f"{scheme}{user}:***@"
        if scheme.lower().startswith("ssh"):
            return match[0]
        return f"{scheme}***@"

    return _USERINFO.sub(replace, text)


def classify(url: str, *, base: Path | None = None) -> Location:
    """What `url` is and how to reach it; raises RepositoryError for URLs git must not run.

    Relative local paths are taken relative to `base` (default: the working directory).
    """
    text = url.strip()
    shown = redact(text)
    if not text:
        raise errors.RepositoryError("repo '': the repository URL is empty; set repoURL")
    if text.startswith("-") or "\n" in text or "\0" in text:
        raise errors.RepositoryError(f"repo {shown!r}: not a valid repository URL")
    lowered = text.lower()
    if lowered.startswith("oci://"):
        return Location(Transport.OCI, text, shown)
    if lowered.startswith(("https://", "http://")):
        parts = urllib.parse.urlsplit(text)
        if not parts.hostname or parts.hostname.startswith("-"):
            raise errors.RepositoryError(f"repo {shown}: the URL has no valid host")
        user = urllib.parse.unquote(parts.username or "")
        password = urllib.parse.unquote(parts.password or "")
        host = parts.netloc.rpartition("@")[2]
        clean = urllib.parse.urlunsplit(parts._replace(netloc=host))
        return Location(Transport.HTTPS, clean, clean, user, password)
    if lowered.startswith("file://"):
        path = Path(urllib.parse.unquote(urllib.parse.urlsplit(text).path))
        return _local(path, base)
    if lowered.startswith("ssh://") or _SCP_LIKE.match(text):
        rest = text[len("ssh://") :] if lowered.startswith("ssh://") else text
        host = rest.partition("@")[2] if "@" in rest else rest
        if not host or host.startswith("-"):
            raise errors.RepositoryError(f"repo {shown}: the URL has no valid host")
        return Location(Transport.SSH, text, shown)
    if _SCHEME.match(text) or "::" in text:
        # ext::, fd::, git:// and other transports: refused (ext:: runs commands).
        raise errors.RepositoryError(
            f"repo {shown}: unsupported URL scheme; use https://, ssh://, git@host:path, "
            "file:// or a local path"
        )
    return _local(Path(text), base)


def _local(path: Path, base: Path | None) -> Location:
    if not path.is_absolute():
        path = (base or Path.cwd()) / path
    resolved = str(Path(path).resolve())
    return Location(Transport.LOCAL, resolved, resolved)
