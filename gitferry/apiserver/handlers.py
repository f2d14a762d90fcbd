"""The REST verbs on resource URLs: get, list, create, update, patch, delete,
deletecollection, and the status and scale subresources.

Each handler reads the request (query parameters, body) as kube-apiserver does, calls
`registry` and answers with the object, list or `Status` the real server would send. Watches
are in `watch`. Called by `app` once it has resolved the route and authenticated the caller.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

from gitferry.apiserver import decode, errors, selectors, tables
from gitferry.apiserver.catalog import ResourceType
from gitferry.apiserver.deleting import DeleteOptions
from gitferry.apiserver.http import Request, Response, json_response, warning_headers
from gitferry.apiserver.registry import PATCH_TYPES, Registry
from gitferry.apiserver.routes import Route
from gitferry.apiserver.store import Entry
from gitferry.apiserver.writes import WriteOptions, WriteResult

APPLY_TYPES = [
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
]


# -- reading -------------------------------------------------------------------------------


def render(entry: Entry, resource: ResourceType, version: str) -> bytes:
    """The stored bytes of an object, converted to the requested version when needed."""
    api_version = resource.api_version(version)
    if entry.obj.get("apiVersion") == api_version:
        return entry.raw
    return orjson.dumps({**entry.obj, "apiVersion": api_version})


def get(registry: Registry, request: Request, route: Route) -> Response:
    assert route.name is not None
    entry = registry.get(route.resource, route.namespace or "", route.name)
    if route.subresource == "scale":
        return json_response(200, _scale_of(route.resource, entry.obj))
    if tables.wanted(request):
        return json_response(200, tables.table(route.resource, [entry.obj], str(entry.rv)))
    return Response(200, render(entry, route.resource, route.version))


def list_(registry: Registry, request: Request, route: Route) -> Response:
    resource = route.resource
    q = request.query
    label = selectors.label_predicate(q.get("labelSelector"))
    field = selectors.field_predicate(q.get("fieldSelector"), resource.kind)
    limit = _int(q.get("limit"), "limit") or 0
    token = q.get("continue")
    if token and q.get("resourceVersion") not in (None, "", "0"):
        raise errors.bad_request("specifying resource version is not allowed when using continue")
    list_rv, start = _decode_continue(token) if token else (registry.store.rv, None)
    entries = registry.store.entries(resource.key, route.namespace)
    if start is not None:
        entries = [e for e in entries if _key(e) >= start]
    matched: list[Entry] = []
    remaining = 0
    next_key: tuple[str, str] | None = None
    for entry in entries:
        if (label is None or label(entry.obj)) and (field is None or field(entry.obj)):
            if limit and len(matched) == limit:
                if next_key is None:
                    next_key = _key(entry)  # the next page starts here
                remaining += 1
                continue
            matched.append(entry)
    meta: dict[str, Any] = {"resourceVersion": str(list_rv)}
    if next_key is not None:
        meta["continue"] = _encode_continue(list_rv, next_key)
        if label is None and field is None:
            meta["remainingItemCount"] = remaining
    if tables.wanted(request):
        table = tables.table(resource, [e.obj for e in matched], str(list_rv))
        table["metadata"].update(meta)
        return json_response(200, table)
    head = orjson.dumps(
        {
            "kind": f"{resource.kind}List",
            "apiVersion": resource.api_version(route.version),
            "metadata": meta,
        }
    )
    items = b",".join(render(e, resource, route.version) for e in matched)
    return Response(200, head[:-1] + b',"items":[' + items + b"]}")


def _key(entry: Entry) -> tuple[str, str]:
    meta = entry.obj["metadata"]
    return (meta.get("namespace", ""), meta["name"])


def _encode_continue(rv: int, key: tuple[str, str]) -> str:
    raw = orjson.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": f"{key[0]}/{key[1]}"})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_continue(token: str) -> tuple[int, tuple[str, str]]:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        namespace, _, name = str(data["start"]).partition("/")
        return int(data["rv"]), (namespace, name)
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError) as err:
        raise errors.bad_request(
            f"invalid continue token: continue key is not valid: {err}"
        ) from err


def _int(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError as err:
        raise errors.bad_request(f"invalid {name}: {value}") from err


# -- writing -------------------------------------------------------------------------------


def field_manager(request: Request, *, required: bool = False) -> str:
    """The fieldManager parameter, or the User-Agent's product name as the server uses."""
    manager = request.query.get("fieldManager")
    if manager:
        if len(manager.encode()) > 128:
            raise errors.options_invalid(
                "PatchOptions",
                "fieldManager",
                "FieldValueTooLong",
                "Too long: may not be more than 128 bytes",
            )
        return manager
    if required:
        raise errors.options_invalid(
            "PatchOptions",
            "fieldManager",
            "FieldValueRequired",
            "Required value: is required for apply patch",
        )
    agent = request.user_agent.split("/")[0]
    agent = "".join(ch for ch in agent if ch.isprintable())[:128]
    return agent or "unknown"


