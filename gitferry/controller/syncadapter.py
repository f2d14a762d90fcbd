"""The destination cluster as the sync executor sees it (`gitferry.sync.seams.Cluster`),
implemented over the engine's Kubernetes client.

Writes are server-side applies as `argocd-controller` with force, so ownership of the fields
Git declares moves to gitferry (and stays compatible with Argo CD). The executor's dry run is a
client-side check in Argo CD; here it is a server-side dry-run apply that tolerates what only
the sync itself would create (a namespace or a kind not there yet), which catches more real
errors (schema, immutable fields, names) without blocking those syncs.

Called by the controller's operation runner.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from gitferry.cluster.client import JSON_PATCH, ApiStatusError, KubeClient
from gitferry.sync.tasks import ObjectRef

Obj = dict[str, Any]


class ClusterAdapter:
    """`sync.seams.Cluster` over a `KubeClient`."""

    def __init__(self, client: KubeClient) -> None:
        self.client = client

    async def _scoped(self, obj: Obj) -> Obj:
        """`obj` without a namespace when its kind is cluster-scoped (targets carry one)."""
        discovery = await self.client.discovery()
        group = str(obj.get("apiVersion", "")).rpartition("/")[0]
        if discovery.is_namespaced(group, str(obj.get("kind", ""))):
            return obj
        meta = obj.get("metadata") or {}
        if "namespace" not in meta:
            return obj
        scoped = dict(obj)
        scoped["metadata"] = {k: v for k, v in meta.items() if k != "namespace"}
        return scoped

    async def kind_served(self, api_version: str, kind: str) -> bool:
        discovery = await self.client.discovery()
        if discovery.find(api_version, kind) is not None:
            return True
        discovery = await self.client.discovery(refresh=True)
        return discovery.find(api_version, kind) is not None

    async def apply(
        self,
        obj: Obj,
        *,
        dry_run: bool,
        server_side: bool,
        force: bool,
        validate: bool,
        field_manager: str,
    ) -> object:
        obj = await self._scoped(obj)
        if dry_run:
            try:
                return await self.client.apply(obj, manager=field_manager, force=True, dry_run=True)
            except ApiStatusError as err:
                if err.code == 404:  # a namespace or kind this sync creates first
                    return obj
                raise
        try:
            return await self.client.apply(obj, manager=field_manager, force=True)
        except ApiStatusError as err:
            if not force or err.code not in (409, 422):
                raise
        # Force: delete and re-create when the server refuses the update (immutable fields).
        await self._delete_and_wait(ObjectRef.of(obj))
        return await self.client.apply(obj, manager=field_manager, force=True)

    async def create(self, obj: Obj, *, dry_run: bool, validate: bool) -> object:
        obj = await self._scoped(obj)
        if dry_run:
            return await self.apply(
                obj,
                dry_run=True,
                server_side=True,
                force=False,
                validate=validate,
                field_manager="argocd-controller",
            )
        return await self.client.create(obj, manager="argocd-controller")

    async def replace(self, obj: Obj, *, dry_run: bool, force: bool) -> object:
        obj = copy.deepcopy(await self._scoped(obj))
        ref = ObjectRef.of(obj)
        if dry_run:
            return obj
        if force:
            await self._delete_and_wait(ref)
            obj["metadata"].pop("resourceVersion", None)
            return await self.client.create(obj, manager="argocd-controller")
        if not obj["metadata"].get("resourceVersion"):
            live = await self.get(ref)
            if live is None:
                return await self.client.create(obj, manager="argocd-controller")
            obj["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
        return await self.client.replace(obj, manager="argocd-controller")

    async def delete(self, ref: ObjectRef, *, propagation: str) -> bool:
        return await self.client.delete(
            ref.api_version, ref.kind, ref.namespace or None, ref.name, propagation=propagation
        )

    async def get(self, ref: ObjectRef) -> Obj | None:
        try:
            return await self.client.get(ref.api_version, ref.kind, ref.namespace or None, ref.name)
        except ApiStatusError as err:
            if err.code == 404:
                return None
            raise

    async def remove_finalizer(self, ref: ObjectRef, finalizer: str) -> None:
        live = await self.get(ref)
        if live is None:
            return
        finalizers = list((live.get("metadata") or {}).get("finalizers") or [])
        if finalizer not in finalizers:
            return
        index = finalizers.index(finalizer)
        patch = [
            {"op": "test", "path": f"/metadata/finalizers/{index}", "value": finalizer},
            {"op": "remove", "path": f"/metadata/finalizers/{index}"},
        ]
        try:
            await self.client.patch(
                ref.api_version,
                ref.kind,
                ref.namespace or None,
                ref.name,
                patch,
                content_type=JSON_PATCH,
                manager="argocd-controller",
            )
        except ApiStatusError as err:
            if err.code == 404:
                return
            if err.code == 422:  # the list moved under us: read it again
                await self.remove_finalizer(ref, finalizer)
                return
            raise

    async def wait_established(self, name: str, *, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            crd = await self.client.get(
                "apiextensions.k8s.io/v1", "CustomResourceDefinition", None, name
            )
            conditions = ((crd or {}).get("status") or {}).get("conditions") or ()
            if any(
                c.get("type") == "Established" and c.get("status") == "True" for c in conditions
            ):
                await self.client.discovery(refresh=True)
                return
            await asyncio.sleep(0.1)

    async def _delete_and_wait(self, ref: ObjectRef, timeout: float = 30.0) -> None:
        await self.delete(ref, propagation="Foreground")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline and await self.get(ref) is not None:
            await asyncio.sleep(0.1)
