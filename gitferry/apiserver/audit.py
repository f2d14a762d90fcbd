"""The audit log: one JSON line per write request, as Kubernetes audit events at Metadata
level (`audit.k8s.io/v1` Event with stage ResponseComplete).

Tests read it to check the order in which a sync touched a cluster, so `objectRef.name` is the
object's final name (the generated one for `generateName` creates). Called by `app` after
every POST, PUT, PATCH and DELETE.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import IO

import orjson

from gitferry.apiserver.routes import Route

VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


def _micro(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class AuditLog:
    """An append-only JSON-lines file, flushed after every event."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[bytes] = path.open("ab")

    def record(
        self,
        *,
        method: str,
        uri: str,
        route: Route | None,
        name: str | None,
        code: int,
        user: str,
        user_agent: str,
        source_ip: str,
        received: datetime,
        completed: datetime,
    ) -> None:
        verb = VERBS.get(method, method.lower())
        if route is not None and method == "DELETE" and route.name is None:
            verb = "deletecollection"
        event: dict[str, object] = {
            "kind": "Event",
            "apiVersion": "audit.k8s.io/v1",
            "level": "Metadata",
            "auditID": str(uuid.uuid4()),
            "stage": "ResponseComplete",
            "requestURI": uri,
            "verb": verb,
            "user": {"username": user, "groups": ["system:masters", "system:authenticated"]},
            "sourceIPs": [source_ip] if source_ip else [],
            "userAgent": user_agent,
        }
        if route is not None:
            ref: dict[str, str] = {"resource": route.resource.plural}
            if route.namespace:
                ref["namespace"] = route.namespace
            if name:
                ref["name"] = name
            ref["apiGroup"] = route.resource.group
            ref["apiVersion"] = route.version
            if route.subresource:
                ref["subresource"] = route.subresource
            event["objectRef"] = ref
        event["responseStatus"] = {"metadata": {}, "code": code}
        event["requestReceivedTimestamp"] = _micro(received)
        event["stageTimestamp"] = _micro(completed)
        self._file.write(orjson.dumps(event) + b"\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()