def _dry_run(request: Request) -> bool:
    value = request.query.get("dryRun")
    if value is None:
        return False
    if value != "All":
        raise errors.options_invalid(
            "CreateOptions",
            "dryRun",
            "FieldValueNotSupported",
            f'Unsupported value: "{value}": supported values: "All"',
        )
    return True


def _reply(result: WriteResult, route: Route, warnings: list[str], status: int) -> Response:
    body = result.obj
    if route.subresource == "scale":
        body = _scale_of(route.resource, body)
    elif not route.resource.builtin:
        body = {**body, "apiVersion": route.resource.api_version(route.version)}
    return json_response(status, body, headers=warning_headers(warnings + result.warnings))


def create(registry: Registry, request: Request, route: Route) -> Response:
    resource = route.resource
    obj = decode.object_body(request.body, request.content_type)
    decode.check_type(resource, route.version, obj)
    warnings = decode.unknown_fields(
        resource, route.version, obj, decode.field_validation(request.query.get("fieldValidation"))
    )
    opts = WriteOptions(
        manager=field_manager(request), dry_run=_dry_run(request), version=route.version
    )
    if resource.namespaced and route.namespace is None:
        raise errors.method_not_allowed()
    result = registry.create(resource, route.namespace or "", obj, opts)
    return _reply(result, route, warnings, 201)


def update(registry: Registry, request: Request, route: Route) -> Response:
    resource = route.resource
    assert route.name is not None
    obj = decode.object_body(request.body, request.content_type)
    opts = WriteOptions(
        manager=field_manager(request),
        dry_run=_dry_run(request),
        subresource=route.subresource,
        version=route.version,
    )
    if route.subresource == "scale":
        return _write_scale(registry, route, obj, opts)
    if route.subresource == "finalize":
        return _finalize(registry, route, obj, opts)
    decode.check_type(resource, route.version, obj)
    warnings = decode.unknown_fields(
        resource, route.version, obj, decode.field_validation(request.query.get("fieldValidation"))
    )
    result = registry.update(resource, route.namespace or "", route.name, obj, opts)
    return _reply(result, route, warnings, 200)


def patch(registry: Registry, request: Request, route: Route) -> Response:
    resource = route.resource
    assert route.name is not None
    patch_type = PATCH_TYPES.get(request.content_type)
    accepted = (
        APPLY_TYPES
        if not resource.builtin
        else [*APPLY_TYPES[:2], "application/strategic-merge-patch+json", APPLY_TYPES[2]]
    )
    if patch_type is None or (patch_type == "strategic" and not resource.builtin):
        raise errors.unsupported_media_type(accepted)
    if "force" in request.query and patch_type != "apply":
        raise errors.options_invalid(
            "PatchOptions",
            "force",
            "FieldValueForbidden",
            "Forbidden: may not be specified for non-apply patch",
        )
    decode.field_validation(request.query.get("fieldValidation"))
    opts = WriteOptions(
        manager=field_manager(request, required=patch_type == "apply"),
        dry_run=_dry_run(request),
        subresource=route.subresource,
        version=route.version,
        force=request.flag("force"),
    )
    if patch_type == "apply":
        body: Any = decode.yaml_body(request.body)
    elif patch_type == "json":
        body = _patch_json(request.body, list)
    else:
        body = _patch_json(request.body, dict, strategic=patch_type == "strategic")
    if route.subresource == "scale":
        entry = registry.get(resource, route.namespace or "", route.name)
        scale = _scale_of(resource, entry.obj)
        patched = registry_patch_scale(scale, patch_type, body)
        return _write_scale(registry, route, patched, opts)
    result = registry.patch(resource, route.namespace or "", route.name, patch_type, body, opts)
    return _reply(result, route, [], 201 if result.created else 200)


