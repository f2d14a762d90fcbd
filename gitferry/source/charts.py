"""Helm charts from chart repositories (HTTP) and OCI registries, unpacked and cached.

A chart version is unpacked once per (repository, chart, version) into the cache (into a
temporary directory, then renamed) and reused. `targetRevision` is the chart version: an
exact version, or a semver constraint that picks the highest version of the index.

HTTP repositories are read here with a size cap on `index.yaml` and on the archive (Argo CD
advisory GHSA-jhwx-mhww-rgc3), a timeout, the digest of the index checked, and credentials
sent only to the repository's own origin (never to another host the index points at, nor
across a redirect). OCI registries go through helm-python-sdk (the `gitferry[helm]` extra),
whose download is checked against the same cap after the fact. Archives are unpacked by
`archives.extract` (no links, no escapes, capped). Called by `repositories`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import re
import shutil
import ssl
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gitferry._kit.clock import Clock
from gitferry.model import errors
from gitferry.source import archives, semver, urls
from gitferry.source.credentials import Credentials
from gitferry.source.git import scrub_text


@dataclass(frozen=True, kw_only=True)
class ChartLimits:
    """Caps on what a chart repository may make gitferry download and unpack."""

    max_index_bytes: int = 128 << 20  # index.yaml of the largest public repositories: ~50 MiB
    max_archive_bytes: int = 20 << 20  # a packed chart
    max_unpacked_bytes: int = 100 << 20  # Helm's own cap on a decompressed chart
    max_files: int = 10_000
    timeout: float = 60.0  # seconds for one download


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects, dropping the Authorization header when the origin changes."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and _origin(newurl) != _origin(req.full_url):
            new.remove_header("Authorization")
        return new


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), parts.netloc.rpartition("@")[2].lower()


class Charts:
    """Chart archives, downloaded and unpacked under `root`."""

    def __init__(self, root: Path, limits: ChartLimits, clock: Clock, ttl: float) -> None:
        self.root = root
        self.limits = limits
        self.clock = clock
        self.ttl = ttl
        self._indexes: dict[str, tuple[float, dict[str, Any]]] = {}
        self._oci_versions: dict[tuple[str, str], tuple[float, str]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def forget(self, url: str) -> None:
        """Drop what is cached in memory about one repository (its index, resolved ranges)."""
        self._indexes.pop(url, None)
        for key in [k for k in self._oci_versions if k[0] == url]:
            del self._oci_versions[key]

    async def get(
        self, location: urls.Location, chart: str, version: str, creds: Credentials | None
    ) -> Path:
        """The directory of the unpacked chart (the one holding `Chart.yaml`)."""
        subject = f"repo {location.display}"
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]*", chart) or ".." in chart:
            raise errors.RepositoryError(f"{subject}: {chart!r} is not a valid chart name")
        if not version:
            raise errors.RevisionNotFoundError(
                f"{subject}: chart {chart}: targetRevision (the chart version) is required"
            )
        base = self.root / hashlib.sha256(location.url.encode()).hexdigest()[:16] / chart
        lock = self._locks.setdefault(str(base), asyncio.Lock())
        async with lock:
            if location.transport is urls.Transport.OCI:
                return await self._oci(location, chart, version, creds, base, subject)
            return await self._http(location, chart, version, creds, base, subject)

    async def _http(
        self,
        location: urls.Location,
        chart: str,
        version: str,
        creds: Credentials | None,
        base: Path,
        subject: str,
    ) -> Path:
        if semver.parse_version(version) is not None and (base / version).is_dir():
            return _chart_dir(base / version, subject)
        index = await self._index(location, creds, subject)
        entries = (index.get("entries") or {}).get(chart) or []
        entry = _pick(entries, version)
        if entry is None:
            raise errors.RevisionNotFoundError(
                f"{subject}: chart {chart} has no version matching {version!r}; "
                "check targetRevision against the repository's index.yaml"
            )
        exact = _checked_version(str(entry["version"]), subject)
        if (base / exact).is_dir():
            return _chart_dir(base / exact, subject)
        link = urllib.parse.urljoin(location.url.rstrip("/") + "/", str(entry["urls"][0]))
        auth = _origin(link) == _origin(location.url)
        data = await self._download(link, creds if auth else None, location, subject, "chart")
        expected = str(entry.get("digest") or "")
        if expected and hashlib.sha256(data).hexdigest() != expected.removeprefix("sha256:"):
            raise errors.RepositoryError(
                f"{subject}: chart {chart} {exact}: the archive does not match the digest "
                "in index.yaml"
            )
        return self._unpack(data, base / exact, subject)

    async def _index(
        self, location: urls.Location, creds: Credentials | None, subject: str
    ) -> dict[str, Any]:
        cached = self._indexes.get(location.url)
        if cached is not None and self.clock.monotonic() - cached[0] < self.ttl:
            return cached[1]
        link = location.url.rstrip("/") + "/index.yaml"
        data = await self._download(link, creds, location, subject, "index")
        try:
            index = yaml.load(data, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError as err:
            raise errors.RepositoryError(f"{subject}: index.yaml is not valid YAML") from err
        if not isinstance(index, dict):
            raise errors.RepositoryError(f"{subject}: index.yaml is not a chart index")
        self._indexes[location.url] = (self.clock.monotonic(), index)
        return index

    async def _download(
        self,
        link: str,
        creds: Credentials | None,
        location: urls.Location,
        subject: str,
        what: str,
    ) -> bytes:
        cap = self.limits.max_index_bytes if what == "index" else self.limits.max_archive_bytes
        username = (creds.username if creds else "") or location.username
        password = (creds.password if creds else "") or location.password
        insecure = creds is not None and creds.insecure

        def fetch() -> bytes:
            request = urllib.request.Request(link, headers={"User-Agent": "gitferry"})
            if username or password:
                token = base64.b64encode(f"{username}:{password}".encode()).decode()
                request.add_unredirected_header("Authorization", f"Basic {token}")
            context = ssl.create_default_context()
            if insecure:
                context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            opener = urllib.request.build_opener(
                _SameOriginRedirects, urllib.request.HTTPSHandler(context=context)
            )
            with opener.open(request, timeout=self.limits.timeout) as response:
                declared = int(response.headers.get("Content-Length") or 0)
                if declared > cap:
                    raise _TooLarge
                data = response.read(cap + 1)
                if len(data) > cap:
                    raise _TooLarge
                return bytes(data)

        shown = scrub_text(link, (password,))
        try:
            return await asyncio.wait_for(asyncio.to_thread(fetch), self.limits.timeout * 2)
        except _TooLarge:
            raise errors.RepositoryError(
                f"{subject}: {shown} is larger than the {cap}-byte limit for a {what}; "
                "raise the chart limits if this repository is trusted"
            ) from None
        except urllib.error.HTTPError as err:
            hint = "; check the repository credentials" if err.code in (401, 403) else ""
            raise errors.RepositoryUnreachableError(
                f"{subject}: GET {shown} answered {err.code} {err.reason}{hint}"
            ) from None
        except (urllib.error.URLError, OSError, TimeoutError) as err:
            reason = scrub_text(str(getattr(err, "reason", err)), (password,))
            raise errors.RepositoryUnreachableError(
                f"{subject}: GET {shown} failed ({reason}); check the URL and the network"
            ) from None

    def _unpack(self, data: bytes, final: Path, subject: str) -> Path:
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(dir=final.parent, prefix=".unpack."))
        try:
            tops = archives.extract(
                io.BytesIO(data),
                temporary,
                subject,
                max_files=self.limits.max_files,
                max_bytes=self.limits.max_unpacked_bytes,
            )
            if len(tops) != 1:
                raise errors.RepositoryError(
                    f"{subject}: a chart archive must hold one top directory, not {tops}"
                )
            temporary.rename(final)
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
        return _chart_dir(final, subject)

    async def _oci(
        self,
        location: urls.Location,
        chart: str,
        version: str,
        creds: Credentials | None,
        base: Path,
        subject: str,
    ) -> Path:
        exact = semver.parse_version(version) is not None
        known = self._oci_versions.get((location.url, version))
        if exact and (base / version).is_dir():
            return _chart_dir(base / version, subject)
        if known and self.clock.monotonic() - known[0] < self.ttl:
            return _chart_dir(base / known[1], subject)
        try:
            import helm_python as helm
        except ImportError:
            raise errors.RepositoryError(
                f"{subject}: OCI Helm charts need helm-python-sdk; install gitferry[helm]"
            ) from None
        reference = f"{location.url.rstrip('/')}/{chart}"
        password = creds.password if creds else ""
        with tempfile.TemporaryDirectory(dir=self.root) as download:

            def pull() -> None:
                helm.pull(
                    reference,
                    destination=download,
                    version=version,
                    username=(creds.username if creds else None) or None,
                    password=password or None,
                    insecure_skip_tls_verify=bool(creds and creds.insecure),
                )

            try:
                await asyncio.wait_for(asyncio.to_thread(pull), self.limits.timeout * 2)
            except (helm.HelmError, TimeoutError) as err:
                reason = scrub_text(str(err), (password,))
                raise errors.RepositoryUnreachableError(
                    f"{subject}: cannot pull chart {chart} {version} ({reason})"
                ) from None
            archive = next(Path(download).glob("*.tgz"), None)
            if archive is None or archive.stat().st_size > self.limits.max_archive_bytes:
                raise errors.RepositoryError(
                    f"{subject}: chart {chart} {version}: no archive, or one larger than "
                    f"{self.limits.max_archive_bytes} bytes"
                )
            resolved = archive.name.removeprefix(f"{chart.rsplit('/', 1)[-1]}-")
            resolved = _checked_version(resolved.removesuffix(".tgz"), subject)
            self._oci_versions[(location.url, version)] = (self.clock.monotonic(), resolved)
            if (base / resolved).is_dir():
                return _chart_dir(base / resolved, subject)
            return self._unpack(archive.read_bytes(), base / resolved, subject)


class _TooLarge(Exception):
    pass


def _pick(entries: list[Any], version: str) -> dict[str, Any] | None:
    """The index entry of `version`: an exact match, else the highest one the constraint
    allows (Helm and Argo CD use the same Masterminds semver rules)."""
    usable = [e for e in entries if isinstance(e, dict) and e.get("urls") and e.get("version")]
    for entry in usable:
        if str(entry["version"]) == version:
            return entry
    constraint = semver.parse_constraint(version)
    if constraint is None:
        return None
    versions = {}
    for position, entry in enumerate(usable):
        parsed = semver.parse_version(str(entry["version"]))
        if parsed is not None:
            versions[str(position)] = parsed
    winner = semver.best(constraint, versions)
    return usable[int(winner)] if winner is not None else None


def _checked_version(version: str, subject: str) -> str:
    """A version from a repository, safe to use as a directory name."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+-]*", version):
        raise errors.RepositoryError(f"{subject}: {version!r} is not a valid chart version")
    return version


def _chart_dir(unpacked: Path, subject: str) -> Path:
    tops = [p for p in unpacked.iterdir() if p.is_dir()]
    if len(tops) != 1 or not (tops[0] / "Chart.yaml").is_file():
        raise errors.RepositoryError(f"{subject}: the chart archive holds no Chart.yaml")
    return tops[0]
