"""The embedded cluster as one ASGI application: authentication, dispatch, errors, audit.

`ApiServer` owns a cluster's state (SQLite storage, in-memory store, catalog, registry) and
answers every Kubernetes API request on it: `/version`, health, discovery, OpenAPI v3 and the
resource URLs. Every failure becomes a `Status` answer; an unexpected exception is a 500
InternalError (logged with its traceback), never a dropped connection. Started by `server`,
which runs it under uvicorn, and by the test fixtures.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import orjson

from gitferry._kit.clock import Clock, SystemClock
from gitferry.apiserver import crds, decode, discovery, errors, handlers, routes, watch
from gitferry.apiserver.audit import AuditLog
from gitferry.apiserver.catalog import Catalog
from gitferry.apiserver.http import Receive, Request, Response, Scope, Send, json_response
from gitferry.apiserver.openapi import OpenAPI
from gitferry.apiserver.registry import Registry
from gitferry.apiserver.routes import Route
from gitferry.apiserver.storage import Storage
from gitferry.apiserver.store import Store

log = logging.getLogger("gitferry.apiserver")

ANONYMOUS_PATHS = ("/version", "/healthz", "/livez", "/readyz")
USER = "gitferry-admin"


@dataclass(frozen=True, kw_only=True)
class ServerOptions:
    """What one embedded cluster is and how it behaves."""

    # The cluster's name (used in the kubeconfig and node names).
    name: str
    # Directory holding the SQLite database (created when absent).
    data_dir: Path
    # The bearer token every request but /version and health checks must carry.
    token: str
    # Append one JSON line per write request to this file.
    audit_log: Path | None = None
    # SQLite synchronous=FULL: survive power loss, not only process crashes (slower).
    durable: bool = False


Startable = Callable[[Registry], Awaitable[Callable[[], Awaitable[None]]]]


class ApiServer:
    """One embedded cluster, served as an ASGI app."""

    def __init__(
        self,
        options: ServerOptions,
        *,
        clock: Clock | None = None,
        background: list[Startable] | None = None,
    ) -> None:
        self.options = options
        self.storage = Storage(options.data_dir / "cluster.db", durable=options.durable)
        self.store = Store(self.storage)
        self.catalog = Catalog()
        self.registry = Registry(self.catalog, self.store, clock or SystemClock())
        for entry in self.store.entries("customresourcedefinitions.apiextensions.k8s.io"):
            served = crds.resource_type(entry.obj)
            if served is not None:
                self.catalog.add(served)
        self.discovery = discovery.Discovery(self.catalog)
        self.openapi = OpenAPI(self.catalog)
        self.registry.on_catalog_change(self.discovery.invalidate)
        self.registry.on_catalog_change(self.openapi.invalidate)
        self.audit = AuditLog(options.audit_log) if options.audit_log else None
        self._token = options.token.encode()
        self._background = background or []
        self._stoppers: list[Callable[[], Awaitable[None]]] = []

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Start the background loops (simulated controllers)."""
        for start in self._background:
            self._stoppers.append(await start(self.registry))

    async def stop(self) -> None:
        for stop in reversed(self._stoppers):
            await stop()
        self._stoppers.clear()
        self.store.close_watchers()
        if self.audit:
            self.audit.close()
        self.storage.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        await self._http(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.start()
                except Exception as err:
                    log.exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(err)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- requests ------------------------------------------------------------------------

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request.from_scope(scope)
        received = self.registry.clock.now()
        route: Route | None = None
        response: Response | None = None
        try:
            body = await _read(receive)
            request.body = body
            self._authenticate(request)
            route = routes.resolve(self.catalog, request.path)
            if route is None:
                response = self._non_resource(request)
            elif (
                request.method == "GET"
                and route.name is None
                and (request.flag("watch") or route.legacy_watch)
            ):
                await watch.watch(self.registry, request, route, send, receive)
                return
            else:
                response = self._resource(request, route)
        except errors.ApiError as err:
            response = json_response(err.code, err.status())
        except Exception as err:
            log.exception("%s %s failed", request.method, request.uri)
            response = json_response(
                500,
                errors.ApiError(
                    500,
                    "InternalError",
                    f"Internal error occurred: {err}",
                    {"causes": [{"message": str(err)}]},
                ).status(),
            )
        await response.send(send)
        if self.audit and request.method in ("POST", "PUT", "PATCH", "DELETE"):
            self._audit(request, route, response, received)

    def _authenticate(self, request: Request) -> None:
        if request.path.rstrip("/") in ANONYMOUS_PATHS:
            return
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), self._token
        ):
            raise errors.unauthorized()

    def _non_resource(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        if request.method != "GET":
            raise errors.method_not_allowed()
        if path == "/version":
            return json_response(200, discovery.VERSION)
        if path in ("/healthz", "/livez", "/readyz"):
            return Response(200, b"ok", content_type=b"text/plain; charset=utf-8")
        if path == "/openapi/v3":
            return Response(200, self.openapi.index())
        if path.startswith("/openapi/v3/"):
            document = self.openapi.document(path.removeprefix("/openapi/v3/"))
            if document is not None:
                return Response(200, document)
        elif path in ("/api", "/apis") or path.startswith(("/api/", "/apis/")):
            aggregated = discovery.wants_aggregated(request.headers.get("accept", ""))
            if path in ("/api", "/apis") and aggregated:
                doc = self.discovery.document(path, aggregated=True)
                if doc is not None:
                    return Response(200, doc, content_type=discovery.AGGREGATED_TYPE)
            doc = self.discovery.document(path, aggregated=False)
            if doc is not None:
                return Response(200, doc)
        raise errors.ApiError(
            404, "NotFound", "the server could not find the requested resource", {}
        )

    def _resource(self, request: Request, route: Route) -> Response:
        method = request.method
        registry = self.registry
        if route.name is None:
            if method == "GET":
                return handlers.list_(registry, request, route)
            if method == "POST":
                return handlers.create(registry, request, route)
            if method == "DELETE":
                return handlers.delete_collection(registry, request, route)
            raise errors.method_not_allowed()
        if method == "GET" and route.subresource != "finalize":
            return handlers.get(registry, request, route)
        if method == "PUT":
            return handlers.update(registry, request, route)
        if method == "PATCH" and route.subresource != "finalize":
            return handlers.patch(registry, request, route)
        if method == "DELETE" and route.subresource is None:
            return handlers.delete(registry, request, route)
        raise errors.method_not_allowed()

    def _audit(
        self, request: Request, route: Route | None, response: Response, received: object
    ) -> None:
        assert self.audit is not None
        name = route.name if route else None
        if response.status < 300 and request.method == "POST":
            try:
                name = orjson.loads(response.body)["metadata"]["name"]
            except (ValueError, KeyError, TypeError):
                name = None
        self.audit.record(
            method=request.method,
            uri=request.uri,
            route=route,
            name=name,
            code=response.status,
            user=USER,
            user_agent=request.user_agent,
            source_ip=request.client,
            received=received,  # type: ignore[arg-type]
            completed=self.registry.clock.now(),
        )


async def _read(receive: Receive) -> bytes:
    from gitferry.apiserver.http import read_body

    body = await read_body(receive, decode.MAX_BODY_BYTES)
    if body is None:
        raise errors.too_large(f"Request entity too large: limit is {decode.MAX_BODY_BYTES}")
    return body
