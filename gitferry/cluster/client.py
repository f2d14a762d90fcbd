"""The Kubernetes API client of the engine: objects as plain dicts, any kind, discovered at run
time.

lightkube supplies the configuration (kubeconfig contexts, TLS, tokens, client certificates)
and its HTTP client; requests are built here from discovery, so kinds that only exist on the
destination (custom resources) work like built-ins. Failures become `ClusterError`s whose
message starts with the object (`apps/Deployment/prod/web: ...`); an unreachable server is a
`ClusterUnreachableError`.

Called by the controller (compare, sync, live cache), the CLI's `diff`, and `install`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import orjson

from gitferry.cluster.connect import ClusterTarget
from gitferry.cluster.discovery import Discovery, ResourceInfo, load_discovery
from gitferry.cluster.transport import Response, Transport, TransportError
from gitferry.model.errors import ClusterError, ClusterUnreachableError

APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"


class ApiStatusError(ClusterError):
    """The API server refused a request; `code`, `reason` and `message` are its Status's;
    `str()` is the one-line report naming the object."""

    def __init__(
        self,
        text: str,
        code: int,
        reason: str,
        message: str,
        causes: tuple[dict[str, Any], ...] = (),
    ) -> None:
        super().__init__(text)
        self.code = code
        self.reason = reason
        self.message = message
        self.causes = causes


def object_ref(obj: dict[str, Any]) -> str:
    """`group/Kind/namespace/name` of an object, as messages name it."""
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    meta = obj.get("metadata") or {}
    return f"{group}/{obj.get('kind')}/{meta.get('namespace', '')}/{meta.get('name', '')}"


class KubeClient:
    """Async access to one cluster."""

    def __init__(self, target: ClusterTarget, *, timeout: float = 30.0) -> None:
        self.target = target
        self._http = Transport(target.config, timeout=timeout)
        self._discovery: Discovery | None = None

    async def close(self) -> None:
        await self._http.close()

    async def __aenter__(self) -> KubeClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    # -- discovery -----------------------------------------------------------------------

    async def discovery(self, *, refresh: bool = False) -> Discovery:
        if self._discovery is None or refresh:
            self._discovery = await load_discovery(self._get_json)
        return self._discovery

    async def resource(self, api_version: str, kind: str) -> ResourceInfo:
        """The served resource of a kind, refreshing discovery once when it is unknown."""
        found = (await self.discovery()).find(api_version, kind)
        if found is None:
            found = (await self.discovery(refresh=True)).find(api_version, kind)
        if found is None:
            raise ApiStatusError(
                f"{api_version}/{kind}: the server does not serve this kind",
                404,
                "NotFound",
                f"the server could not find the requested resource ({kind})",
            )
        return found

    # -- requests ------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: bytes | None = None,
        content_type: str = "application/json",
        subject: str = "",
    ) -> Any:
        url = path + ("?" + urlencode(params) if params else "")
        try:
            response = await self._http.request(method, url, body, content_type)
        except TransportError as err:
            raise ClusterUnreachableError(
                f"cluster {self.target.name} ({self.target.server}): {err}"
            ) from err
        if response.status >= 400:
            raise _status_error(response, subject or path)
        return orjson.loads(response.body) if response.body else None

    async def _get_json(self, path: str) -> Any:
        return await self._request("GET", path)

    async def get(
        self, api_version: str, kind: str, namespace: str | None, name: str
    ) -> dict[str, Any] | None:
        """The live object, or None when it does not exist."""
        info = await self.resource(api_version, kind)
        try:
            result: dict[str, Any] = await self._request(
                "GET", info.path(namespace, name), subject=f"{kind}/{namespace or ''}/{name}"
            )
        except ApiStatusError as err:
            if err.code == 404:
                return None
            raise
        return result

    async def list(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
    ) -> tuple[list[dict[str, Any]], str]:
        """Every object of a kind (in a namespace), following continue tokens; returns the
        items (with apiVersion and kind filled in) and the list's resourceVersion."""
        info = await self.resource(api_version, kind)
        items: list[dict[str, Any]] = []
        params: dict[str, str] = {"limit": "500"}
        if label_selector:
            params["labelSelector"] = label_selector
        while True:
            page = await self._request(
                "GET", info.path(namespace), params=params, subject=f"{kind} list"
            )
            for item in page.get("items") or ():
                item.setdefault("apiVersion", info.api_version)
                item.setdefault("kind", info.kind)
                items.append(item)
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items, str((page.get("metadata") or {}).get("resourceVersion", ""))
            params["continue"] = token

    async def apply(
        self,
        obj: dict[str, Any],
        *,
        manager: str,
        force: bool = True,
        dry_run: bool = False,
        subresource: str | None = None,
    ) -> dict[str, Any]:
        """Server-side apply of `obj` (creates it when absent)."""
        info = await self.resource(obj["apiVersion"], obj["kind"])
        meta = obj.get("metadata") or {}
        params = {"fieldManager": manager, "force": "true" if force else "false"}
        if dry_run:
            params["dryRun"] = "All"
        path = info.path(meta.get("namespace") if info.namespaced else None, meta["name"])
        result: dict[str, Any] = await self._request(
            "PATCH",
            path + (f"/{subresource}" if subresource else ""),
            params=params,
            body=orjson.dumps(obj),
            content_type=APPLY,
            subject=object_ref(obj),
        )
        return result

    async def patch(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        name: str,
        patch: Any,
        *,
        content_type: str = MERGE,
        manager: str = "gitferry",
        subresource: str | None = None,
    ) -> dict[str, Any]:
        info = await self.resource(api_version, kind)
        path = info.path(namespace if info.namespaced else None, name)
        result: dict[str, Any] = await self._request(
            "PATCH",
            path + (f"/{subresource}" if subresource else ""),
            params={"fieldManager": manager},
            body=orjson.dumps(patch),
            content_type=content_type,
            subject=f"{kind}/{namespace or ''}/{name}",
        )
        return result

    async def create(self, obj: dict[str, Any], *, manager: str = "gitferry") -> dict[str, Any]:
        info = await self.resource(obj["apiVersion"], obj["kind"])
        namespace = (obj.get("metadata") or {}).get("namespace") if info.namespaced else None
        result: dict[str, Any] = await self._request(
            "POST",
            info.path(namespace),
            params={"fieldManager": manager},
            body=orjson.dumps(obj),
            subject=object_ref(obj),
        )
        return result

    async def replace(self, obj: dict[str, Any], *, manager: str = "gitferry") -> dict[str, Any]:
        info = await self.resource(obj["apiVersion"], obj["kind"])
        meta = obj.get("metadata") or {}
        namespace = meta.get("namespace") if info.namespaced else None
        result: dict[str, Any] = await self._request(
            "PUT",
            info.path(namespace, meta["name"]),
            params={"fieldManager": manager},
            body=orjson.dumps(obj),
            subject=object_ref(obj),
        )
        return result

    async def delete(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        name: str,
        *,
        propagation: str = "Foreground",
        dry_run: bool = False,
    ) -> bool:
        """Delete an object; False when it was already gone."""
        info = await self.resource(api_version, kind)
        options: dict[str, Any] = {
            "kind": "DeleteOptions",
            "apiVersion": "v1",
            "propagationPolicy": propagation,
        }
        if dry_run:
            options["dryRun"] = ["All"]
        try:
            await self._request(
                "DELETE",
                info.path(namespace if info.namespaced else None, name),
                body=orjson.dumps(options),
                subject=f"{kind}/{namespace or ''}/{name}",
            )
        except ApiStatusError as err:
            if err.code == 404:
                return False
            raise
        return True

    async def watch(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        *,
        resource_version: str = "",
        timeout_seconds: int = 300,
    ) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """Changes of a kind from `resource_version`: (type, object) pairs, BOOKMARKs
        included; ends when the server closes the stream. A 410 arrives as an ERROR event."""
        info = await self.resource(api_version, kind)
        params = {
            "watch": "true",
            "allowWatchBookmarks": "true",
            "timeoutSeconds": str(timeout_seconds),
        }
        if resource_version:
            params["resourceVersion"] = resource_version
        url = info.path(namespace) + "?" + urlencode(params)
        try:
            async with self._http.stream(url, read_timeout=timeout_seconds + 30) as (
                status,
                lines,
            ):
                if status >= 400:
                    body = b"".join([line async for line in lines])
                    raise _status_error(Response(status, body), f"{kind} watch")
                async for line in lines:
                    event = orjson.loads(line)
                    yield event["type"], event["object"]
        except (TransportError, TimeoutError) as err:
            raise ClusterUnreachableError(
                f"cluster {self.target.name} ({self.target.server}): watch of {kind} "
                f"ended: {err or type(err).__name__}"
            ) from err


def _status_error(response: Response, subject: str) -> ApiStatusError:
    try:
        status = orjson.loads(response.body)
    except ValueError:
        status = {}
    if not isinstance(status, dict):
        status = {}
    text = response.body[:200].decode(errors="replace")
    message = status.get("message") or text or f"HTTP {response.status}"
    return ApiStatusError(
        f"{subject}: {message}",
        int(status.get("code") or response.status),
        str(status.get("reason") or ""),
        str(message),
        tuple((status.get("details") or {}).get("causes") or ()),
    )