def _patch_json(body: bytes, expected: type, *, strategic: bool = False) -> Any:
    decode.check_size(body)
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise errors.bad_request(f"error decoding patch: {err}") from err
    if value is None and expected is dict:
        if strategic:
            return {}  # a null strategic merge patch changes nothing
        raise errors.bad_request("Invalid JSON Patch")
    if not isinstance(value, expected):
        got = type(value).__name__.replace("list", "array").replace("dict", "object")
        target = "map[string]interface {}" if expected is dict else "[]map[string]interface {}"
        raise errors.bad_request(
            f"error decoding patch: json: cannot unmarshal {got} into Go value of type {target}"
        )
    return value


def registry_patch_scale(scale: dict[str, Any], patch_type: str, body: Any) -> dict[str, Any]:
    """Apply a patch to a Scale object (kubectl scale sends a merge patch)."""
    from gitferry.apiserver.patch import jsonpatch, merge

    if patch_type == "json":
        result = jsonpatch.apply(scale, body)
    elif patch_type in ("merge", "strategic"):
        result = merge.apply(scale, body)
    else:
        result = {**scale, "spec": (body or {}).get("spec", scale["spec"])}
    if not isinstance(result, dict):
        raise errors.generic_invalid()
    return result


def delete(registry: Registry, request: Request, route: Route) -> Response:
    assert route.name is not None
    opts = delete_options(request)
    result = registry.delete(route.resource, route.namespace or "", route.name, opts)
    if result.deleted and not route.resource.returns_deleted:
        meta = result.obj["metadata"]
        details: dict[str, Any] = {"name": meta["name"]}
        if route.resource.group:
            details["group"] = route.resource.group
        details.update(kind=route.resource.plural, uid=meta.get("uid", ""))
        return json_response(
            200,
            {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": details,
            },
        )
    return _reply(result, route, [], 200)


def delete_collection(registry: Registry, request: Request, route: Route) -> Response:
    resource = route.resource
    opts = delete_options(request)
    label = selectors.label_predicate(request.query.get("labelSelector"))
    field = selectors.field_predicate(request.query.get("fieldSelector"), resource.kind)
    deleted = []
    for entry in registry.store.entries(resource.key, route.namespace):
        if (label is None or label(entry.obj)) and (field is None or field(entry.obj)):
            meta = entry.obj["metadata"]
            result = registry.delete(resource, meta.get("namespace", ""), meta["name"], opts)
            deleted.append(result.obj)
    return json_response(
        200,
        {
            "kind": f"{resource.kind}List",
            "apiVersion": resource.api_version(route.version),
            "metadata": {"resourceVersion": str(registry.store.rv)},
            "items": deleted,
        },
    )


