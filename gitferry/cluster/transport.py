"""A lean HTTP/1.1 client for the Kubernetes API: keep-alive connections over asyncio streams.

The controller spends most of its time in API round trips, and a general-purpose HTTP stack
costs more CPU per request than the API server takes to answer one (measured: about a third of
the controller's CPU went to httpx in the CNOE benchmark). Kubernetes needs very little of
HTTP: JSON bodies with Content-Length, chunked responses for watches, bearer or basic auth,
TLS with a private CA and client certificates. That is all this module does.

Configuration (kubeconfig contexts, CA data, client certificates) is lightkube's; the TLS
context comes from lightkube's `verify_cluster`. Used only by `client.KubeClient`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from lightkube.config.client_adapter import verify_cluster
from lightkube.config.kubeconfig import SingleConfig
from lightkube.config.models import User

from gitferry.model.errors import ClusterUnreachableError, InputError

MAX_IDLE = 64


class TransportError(ClusterUnreachableError):
    """The connection failed or broke (no HTTP answer)."""


@dataclass
class Response:
    status: int
    body: bytes


class Transport:
    """Keep-alive connections to one API server."""

    def __init__(self, config: SingleConfig, *, timeout: float = 30.0) -> None:
        url = urlsplit(config.cluster.server)
        self._host = url.hostname or "127.0.0.1"
        self._tls = url.scheme == "https"
        self._port = url.port or (443 if self._tls else 80)
        self._prefix = url.path.rstrip("/")
        self._ssl: ssl.SSLContext | None = None
        if self._tls:
            self._ssl = verify_cluster(config.cluster, config.user or User(), config.abs_file)
        self._auth = _authorization(config)
        self._timeout = timeout
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        host = self._host if ":" not in self._host else f"[{self._host}]"
        self._host_header = f"{host}:{self._port}"

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            return await asyncio.wait_for(
                asyncio.open_connection(self._host, self._port, ssl=self._ssl, limit=2**24),
                self._timeout,
            )
        except (OSError, TimeoutError, ssl.SSLError) as err:
            raise TransportError(str(err) or type(err).__name__) from err

    def _head(self, method: str, path: str, content_type: str, length: int | None) -> bytes:
        lines = [
            f"{method} {self._prefix}{path} HTTP/1.1",
            f"Host: {self._host_header}",
            "User-Agent: gitferry/0.1",
            "Accept: application/json",
        ]
        if self._auth:
            lines.append(f"Authorization: {self._auth}")
        if length is not None:
            lines.append(f"Content-Type: {content_type}")
            lines.append(f"Content-Length: {length}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> Response:
        """One request on an idle connection (retried once on a fresh one when a kept-alive
        connection turns out to be closed)."""
        head = self._head(
            method,
            path,
            content_type,
            len(body)
            if body is not None
            else (0 if method in ("POST", "PUT", "PATCH", "DELETE") else None),
        )
        for attempt in (0, 1):
            reused = bool(self._idle) and attempt == 0
            reader, writer = self._idle.pop() if reused else await self._connect()
            try:
                writer.write(head + (body or b""))
                status, headers = await asyncio.wait_for(_read_head(reader), self._timeout)
                data = await asyncio.wait_for(_read_body(reader, headers), self._timeout)
            except (
                OSError,
                asyncio.IncompleteReadError,
                ConnectionError,
                ssl.SSLError,
                TimeoutError,
            ) as err:
                writer.close()
                if reused:
                    continue
                raise TransportError(str(err) or type(err).__name__) from err
            if headers.get("connection", "").lower() == "close" or len(self._idle) >= MAX_IDLE:
                writer.close()
            else:
                self._idle.append((reader, writer))
            return Response(status, data)
        raise TransportError("connection closed")  # pragma: no cover - loop always returns

    @contextlib.asynccontextmanager
    async def stream(
        self, path: str, read_timeout: float | None
    ) -> AsyncIterator[tuple[int, AsyncIterator[bytes]]]:
        """A GET whose response is read line by line (watches), on its own connection."""
        reader, writer = await self._connect()
        try:
            writer.write(self._head("GET", path, "", None))
            status, headers = await asyncio.wait_for(_read_head(reader), self._timeout)
            if status >= 400:
                body = await asyncio.wait_for(_read_body(reader, headers), self._timeout)

                async def error() -> AsyncIterator[bytes]:
                    yield body

                yield status, error()
                return
            yield status, _lines(reader, headers, read_timeout)
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError, TimeoutError) as err:
            raise TransportError(str(err) or type(err).__name__) from err
        finally:
            writer.close()

    async def close(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()


def _authorization(config: SingleConfig) -> str:
    user = config.user
    if user is None:
        return ""
    if user.token:
        return f"Bearer {user.token}"
    if user.token_file:
        return f"Bearer {Path(config.abs_file(user.token_file)).read_text().strip()}"
    if user.username and user.password:
        pair = base64.b64encode(f"{user.username}:{user.password}".encode()).decode()
        return f"Basic {pair}"
    if user.exec or user.auth_provider:
        raise InputError(
            "kubeconfig exec and auth-provider credential plugins are not supported; use a "
            "bearer token or a client certificate"
        )
    return ""


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed by the server")
    parts = status_line.split(None, 2)
    status = int(parts[1])
    headers: dict[str, str] = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            return status, headers
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks: list[bytes] = []
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                await reader.readline()
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readline()
    length = int(headers.get("content-length", "0"))
    return await reader.readexactly(length) if length else b""


async def _lines(
    reader: asyncio.StreamReader, headers: dict[str, str], read_timeout: float | None
) -> AsyncIterator[bytes]:
    """The newline-separated documents of a chunked (or plain) response body."""
    buffer = b""
    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    while True:
        if chunked:
            size_line = await asyncio.wait_for(reader.readline(), read_timeout)
            if not size_line:
                return
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                return
            data = await reader.readexactly(size)
            await reader.readline()
        else:
            data = await asyncio.wait_for(reader.read(65536), read_timeout)
            if not data:
                return
        buffer += data
        *complete, buffer = buffer.split(b"\n")
        for line in complete:
            if line.strip():
                yield line
