"""Repository credentials: reading Argo CD's repository Secrets and picking the ones for a URL.

Argo CD keeps credentials in Secrets labelled `argocd.argoproj.io/secret-type`:
`repository` (one repository, matched on the normalised URL) and `repo-creds` (a template
for every repository whose normalised URL starts with the template's). `pick` follows
Argo CD's order: the repository Secret with the same URL first; if it has no credentials of
its own (or there is none), the `repo-creds` template with the longest matching prefix.

Pure functions over the Secret dicts as stored in Kubernetes (`data` base64-encoded,
`stringData` plain). The controller and the CLI call `pick` and hand the result to
`Repositories` through its `credentials` callable.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from gitferry.source import urls

SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type"
REPOSITORY = "repository"
REPO_CREDS = "repo-creds"


@dataclass(frozen=True)
class Credentials:
    """What is needed to reach one repository. Secrets never show in `repr`."""

    url: str = ""  # the Secret's `url` (a prefix, for repo-creds)
    username: str = ""
    password: str = field(default="", repr=False)  # a password or an access token
    ssh_private_key: str = field(default="", repr=False)
    insecure: bool = False  # skip TLS verification / SSH host key checking
    type: str = "git"  # git | helm | oci
    name: str = ""
    project: str = ""

    @property
    def has_secrets(self) -> bool:
        """Whether these carry anything to authenticate with (Argo CD's `HasCredentials`)."""
        return bool(self.username or self.password or self.ssh_private_key)

    def secrets(self) -> tuple[str, ...]:
        """The secret strings, so that any text can be scrubbed of them."""
        return tuple(s for s in (self.password, self.ssh_private_key) if s)


def from_secret(secret: Mapping[str, Any]) -> tuple[str, Credentials] | None:
    """(`repository` or `repo-creds`, credentials) of a Secret dict; None for other Secrets."""
    labels = (secret.get("metadata") or {}).get("labels") or {}
    kind = labels.get(SECRET_TYPE_LABEL)
    if kind not in (REPOSITORY, REPO_CREDS):
        return None
    fields = _fields(secret)
    creds = Credentials(
        url=fields.get("url", ""),
        username=fields.get("username", ""),
        password=fields.get("password", ""),
        ssh_private_key=fields.get("sshPrivateKey", ""),
        insecure=fields.get("insecure", "").strip().lower() == "true",
        type=fields.get("type", "") or "git",
        name=fields.get("name", ""),
        project=fields.get("project", ""),
    )
    return kind, creds


def pick(
    url: str, secrets: Iterable[Mapping[str, Any]], *, project: str = ""
) -> Credentials | None:
    """The credentials Argo CD would use for `url`, or None.

    Secrets scoped to a project (`project` field) only match when `project` names it; among
    matches, a project-scoped Secret wins over a global one.
    """
    wanted = urls.normalize(url)
    repository: Credentials | None = None
    templates: list[Credentials] = []
    for secret in secrets:
        parsed = from_secret(secret)
        if parsed is None:
            continue
        kind, creds = parsed
        if creds.project and creds.project != project:
            continue
        if kind == REPO_CREDS:
            templates.append(creds)
        elif urls.normalize(creds.url) == wanted and _better(creds, repository):
            repository = creds
    if repository is not None and repository.has_secrets:
        return repository
    template = _longest_prefix(wanted, templates)
    if template is None:
        return repository
    if repository is None:
        return replace(template, url=url)
    return replace(
        repository,
        username=template.username,
        password=template.password,
        ssh_private_key=template.ssh_private_key,
    )


def _better(candidate: Credentials, current: Credentials | None) -> bool:
    if current is None:
        return True
    return bool(candidate.project) and not current.project


def _longest_prefix(wanted: str, templates: list[Credentials]) -> Credentials | None:
    best: Credentials | None = None
    best_length = 0
    for creds in templates:
        prefix = urls.normalize(creds.url)
        if not prefix or not wanted.startswith(prefix):
            continue
        longer = len(prefix) > best_length
        same = len(prefix) == best_length and best is not None and _better(creds, best)
        if longer or same:
            best, best_length = creds, len(prefix)
    return best


def _fields(secret: Mapping[str, Any]) -> dict[str, str]:
    """`data` decoded, overlaid with `stringData` (as the API server merges them on write)."""
    out: dict[str, str] = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            out[str(key)] = base64.b64decode(str(value), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            continue  # an undecodable field is treated as absent, never echoed
    for key, value in (secret.get("stringData") or {}).items():
        out[str(key)] = str(value)
    return out