def delete_options(request: Request) -> DeleteOptions:
    """DeleteOptions from the body (any apiVersion, or none) or the query string."""
    body: dict[str, Any] = {}
    if request.body.strip():
        value = decode.json_body(request.body)
        if not isinstance(value, dict):
            raise errors.bad_request("the body of a DELETE must be a DeleteOptions object")
        body = value
    q = request.query
    propagation = body.get("propagationPolicy") or q.get("propagationPolicy")
    orphan = body.get("orphanDependents")
    if orphan is None and "orphanDependents" in q:
        orphan = q["orphanDependents"].lower() == "true"
    if orphan is not None and propagation:
        raise errors.options_invalid(
            "DeleteOptions",
            "propagationPolicy",
            "FieldValueInvalid",
            f'Invalid value: "{propagation}": orphanDependents and deletionPropagation cannot '
            "be both set",
        )
    if propagation not in (None, "Foreground", "Background", "Orphan"):
        raise errors.options_invalid(
            "DeleteOptions",
            "propagationPolicy",
            "FieldValueNotSupported",
            f'Unsupported value: "{propagation}": supported values: "Foreground", '
            '"Background", "Orphan", "nil"',
        )
    grace = body.get("gracePeriodSeconds")
    if grace is None:
        grace = _int(q.get("gracePeriodSeconds"), "gracePeriodSeconds")
    dry = body.get("dryRun") or ([q["dryRun"]] if "dryRun" in q else [])
    if dry and list(dry) != ["All"]:
        raise errors.options_invalid(
            "DeleteOptions",
            "dryRun",
            "FieldValueNotSupported",
            f'Unsupported value: "{dry[0]}": supported values: "All"',
        )
    preconditions = body.get("preconditions") or {}
    return DeleteOptions(
        propagation=propagation,
        orphan_dependents=orphan,
        grace_seconds=grace,
        uid=preconditions.get("uid"),
        resource_version=preconditions.get("resourceVersion"),
        dry_run=bool(dry),
    )


# -- subresources --------------------------------------------------------------------------


def _scale_paths(resource: ResourceType) -> tuple[str, str, str]:
    if resource.builtin:
        return ".spec.replicas", ".status.replicas", ""
    paths = resource.scale_paths
    return (
        paths.get("specReplicasPath", ".spec.replicas"),
        paths.get("statusReplicasPath", ".status.replicas"),
        paths.get("labelSelectorPath", ""),
    )


def _at(obj: dict[str, Any], path: str) -> Any:
    value: Any = obj
    for part in path.strip(".").split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _selector_string(selector: dict[str, Any] | None) -> str:
    if not selector:
        return ""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or ():
        op, key, values = expr.get("operator"), expr.get("key"), expr.get("values") or []
        if op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
        else:
            parts.append(f"{key} {op.lower()} ({','.join(values)})")
    return ",".join(parts)


def _scale_of(resource: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    spec_path, status_path, selector_path = _scale_paths(resource)
    meta = obj["metadata"]
    if resource.builtin:
        selector = _selector_string((obj.get("spec") or {}).get("selector"))
    else:
        selector = _at(obj, selector_path) if selector_path else ""
    status: dict[str, Any] = {"replicas": _at(obj, status_path) or 0}
    if selector:
        status["selector"] = selector
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": _at(obj, spec_path) or 0},
        "status": status,
    }


def _write_scale(
    registry: Registry, route: Route, scale: dict[str, Any], opts: WriteOptions
) -> Response:
    resource = route.resource
    assert route.name is not None
    entry = registry.get(resource, route.namespace or "", route.name)
    rv = (scale.get("metadata") or {}).get("resourceVersion")
    if rv and rv != str(entry.rv):
        raise errors.stale(resource.group, resource.plural, route.name)
    replicas = (scale.get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or replicas < 0:
        raise errors.invalid(
            "autoscaling",
            "Scale",
            route.name,
            [
                (
                    "FieldValueInvalid",
                    "spec.replicas",
                    f"Invalid value: {replicas}: must be greater than or equal to 0",
                )
            ],
        )
    obj = entry.copy()
    target = obj
    parts = _scale_paths(resource)[0].strip(".").split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = replicas
    result = registry.update_subresource(resource, obj, opts)
    return _reply(result, route, [], 200)


def _finalize(
    registry: Registry, route: Route, obj: dict[str, Any], opts: WriteOptions
) -> Response:
    """PUT namespaces/<name>/finalize: only spec.finalizers may change."""
    assert route.name is not None
    entry = registry.get(route.resource, "", route.name)
    current = entry.copy()
    finalizers = (obj.get("spec") or {}).get("finalizers") or []
    if finalizers:
        current.setdefault("spec", {})["finalizers"] = finalizers
    else:
        current.setdefault("spec", {}).pop("finalizers", None)
    result = registry.update_subresource(route.resource, current, opts)
    return _reply(result, route, [], 200)
