"""The write pipeline of the embedded cluster: create, update, patch, delete.

This is kube-apiserver's generic registry restated: system metadata (uid, timestamps,
generation, resourceVersion), status and spec reset by subresource, defaulting, validation,
optimistic concurrency, managedFields, finalizers and graceful deletion, dry runs and no-op
detection. Kind-specific steps (namespace lifecycle, Service IPs, CRDs) are in `admission`.

Called by the HTTP handlers for every write, and by the simulated controllers, which write
through here under their own field-manager names so that what they write looks exactly like
what kube-controller-manager and the kubelet write.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from typing import Any

import orjson

from gitferry._kit.clock import Clock, rfc3339
from gitferry.apiserver import admission, defaults, deleting, errors, validation
from gitferry.apiserver.catalog import Catalog, ResourceType
from gitferry.apiserver.deleting import DeleteOptions
from gitferry.apiserver.fields import apply as ssa
from gitferry.apiserver.fields import managed
from gitferry.apiserver.fields import update as tracking
from gitferry.apiserver.patch import jsonpatch, merge, strategic
from gitferry.apiserver.store import Entry, Store
from gitferry.apiserver.writes import WriteOptions, WriteResult

_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
}


class Registry:
    """Create, update, patch and delete objects of any served resource."""

    def __init__(self, catalog: Catalog, store: Store, clock: Clock) -> None:
        self.catalog = catalog
        self.store = store
        self.clock = clock
        self._catalog_listeners: list[Callable[[], None]] = []

    def now(self) -> str:
        return rfc3339(self.clock.now())

    def on_catalog_change(self, listener: Callable[[], None]) -> None:
        """Call `listener` whenever a CRD adds, changes or removes a served type."""
        self._catalog_listeners.append(listener)

    def catalog_changed(self) -> None:
        for listener in self._catalog_listeners:
            listener()

    # -- reads ---------------------------------------------------------------------------

    def get(self, resource: ResourceType, namespace: str, name: str) -> Entry:
        entry = self.store.get(resource.key, namespace if resource.namespaced else "", name)
        if entry is None:
            raise errors.not_found(resource.group, resource.plural, name)
        return entry

    # -- create --------------------------------------------------------------------------

    def create(
        self, resource: ResourceType, namespace: str, obj: dict[str, Any], opts: WriteOptions
    ) -> WriteResult:
        """POST: store a new object (name generated from generateName if needed)."""
        meta = _metadata(obj)
        self._place(resource, namespace, meta)
        if meta.get("resourceVersion"):
            raise errors.internal("resourceVersion should not be set on objects to be created")
        generate = not meta.get("name") and meta.get("generateName")
        if generate:
            meta["name"] = self._generate_name(resource, meta)
        self._prepare_create(resource, obj)
        obj["metadata"]["managedFields"] = tracking.track_update(
            None,
            obj,
            manager=opts.manager,
            node=resource.type,
            api_version=resource.api_version(opts.version),
            subresource=None,
            reset_fields=_reset_fields(resource, None, obj),
            now=self.now(),
        )
        return self._commit_create(resource, obj, opts)

    def _place(self, resource: ResourceType, namespace: str, meta: dict[str, Any]) -> None:
        """Fill or check the namespace of a body against the URL's."""
        if not resource.namespaced:
            meta.pop("namespace", None)
            return
        body_namespace = meta.get("namespace")
        if body_namespace and body_namespace != namespace:
            raise errors.bad_request(
                "the namespace of the provided object does not match the namespace sent on "
                "the request"
            )
        meta["namespace"] = namespace

    def _generate_name(self, resource: ResourceType, meta: dict[str, Any]) -> str:
        prefix = str(meta["generateName"])[:58]
        namespace = meta.get("namespace", "")
        name = ""
        for _ in range(8):
            name = prefix + "".join(secrets.choice(_NAME_ALPHABET) for _ in range(5))
            if self.store.get(resource.key, namespace, name) is None:
                return name
        raise errors.ApiError(
            409,
            "AlreadyExists",
            f'{errors.resource_name(resource.group, resource.plural)} "{name}" already exists, '
            "the server was not able to generate a unique name for the object",
            {
                "name": name,
                "group": resource.group,
                "kind": resource.plural,
                "retryAfterSeconds": 1,
            },
        )

    def _prepare_create(self, resource: ResourceType, obj: dict[str, Any]) -> None:
        """System fields, status reset, defaults, admission and validation of a new object."""
        meta = obj["metadata"]
        for key in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "selfLink",
            "deletionGracePeriodSeconds",
            "generation",
            "managedFields",
        ):
            meta.pop(key, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = self.now()
        if resource.generation != "none":
            meta["generation"] = 1
        defaults.apply_defaults(resource, obj)
        if resource.has_status():
            initial = defaults.initial_status(resource, obj)
            if initial is None:
                obj.pop("status", None)
            else:
                obj["status"] = initial
        admission.on_create(self, resource, obj)
        validation.validate(resource, obj, None)

    def _commit_create(
        self, resource: ResourceType, obj: dict[str, Any], opts: WriteOptions
    ) -> WriteResult:
        meta = obj["metadata"]
        existing = self.store.get(resource.key, meta.get("namespace", ""), meta["name"])
        if existing is not None:
            raise errors.already_exists(
                resource.group,
                resource.plural,
                meta["name"],
                deleting=bool(existing.obj["metadata"].get("deletionTimestamp")),
            )
        _order_keys(obj)
        if opts.dry_run:
            obj["metadata"]["resourceVersion"] = ""
            return WriteResult(obj, created=True)
        entry = self.store.put(resource.key, obj)
        admission.after_write(self, resource, entry)
        return WriteResult(entry.obj, created=True)

    # -- update --------------------------------------------------------------------------

    def update(
        self,
        resource: ResourceType,
        namespace: str,
        name: str,
        obj: dict[str, Any],
        opts: WriteOptions,
    ) -> WriteResult:
        """PUT: replace an object (or its status), with optimistic concurrency."""
        meta = _metadata(obj)
        self._place(resource, namespace, meta)
        if meta.get("name") != name:
            raise errors.bad_request(
                f"the name of the object ({meta.get('name', '')}) does not match the name on "
                f"the URL ({name})"
            )
        current = self.get(resource, namespace, name)
        requested_rv = meta.get("resourceVersion")
        if requested_rv and requested_rv != str(current.rv):
            raise errors.stale(resource.group, resource.plural, name)
        if not requested_rv and not resource.builtin:
            raise errors.invalid(
                resource.group,
                resource.plural,
                name,
                [
                    (
                        "FieldValueInvalid",
                        "metadata.resourceVersion",
                        "Invalid value: 0x0: must be specified for an update",
                    )
                ],
            )
        return self._update_from(resource, current, obj, opts)

    def _update_from(
        self,
        resource: ResourceType,
        current: Entry,
        obj: dict[str, Any],
        opts: WriteOptions,
        *,
        track: bool = True,
    ) -> WriteResult:
        """The shared tail of PUT, PATCH and apply: `obj` is the requested new state of
        `current`. With `track`, managedFields are computed for an Update by the request's
        manager; without, `obj` already carries them (server-side apply)."""
        old = current.obj
        new = self._reset_by_subresource(resource, old, obj, opts.subresource)
        self._keep_system_fields(resource, old, new)
        defaults.apply_defaults(resource, new)
        admission.on_update(self, resource, new, old, opts.subresource)
        validation.validate(resource, new, old)
        if opts.subresource != "status":  # status writes never bump generation
            self._bump_generation(resource, old, new)
        if track:
            new["metadata"]["managedFields"] = tracking.track_update(
                old,
                new,
                manager=opts.manager,
                node=resource.type,
                api_version=resource.api_version(opts.version),
                subresource=opts.subresource,
                reset_fields=_reset_fields(resource, opts.subresource, new),
                now=self.now(),
            )
        if not new["metadata"].get("managedFields"):
            new["metadata"].pop("managedFields", None)
        new = managed.keep_old_timestamps(old, new)
        return self._commit_update(resource, current, new, opts)

    def _reset_by_subresource(
        self,
        resource: ResourceType,
        old: dict[str, Any],
        obj: dict[str, Any],
        subresource: str | None,
    ) -> dict[str, Any]:
        """What of the request a write may change: the main resource leaves status alone
        (when there is a status subresource); /status changes only status (and, for
        built-ins, metadata)."""
        if subresource == "status":
            new: dict[str, Any] = orjson.loads(orjson.dumps(old))
            if "status" in obj:
                new["status"] = obj["status"]
            else:
                new.pop("status", None)
            if "managedFields" in obj["metadata"]:
                new["metadata"]["managedFields"] = obj["metadata"]["managedFields"]
            if resource.builtin:
                for key in ("labels", "annotations", "finalizers", "ownerReferences"):
                    if key in obj["metadata"]:
                        new["metadata"][key] = obj["metadata"][key]
                    else:
                        new["metadata"].pop(key, None)
            return new
        if resource.has_status():
            if "status" in old:
                obj["status"] = old["status"]
            else:
                obj.pop("status", None)
        return obj

    def _keep_system_fields(
        self, resource: ResourceType, old: dict[str, Any], new: dict[str, Any]
    ) -> None:
        meta, old_meta = new["metadata"], old["metadata"]
        requested_uid = meta.get("uid")
        if requested_uid and requested_uid != old_meta["uid"]:
            raise errors.conflict(
                resource.group,
                resource.plural,
                old_meta["name"],
                f"StorageError: invalid object, Code: 4, Key: {_storage_key(resource, old)}, "
                f"ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in "
                f"precondition: {requested_uid}, UID in object meta: {old_meta['uid']}",
            )
        for key in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
        ):
            if key in old_meta:
                meta[key] = old_meta[key]
            else:
                meta.pop(key, None)
        meta.pop("selfLink", None)
        meta["resourceVersion"] = old_meta["resourceVersion"]
        meta["name"] = old_meta["name"]
        new["apiVersion"] = old["apiVersion"]
        new["kind"] = old["kind"]

    def _bump_generation(
        self, resource: ResourceType, old: dict[str, Any], new: dict[str, Any]
    ) -> None:
        if resource.generation == "none":
            return
        if resource.generation == "all":
            ignore = {"metadata", "status"} if resource.has_status() else {"metadata"}
            changed = any(old.get(k) != new.get(k) for k in set(old) | set(new) if k not in ignore)
        else:
            changed = old.get("spec") != new.get("spec")
            if resource.generation == "spec+annotations":
                changed = changed or (
                    old["metadata"].get("annotations") != new["metadata"].get("annotations")
                )
        if changed:
            new["metadata"]["generation"] = int(old["metadata"].get("generation") or 0) + 1

    def _commit_update(
        self, resource: ResourceType, current: Entry, new: dict[str, Any], opts: WriteOptions
    ) -> WriteResult:
        _order_keys(new)
        meta = new["metadata"]
        if (
            meta.get("deletionTimestamp")
            and not meta.get("finalizers")
            and (resource.kind != "Namespace" or not (new.get("spec") or {}).get("finalizers"))
        ):
            # The last finalizer is gone: the update completes the deletion.
            if opts.dry_run:
                return WriteResult(new, deleted=True)
            entry = self.store.remove(resource.key, meta.get("namespace", ""), meta["name"])
            admission.after_delete(self, resource, entry)
            return WriteResult(entry.obj, deleted=True)
        if new == current.obj:
            return WriteResult(current.obj)
        if opts.dry_run:
            return WriteResult(new)
        entry = self.store.put(resource.key, new)
        admission.after_write(self, resource, entry)
        return WriteResult(entry.obj)

    # -- patch ---------------------------------------------------------------------------

    def patch(
        self,
        resource: ResourceType,
        namespace: str,
        name: str,
        patch_type: str,
        body: Any,
        opts: WriteOptions,
    ) -> WriteResult:
        """PATCH with JSON patch, merge patch, strategic merge patch or server-side apply."""
        namespace = namespace if resource.namespaced else ""
        if patch_type == "apply":
            return self._apply(resource, namespace, name, body, opts)
        current = self.get(resource, namespace, name)
        original = current.copy()
        if patch_type == "json":
            patched = jsonpatch.apply(original, body)
        elif patch_type == "merge":
            patched = merge.apply(original, body)
        else:
            patched = strategic.apply(original, body, resource.type)
        if not isinstance(patched, dict):
            raise errors.generic_invalid()
        meta = _metadata(patched)
        if meta.get("name", name) != name:
            raise errors.bad_request(
                f"the name of the object ({meta.get('name')}) does not match the name on the "
                f"URL ({name})"
            )
        if resource.namespaced and meta.get("namespace", namespace) != namespace:
            raise errors.bad_request(
                "the namespace of the provided object does not match the namespace sent on "
                "the request"
            )
        if meta.get("resourceVersion") not in (None, str(current.rv)):
            raise errors.stale(resource.group, resource.plural, name)
        # managedFields in the patched object replace tracking when the patch changed them
        # (kubectl's client-side to server-side apply migration does this).
        return self._update_from(resource, current, patched, opts)

    def _apply(
        self,
        resource: ResourceType,
        namespace: str,
        name: str,
        config: Any,
        opts: WriteOptions,
    ) -> WriteResult:
        """Server-side apply: create when absent, else merge with field ownership."""
        if not isinstance(config, dict):
            raise errors.bad_request("error decoding YAML: the object must be a mapping")
        api_version = resource.api_version(opts.version)
        ssa.check_body(config, api_version=api_version, kind=resource.kind)
        current = self.store.get(resource.key, namespace, name)
        if current is None and opts.subresource is not None:
            raise errors.not_found(resource.group, resource.plural, name)
        live = current.copy() if current is not None else None
        merged = ssa.apply(
            live,
            config,
            manager=opts.manager,
            force=opts.force,
            node=resource.type,
            api_version=api_version,
            kind=resource.kind,
            subresource=opts.subresource,
            reset_fields=_reset_fields(resource, opts.subresource, config),
            now=self.now(),
        )
        ssa.check_name(merged, name=name, namespace=namespace if resource.namespaced else None)
        if current is None:
            merged.setdefault("metadata", {})["name"] = name
            self._place(resource, namespace, merged["metadata"])
            managed_fields = merged["metadata"].get("managedFields")
            self._prepare_create(resource, merged)
            merged["metadata"]["managedFields"] = managed_fields
            return self._commit_create(resource, merged, opts)
        if merged is live:
            return WriteResult(current.obj)
        requested_rv = (config.get("metadata") or {}).get("resourceVersion")
        if requested_rv and requested_rv != str(current.rv):
            raise errors.stale(resource.group, resource.plural, name)
        return self._update_from(resource, current, merged, opts, track=False)

    def update_subresource(
        self, resource: ResourceType, obj: dict[str, Any], opts: WriteOptions
    ) -> WriteResult:
        """Write `obj` (a modified copy of the stored object) through the subresource named
        in `opts` (`scale` changes replicas, namespaces' `finalize` spec.finalizers)."""
        meta = obj["metadata"]
        current = self.get(resource, meta.get("namespace", ""), meta["name"])
        return self._update_from(resource, current, obj, opts)

    def delete(
        self, resource: ResourceType, namespace: str, name: str, opts: DeleteOptions
    ) -> WriteResult:
        """DELETE: finalizers and grace periods keep the object; otherwise it is removed."""
        return deleting.delete(self, resource, namespace, name, opts)

    def remove(self, resource: ResourceType, current: Entry, *, dry_run: bool) -> WriteResult:
        """Take an object out of storage now (no finalizers or grace left)."""
        meta = current.obj["metadata"]
        if dry_run:
            return WriteResult(current.obj, deleted=True)
        entry = self.store.remove(resource.key, meta.get("namespace", ""), meta["name"])
        admission.after_delete(self, resource, entry)
        return WriteResult(entry.obj, deleted=True)

    # -- helpers for in-process writers (simulated controllers) ---------------------------

    def write_status(
        self, resource: ResourceType, obj: dict[str, Any], manager: str
    ) -> WriteResult:
        """Replace the status of `obj` (a copy of a stored object) as `manager` would with
        an UpdateStatus call; a stale copy is retried against the current object."""
        meta = obj["metadata"]
        current = self.get(resource, meta.get("namespace", ""), meta["name"])
        opts = WriteOptions(
            manager=manager, subresource="status" if resource.has_status() else None
        )
        return self._update_from(resource, current, obj, opts)

    def write(self, resource: ResourceType, obj: dict[str, Any], manager: str) -> WriteResult:
        """Update `obj` (a modified copy of a stored object), or create it when it has no
        uid; used by controllers, which do not race on resourceVersion."""
        meta = obj["metadata"]
        opts = WriteOptions(manager=manager)
        if not meta.get("uid"):
            meta.pop("resourceVersion", None)
            return self.create(resource, meta.get("namespace", ""), obj, opts)
        current = self.get(resource, meta.get("namespace", ""), meta["name"])
        return self._update_from(resource, current, obj, opts)


