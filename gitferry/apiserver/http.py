"""A minimal request/response layer over raw ASGI for the embedded API server.

The API server answers thousands of small requests per second on two cores, so it speaks ASGI
directly instead of through a framework's routing and middleware: `Request` is the parsed
scope plus the body, `Response` a status, headers and bytes, and `stream` sends chunked watch
events. Used by `app` (dispatch) and the handlers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

import orjson

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

JSON = b"application/json"


@dataclass
class Request:
    """One HTTP request: method, decoded path segments, query, headers, body."""

    method: str
    path: str
    query: dict[str, str]
    raw_query: str
    headers: dict[str, str]
    body: bytes = b""
    client: str = ""

    @classmethod
    def from_scope(cls, scope: Scope) -> Request:
        raw_query = scope.get("query_string", b"").decode("latin-1")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        client = scope.get("client") or ("", 0)
        return cls(
            method=scope["method"],
            path=unquote(scope["path"]),
            query=dict(parse_qsl(raw_query, keep_blank_values=True)),
            raw_query=raw_query,
            headers=headers,
            client=str(client[0]),
        )

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def user_agent(self) -> str:
        return self.headers.get("user-agent", "")

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() in ("true", "1")

    @property
    def uri(self) -> str:
        return self.path + (f"?{self.raw_query}" if self.raw_query else "")


@dataclass
class Response:
    """A complete (non-streaming) response."""

    status: int
    body: bytes
    content_type: bytes = JSON
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)

    async def send(self, send: Send) -> None:
        headers = [
            (b"content-type", self.content_type),
            (b"content-length", str(len(self.body)).encode()),
            (b"cache-control", b"no-cache, private"),
            *self.headers,
        ]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


def json_response(
    status: int, value: Any, *, headers: list[tuple[bytes, bytes]] | None = None
) -> Response:
    return Response(status, orjson.dumps(value), headers=headers or [])


def warning_headers(warnings: list[str]) -> list[tuple[bytes, bytes]]:
    """`Warning: 299 - "..."` headers, as kubectl prints them."""
    return [
        (b"warning", ('299 - "' + text.replace('"', '\\"') + '"').encode()) for text in warnings
    ]


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None when it exceeds `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)
