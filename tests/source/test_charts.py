"""Helm charts from a chart repository over HTTP: versions and ranges, caching, credentials
kept to their origin, and the caps and refusals that keep a hostile repository out."""

from __future__ import annotations

import base64
import hashlib
import http.server
import io
import sys
import tarfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from gitferry.model import errors
from gitferry.source import charts, credentials, repositories

pytestmark = pytest.mark.anyio

CHART_YAML = "apiVersion: v2\nname: demo\nversion: {version}\n"
TEMPLATE = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"


def package(
    files: dict[str, bytes], extra: Callable[[tarfile.TarFile], None] | None = None
) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            archive.addfile(info, io.BytesIO(data))
        if extra is not None:
            extra(archive)
    return buffer.getvalue()


def demo(version: str) -> bytes:
    return package(
        {
            "demo/Chart.yaml": CHART_YAML.format(version=version).encode(),
            "demo/templates/cm.yaml": TEMPLATE.encode(),
        }
    )


class ChartServer:
    """A chart repository: `index.yaml` and archives, optionally behind Basic auth."""

    def __init__(self, username: str = "", password: str = "") -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                auth = self.headers.get("Authorization")
                server.requests.append((self.path, auth))
                token = base64.b64encode(f"{username}:{password}".encode()).decode()
                if username and auth != f"Basic {token}":
                    self.send_response(401)
                    self.end_headers()
                    return
                body = server.files.get(self.path.split("?")[0])
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/charts"

    def publish(self, archives: dict[str, bytes], *, link: str = "", digest: bool = True) -> None:
        entries = []
        for version, data in archives.items():
            self.files[f"/charts/demo-{version}.tgz"] = data
            entry = {
                "name": "demo",
                "version": version,
                "urls": [f"{link}demo-{version}.tgz"],
            }
            if digest:
                entry["digest"] = hashlib.sha256(data).hexdigest()
            entries.append(entry)
        index = {"apiVersion": "v1", "entries": {"demo": entries}}
        self.files["/charts/index.yaml"] = yaml.safe_dump(index).encode()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[ChartServer]:
    running = ChartServer()
    running.publish({v: demo(v) for v in ("0.1.0", "0.2.0", "0.2.1-rc.1", "1.0.0")})
    yield running
    running.close()


def make(tmp_path: Path, **limits: int) -> repositories.Repositories:
    return repositories.Repositories(tmp_path / "cache", chart_limits=charts.ChartLimits(**limits))


VERSIONS = [
    ("0.1.0", "0.1.0"),
    ("^0.1", "0.1.0"),
    ("0.*", "0.2.0"),
    (">=0.2.1-0 <1.0.0", "0.2.1-rc.1"),
    ("*", "1.0.0"),
    ("1.0.0", "1.0.0"),
]


@pytest.mark.parametrize(("wanted", "found"), VERSIONS)
async def test_chart_versions_and_ranges(
    tmp_path: Path, server: ChartServer, wanted: str, found: str
) -> None:
    chart = await make(tmp_path).chart(server.url, "demo", wanted)
    assert f"version: {found}" in (chart / "Chart.yaml").read_text()
    assert chart.name == "demo"


async def test_a_chart_version_is_downloaded_once(tmp_path: Path, server: ChartServer) -> None:
    repos = make(tmp_path)
    first = await repos.chart(server.url, "demo", "0.2.0")
    count = len(server.requests)
    assert await repos.chart(server.url, "demo", "0.2.0") == first
    assert await make(tmp_path).chart(server.url, "demo", "0.2.0") == first  # a new process
    assert len(server.requests) == count


@pytest.mark.parametrize(("chart", "version"), [("demo", "9.9.9"), ("other", "0.1.0")])
async def test_missing_charts_and_versions_say_so(
    tmp_path: Path, server: ChartServer, chart: str, version: str
) -> None:
    with pytest.raises(errors.RevisionNotFoundError, match="has no version matching"):
        await make(tmp_path).chart(server.url, chart, version)


async def test_the_index_size_is_capped(tmp_path: Path, server: ChartServer) -> None:
    with pytest.raises(errors.RepositoryError, match="larger than the 64-byte limit for a index"):
        await make(tmp_path, max_index_bytes=64).chart(server.url, "demo", "0.1.0")


async def test_the_archive_size_is_capped(tmp_path: Path, server: ChartServer) -> None:
    with pytest.raises(errors.RepositoryError, match="limit for a chart"):
        await make(tmp_path, max_archive_bytes=64).chart(server.url, "demo", "0.1.0")


async def test_an_archive_that_does_not_match_its_digest_is_refused(
    tmp_path: Path, server: ChartServer
) -> None:
    server.publish({"0.1.0": demo("0.1.0")})
    server.files["/charts/demo-0.1.0.tgz"] = demo("0.1.1")
    with pytest.raises(errors.RepositoryError, match="does not match the digest"):
        await make(tmp_path).chart(server.url, "demo", "0.1.0")


def _symlink(archive: tarfile.TarFile) -> None:
    info = tarfile.TarInfo("demo/templates/secret.yaml")
    info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
    archive.addfile(info)