def _metadata(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    if meta is None:
        meta = obj["metadata"] = {}
    if not isinstance(meta, dict):
        raise errors.bad_request("metadata must be an object")
    return meta


def _reset_fields(
    resource: ResourceType, subresource: str | None, obj: dict[str, Any]
) -> tuple[tuple[str, ...], ...]:
    """Top-level fields a write to this endpoint ignores (SSA "reset fields"): status on the
    main resource when there is a status subresource; spec on /status (everything but status
    for custom resources)."""
    if subresource == "status":
        if resource.builtin:
            return (("spec",),)
        return tuple(
            (key,) for key in obj if key not in ("status", "metadata", "apiVersion", "kind")
        )
    if resource.has_status():
        return (("status",),)
    return ()


def _storage_key(resource: ResourceType, obj: dict[str, Any]) -> str:
    meta = obj["metadata"]
    parts = ["", "registry", resource.key]
    if meta.get("namespace"):
        parts.append(meta["namespace"])
    parts.append(meta["name"])
    return "/".join(parts)


_KEY_ORDER = ("apiVersion", "kind", "metadata")


def _order_keys(obj: dict[str, Any]) -> None:
    """Put apiVersion, kind and metadata first and status last, as Go serialises objects."""
    if list(obj)[:3] == list(_KEY_ORDER) and ("status" not in obj or list(obj)[-1] == "status"):
        return
    items = dict(obj)
    obj.clear()
    for key in _KEY_ORDER:
        if key in items:
            obj[key] = items.pop(key)
    status = items.pop("status", None)
    obj.update(items)
    if status is not None:
        obj["status"] = status
