"""Watch: the streaming form of list (`?watch=true`).

The response is one chunked JSON document per line, `{"type": ..., "object": ...}`. Without a
resourceVersion (or "0") the current matching objects come first as ADDED; from version N only
the changes after N, or one ERROR event with a 410 Expired Status when N is older than the
server's event log. The stream ends after `timeoutSeconds` (with a BOOKMARK first when the
client allows them) or when the client goes away. Called by `app`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from typing import Any

import orjson

from gitferry.apiserver import errors, selectors, tables
from gitferry.apiserver.handlers import render
from gitferry.apiserver.http import Receive, Request, Send
from gitferry.apiserver.registry import Registry
from gitferry.apiserver.routes import Route
from gitferry.apiserver.store import Entry, Event, Watcher

HEADERS = [(b"content-type", b"application/json"), (b"cache-control", b"no-cache, private")]


def _line(kind: str, body: bytes) -> bytes:
    return b'{"type":"' + kind.encode() + b'","object":' + body + b"}\n"


class _Encoder:
    """Turns entries into the event bodies this watch asked for (objects or Table rows)."""

    def __init__(self, route: Route, as_table: bool) -> None:
        self._route = route
        self._table = as_table

    def event(self, kind: str, entry: Entry) -> bytes:
        if self._table:
            table = tables.table(self._route.resource, [entry.obj], str(entry.rv))
            return _line(kind, orjson.dumps(table))
        return _line(kind, render(entry, self._route.resource, self._route.version))

    def bookmark(self, rv: int, annotations: dict[str, str] | None = None) -> bytes:
        resource = self._route.resource
        meta: dict[str, Any] = {"resourceVersion": str(rv), "creationTimestamp": None}
        if annotations:
            meta["annotations"] = annotations
        body = {
            "kind": resource.kind,
            "apiVersion": resource.api_version(self._route.version),
            "metadata": meta,
        }
        return _line("BOOKMARK", orjson.dumps(body))


async def watch(
    registry: Registry, request: Request, route: Route, send: Send, receive: Receive
) -> None:
    resource = route.resource
    q = request.query
    label = selectors.label_predicate(q.get("labelSelector"))
    field = selectors.field_predicate(q.get("fieldSelector"), resource.kind)
    predicate = None
    if label is not None or field is not None:

        def predicate(obj: dict[str, Any]) -> bool:
            return (label is None or label(obj)) and (field is None or field(obj))

    timeout = _timeout(q.get("timeoutSeconds"))
    bookmarks = request.flag("allowWatchBookmarks")
    initial_end = request.flag("sendInitialEvents")
    if initial_end and q.get("resourceVersionMatch") != "NotOlderThan":
        raise errors.options_invalid(
            "ListOptions",
            "resourceVersionMatch",
            "FieldValueForbidden",
            "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
        )
    rv_text = q.get("resourceVersion", "")
    watcher = Watcher(resource.key, route.namespace, predicate)
    encoder = _Encoder(route, tables.wanted(request))
    chunks: list[bytes] = []
    if rv_text in ("", "0") or initial_end:
        # Subscribing and taking the snapshot happen without yielding: no change is missed.
        registry.store.watch(watcher, None)
        for entry in registry.store.entries(resource.key, route.namespace):
            if predicate is None or predicate(entry.obj):
                chunks.append(encoder.event("ADDED", entry))
        if initial_end:
            chunks.append(
                encoder.bookmark(registry.store.rv, {"k8s.io/initial-events-end": "true"})
            )
    else:
        try:
            since = int(rv_text)
        except ValueError as err:
            raise errors.bad_request(f"invalid resource version: {rv_text}") from err
        try:
            replay = registry.store.watch(watcher, since)
        except errors.ApiError as err:
            await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
            error = _line("ERROR", orjson.dumps(err.status()))
            await send({"type": "http.response.body", "body": error})
            return
        for event in replay:
            chunks.extend(_translate(watcher, event, encoder))
    try:
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": True})
        await _stream(registry, watcher, encoder, send, receive, timeout, bookmarks)
    finally:
        registry.store.unwatch(watcher)


def _translate(watcher: Watcher, event: Event, encoder: _Encoder) -> list[bytes]:
    seen = watcher.translate(event)
    return [encoder.event(*seen)] if seen else []


def _timeout(value: str | None) -> float:
    if value:
        try:
            return max(float(int(value)), 0.0)
        except ValueError as err:
            raise errors.bad_request(f"invalid timeoutSeconds: {value}") from err
    return random.uniform(1800, 3600)


async def _stream(
    registry: Registry,
    watcher: Watcher,
    encoder: _Encoder,
    send: Send,
    receive: Receive,
    timeout: float,
    bookmarks: bool,
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    disconnected = asyncio.ensure_future(_wait_disconnect(receive))
    try:
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            getter = asyncio.ensure_future(watcher.queue.get())
            done, _ = await asyncio.wait(
                {getter, disconnected}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
            )
            if disconnected in done:
                getter.cancel()
                return
            if getter not in done:
                getter.cancel()
                break
            events = [getter.result()]
            while not watcher.queue.empty():
                events.append(watcher.queue.get_nowait())
            # None marks the end: the resource went away (CRD deleted) or the server stops.
            closing = None in events
            chunks = [c for e in events if e is not None for c in _translate(watcher, e, encoder)]
            if chunks:
                await send(
                    {"type": "http.response.body", "body": b"".join(chunks), "more_body": True}
                )
            if closing:
                break
        if bookmarks:
            await send(
                {
                    "type": "http.response.body",
                    "body": encoder.bookmark(registry.store.rv),
                    "more_body": True,
                }
            )
        await send({"type": "http.response.body", "body": b""})
    finally:
        disconnected.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await disconnected


async def _wait_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