def _hardlink(archive: tarfile.TarFile) -> None:
    info = tarfile.TarInfo("demo/templates/hard.yaml")
    info.type, info.linkname = tarfile.LNKTYPE, "/etc/passwd"
    archive.addfile(info)


def _fifo(archive: tarfile.TarFile) -> None:
    info = tarfile.TarInfo("demo/fifo")
    info.type = tarfile.FIFOTYPE
    archive.addfile(info)


BASE = {"demo/Chart.yaml": CHART_YAML.format(version="0.1.0").encode()}
HOSTILE = [
    (package({**BASE, "demo/../../escape.yaml": b"x"}), "points outside"),
    (package({**BASE, "/tmp/absolute.yaml": b"x"}), "points outside"),
    (package(BASE, _symlink), "not a regular file"),
    (package(BASE, _hardlink), "not a regular file"),
    (package(BASE, _fifo), "not a regular file"),
    (package({**BASE, **{f"demo/f{i}": b"" for i in range(50)}}), "more than 20 entries"),
    (package({**BASE, "demo/big": b"\0" * 5000}), "unpacks to more than 4096 bytes"),
    (package({**BASE, "other/Chart.yaml": b"x"}), "one top directory"),
    (b"not a tarball", "not a valid .tgz"),
]


@pytest.mark.parametrize(("archive", "message"), HOSTILE)
async def test_hostile_archives_are_refused(
    tmp_path: Path, server: ChartServer, archive: bytes, message: str
) -> None:
    server.publish({"0.1.0": archive})
    repos = make(tmp_path, max_files=20, max_unpacked_bytes=4096)
    with pytest.raises(errors.RepositoryError, match=message):
        await repos.chart(server.url, "demo", "0.1.0")
    assert not (tmp_path / "escape.yaml").exists()
    assert not list((tmp_path / "cache" / "charts").rglob("*.yaml"))  # nothing left behind


async def test_credentials_reach_only_the_repositorys_origin(tmp_path: Path) -> None:
    private = ChartServer(username="bob", password="chart-pass-31")
    elsewhere = ChartServer()
    try:
        archive = demo("0.1.0")  # once: gzip stamps the second, so two builds may differ
        elsewhere.files["/charts/demo-0.1.0.tgz"] = archive
        private.publish({"0.1.0": archive}, link=elsewhere.url + "/")
        secret = {
            "metadata": {"labels": {credentials.SECRET_TYPE_LABEL: "repository"}},
            "stringData": {"url": private.url, "username": "bob", "password": "chart-pass-31"},
        }
        repos = repositories.Repositories(
            tmp_path / "cache", credentials=lambda url: credentials.pick(url, [secret])
        )
        chart = await repos.chart(private.url, "demo", "0.1.0")
        assert (chart / "Chart.yaml").is_file()
        assert private.requests[-1][1] is not None  # index.yaml with Basic auth
        assert elsewhere.requests == [("/charts/demo-0.1.0.tgz", None)]
        with pytest.raises(errors.RepositoryUnreachableError) as caught:
            await make(tmp_path / "anonymous").chart(private.url, "demo", "0.1.0")
        assert "401" in str(caught.value) and "credentials" in str(caught.value)
    finally:
        private.close()
        elsewhere.close()


async def test_oci_charts_need_the_helm_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "helm_python", None)
    with pytest.raises(errors.RepositoryError, match=r"install gitferry\[helm\]"):
        await make(tmp_path).chart("oci://registry.example.invalid/charts", "demo", "1.0.0")


async def test_git_urls_and_oci_urls_are_not_mixed_up(tmp_path: Path) -> None:
    repos = make(tmp_path)
    with pytest.raises(errors.RepositoryError, match="set `chart`"):
        await repos.resolve("oci://registry.example.invalid/charts", "1.0.0")
    with pytest.raises(errors.RepositoryError, match="https:// or oci://"):
        await repos.chart("git@github.com:org/repo.git", "demo", "1.0.0")


async def test_the_example_guestbook_chart_renders_after_download(
    tmp_path: Path, corpus: Path
) -> None:
    helm = pytest.importorskip("helm_python")
    source = corpus / "argocd-example-apps" / "helm-guestbook"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(source, arcname="helm-guestbook")
    version = yaml.safe_load((source / "Chart.yaml").read_text())["version"]
    running = ChartServer()
    try:
        data = buffer.getvalue()
        running.files[f"/charts/helm-guestbook-{version}.tgz"] = data
        running.files["/charts/index.yaml"] = yaml.safe_dump(
            {
                "apiVersion": "v1",
                "entries": {
                    "helm-guestbook": [
                        {"version": version, "urls": [f"helm-guestbook-{version}.tgz"]}
                    ]
                },
            }
        ).encode()
        chart_dir = await make(tmp_path).chart(running.url, "helm-guestbook", version)
    finally:
        running.close()
    with helm.Chart.load(str(chart_dir)) as chart:
        rendered = chart.render({}, name="demo", namespace="default")
    assert any("Deployment" in text for text in rendered.values())
