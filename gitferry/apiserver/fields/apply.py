"""Server-side apply: merge an applied configuration into the live object and track ownership.

The API server's PATCH handler calls `apply` for `application/apply-patch+yaml` (on the main
resource or a subresource, and with no live object when the apply creates), then `check_name`
on the result. `apply` is kube-apiserver 1.32's field-manager chain (reference 1.3) as one pure
function, outermost layer first:

1. `check_body`: the body's apiVersion/kind must be the endpoint's; it must not carry
   managedFields (400s). The config is type-checked against the schema (500, as upstream).
2. The stored managedFields are decoded (500 if they cannot be).
3. `before-first-apply`: an existing object without managedFields is first given an Update
   manager of that name owning everything it holds (example SSA-14).
4. SMD's apply: merge, the applier's new field set (minus the reset fields), pruning of what
   it stopped applying (1.9), conflicts with every other manager (1.8) or, with force, the
   transfer of the contested paths; paths the merge removed leave everyone's sets.
5. The meta paths nobody owns are stripped; the applier's time is set if the object changed.
6. Manager `kubectl` only (1.14): conflicts with fields whose live value still equals the
   last-applied annotation are forgiven, and that annotation is rewritten to the config.
7. Reset fields get their live values back (the update strategy's job upstream, done here so
   the result and its time stamps are final), and managedFields are encoded into the object.

Explicit nulls in the config are kept in the result: defaulting must treat them as unset, and
the write path should call `managed.keep_old_timestamps` again after its own strategy runs.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Collection
from typing import Any, Final

from gitferry.apiserver import errors
from gitferry.apiserver.fields import fieldset, managed, typed, update
from gitferry.apiserver.fields.fieldset import FieldSet
from gitferry.apiserver.fields.managed import Entry, Identity, Managed
from gitferry.apiserver.schema import TypeNode

LAST_APPLIED: Final = "kubectl.kubernetes.io/last-applied-configuration"
_ANNOTATIONS_LIMIT: Final = 256 * 1024  # bytes of keys and values (TotalAnnotationSizeLimitB)
_BEFORE_FIRST_APPLY: Final = "before-first-apply"


def _group_version(api_version: str) -> tuple[str, str] | None:
    if not api_version or api_version == "/":
        return ("", "")
    if api_version.count("/") > 1:
        return None
    group, _, version = api_version.rpartition("/")
    return group, version


def check_body(config: dict[str, Any], *, api_version: str, kind: str) -> None:
    """The 400s for an applied body: its group/version/kind must be the endpoint's (one check
    upstream, so a wrong version is also `invalid object type`), and managedFields, even
    `[]`, must be absent."""
    raw_version = config.get("apiVersion")
    raw_kind = config.get("kind")
    parsed = _group_version(raw_version if isinstance(raw_version, str) else "")
    body_kind = raw_kind if isinstance(raw_kind, str) and parsed is not None else ""
    group, version = parsed or ("", "")
    if (group, version, body_kind) != (*(_group_version(api_version) or ("", "")), kind):
        raise errors.bad_request(f"invalid object type: {group}/{version}, Kind={body_kind}")
    meta = config.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("managedFields"), list):
        raise errors.bad_request("metadata.managedFields must be nil")


def check_name(obj: dict[str, Any], *, name: str, namespace: str | None) -> None:
    """The 400s when the applied object's name or namespace is not the URL's."""
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    own_name = meta.get("name") if isinstance(meta.get("name"), str) else ""
    if own_name != name:
        raise errors.bad_request(
            f"the name of the object ({own_name}) does not match the name on the URL ({name})"
        )
    own_namespace = meta.get("namespace") or ""
    if namespace and own_namespace and own_namespace != namespace:
        raise errors.bad_request(
            "the namespace of the provided object does not match the namespace sent on the request"
        )


def apply(
    live: dict[str, Any] | None,
    config: dict[str, Any],
    *,
    manager: str,
    force: bool,
    node: TypeNode,
    api_version: str,
    kind: str,
    subresource: str | None,
    reset_fields: Collection[tuple[str, ...]],
    now: str,
) -> dict[str, Any]:
    """The object `config` applied by `manager` makes of `live` (None: the apply creates),
    with its new managedFields; `live` itself when nothing at all changes. `reset_fields` are
    the endpoint's reset paths as field names (`("status",)` on a main resource whose kind
    has a status subresource, `("spec",)` on /status); `now` is RFC 3339 seconds, UTC.
    Raises `errors.ApiError`: 400 for the body checks, 500 for typing errors and undecodable
    managedFields, 409 with kube-apiserver's message and causes for conflicts."""
    check_body(config, api_version=api_version, kind=kind)
    try:
        stored = managed.decode(((live or {}).get("metadata") or {}).get("managedFields"))
    except managed.DecodeError as err:
        raise errors.internal(f"failed to decode managed fields: {err}") from err
    applied, problems = typed.config_set(config, node)
    if problems:
        text = problems[0] if len(problems) == 1 else "errors:\n  " + "\n  ".join(problems)
        raise errors.internal(f"failed to create typed patch object ({_describe(config)}): {text}")
    reset = update.reset_set(reset_fields)
    applied = fieldset.recursive_difference(applied, reset)
    run = functools.partial(
        _apply,
        live,
        config,
        stored,
        applied,
        fieldset.difference(applied, managed.STRIPPED),
        applier=managed.identity(manager, managed.APPLY, api_version, subresource),
        api_version=api_version,
        node=node,
        reset=reset,
        now=now,
    )
    try:
        merged, result = run(force=force)
    except update.Conflicts as conflicts:
        found = conflicts.items()
        forgiven = _forgiven(live, api_version, node) if manager == "kubectl" else None
        left = [(ident, path) for ident, path in found if not fieldset.has(forgiven or {}, path)]
        if forgiven is None or left:
            raise _conflict_error(left) from None
        merged, result = run(force=True)
    if manager == "kubectl":
        merged = _sync_last_applied(merged, config)
    for path in reset_fields:
        merged = _put(merged, path, _get(live, path))
    merged = _with_managed_fields(merged, managed.encode(result))
    if live is None:
        return merged
    merged = managed.keep_old_timestamps(live, merged)
    return live if typed.same(merged, live) else merged


def _apply(
    live: dict[str, Any] | None,
    config: dict[str, Any],
    stored: Managed,
    applied: FieldSet,
    owned: FieldSet,
    *,
    force: bool,
    applier: Identity,
    api_version: str,
    node: TypeNode,
    reset: FieldSet,
    now: str,
) -> tuple[dict[str, Any], Managed]:
    """Steps 3 to 5 of the module docstring: the merged object and the managers after it."""
    base: dict[str, Any] = {"apiVersion": config["apiVersion"], "kind": config["kind"]}
    current = stored
    if live is not None:
        if not current:
            writer = managed.identity(
                _BEFORE_FIRST_APPLY, managed.UPDATE, api_version, applier.subresource
            )
            old = update.without_managed_fields(live)
            current = update.record_update(
                base, old, current, writer=writer, node=node, reset=reset, now=now
            )
        base = live
    merged = typed.merge(base, config, node)
    last = current.get(applier)
    current = {**current, applier: Entry(applied, api_version, last.time if last else None)}
    merged = _prune(merged, current, applier, last, owned=owned, node=node)
    current, _ = update.reconcile(
        base, merged, current, writer=applier, force=force, node=node, reset=reset
    )
    # The applier keeps what it applied minus the paths nobody owns (`owned`, stripMeta).
    if not owned:
        current.pop(applier, None)
        return merged, current
    time = now if not typed.same(base, merged) else last.time if last else None
    if last is not None and (last.fields, last.api_version, last.time) == (
        owned,
        api_version,
        time,
    ):
        current[applier] = last  # unchanged: keep the stored encoding
    else:
        current[applier] = Entry(owned, api_version, time)
    return merged, current


def _prune(
    merged: Any,
    current: Managed,
    applier: Identity,
    last: Entry | None,
    *,
    owned: FieldSet,
    node: TypeNode,
) -> Any:
    """Delete what the applier applied last time and not now, unless someone else (or its
    new config) owns it (SMD's prune, addBackOwnedItems, addBackDanglingItems)."""
    if last is None or not last.fields:
        return merged
    if last.fields == owned or not fieldset.difference(last.fields, current[applier].fields):
        return merged  # nothing dropped: the three passes below would change nothing
    last_named = typed.named_members(last.fields, node)
    pruned = typed.remove(merged, last_named, node, drop_emptied=False)
    claimed: FieldSet = {}
    for entry in current.values():
        claimed = fieldset.union(claimed, entry.fields)
    merged_named = typed.named_members(typed.object_set(merged, node), node)
    kept = fieldset.union(
        typed.named_members(typed.object_set(pruned, node), node),
        typed.named_members(claimed, node),
    )
    pruned = typed.remove(merged, fieldset.difference(merged_named, kept), node, drop_emptied=False)
    pruned_named = typed.named_members(typed.object_set(pruned, node), node)
    dangling = fieldset.intersection(fieldset.difference(merged_named, pruned_named), last_named)
    return typed.remove(merged, dangling, node, drop_emptied=True)


def _forgiven(live: dict[str, Any] | None, api_version: str, node: TypeNode) -> FieldSet | None:
    """The fields of the last-applied annotation whose live values still match it (None when
    the annotation is missing or unusable)."""
    annotations = ((live or {}).get("metadata") or {}).get("annotations")
    text = annotations.get(LAST_APPLIED) if isinstance(annotations, dict) else None
    if not isinstance(text, str) or not text:
        return None
    try:
        last_applied = json.loads(text)
    except ValueError:
        return None
    if (
        not isinstance(last_applied, dict)
        or not last_applied.get("kind")
        or last_applied.get("apiVersion") != api_version
    ):
        return None
    fields, problems = typed.config_set(last_applied, node)
    if problems:
        return None
    diff = typed.compare(last_applied, live, node)
    for changed in (diff.modified, diff.added, diff.removed):
        fields = fieldset.difference(fields, changed)
    return fields


def _sync_last_applied(obj: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """Rewrite a non-empty last-applied annotation to the applied config (lastAppliedUpdater)."""
    meta = obj.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    if not isinstance(annotations, dict) or not annotations.get(LAST_APPLIED):
        return obj
    body = config
    body_meta = config.get("metadata")
    if isinstance(body_meta, dict) and "annotations" in body_meta:
        body_meta = dict(body_meta)
        own = body_meta.pop("annotations")
        if isinstance(own, dict) and all(isinstance(v, str) for v in own.values()):
            body_meta["annotations"] = {k: v for k, v in own.items() if k != LAST_APPLIED}
        body = {**config, "metadata": body_meta}
    annotations = {**annotations, LAST_APPLIED: fieldset.go_json(body) + "\n"}
    size = sum(len(k.encode()) + len(str(v).encode()) for k, v in annotations.items())
    if size > _ANNOTATIONS_LIMIT:
        del annotations[LAST_APPLIED]
    return {**obj, "metadata": {**meta, "annotations": annotations}}  # type: ignore[dict-item]


def _conflict_error(found: list[tuple[Identity, tuple[str, ...]]]) -> errors.ApiError:
    causes = [
        {
            "reason": "FieldManagerConflict",
            "message": f"conflict with {ident.describe()}",
            "field": fieldset.path_string(path),
        }
        for ident, path in found
    ]
    if len(found) == 1:
        ident, path = found[0]
        message = (
            f"Apply failed with 1 conflict: conflict with {ident.describe()}: "
            f"{fieldset.path_string(path)}"
        )
    else:
        lines: list[str] = []
        previous: Identity | None = None
        for ident, path in found:
            if ident != previous:
                lines.append(f"conflicts with {ident.describe()}:")
                previous = ident
            lines.append(f"- {fieldset.path_string(path)}")
        message = f"Apply failed with {len(found)} conflicts: " + "\n".join(lines)
    return errors.ApiError(409, "Conflict", message, {"causes": causes})


def _describe(config: dict[str, Any]) -> str:
    meta = config.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    name = meta.get("name") if isinstance(meta.get("name"), str) else ""
    namespace = meta.get("namespace") if isinstance(meta.get("namespace"), str) else ""
    group, version = _group_version(str(config.get("apiVersion") or "")) or ("", "")
    return f"{namespace}/{name}; {group}/{version}, Kind={config.get('kind') or ''}"


def _get(obj: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        if not isinstance(obj, dict) or name not in obj:
            return typed.MISSING
        obj = obj[name]
    return obj


def _put(obj: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """`obj` with `value` at `path` (MISSING: without it), copying along the path only."""
    name, rest = path[0], path[1:]
    if rest:
        inner = obj.get(name)
        if not isinstance(inner, dict):
            if value is typed.MISSING:
                return obj
            inner = {}
        return {**obj, name: _put(inner, rest, value)}
    if value is typed.MISSING:
        if name not in obj:
            return obj
        out = dict(obj)
        del out[name]
        return out
    if name in obj and obj[name] is value:
        return obj
    return {**obj, name: value}


def _with_managed_fields(obj: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
    meta = obj.get("metadata")
    meta = dict(meta) if isinstance(meta, dict) else {}
    if entries:
        meta["managedFields"] = entries
    else:
        meta.pop("managedFields", None)
    return {**obj, "metadata": meta}
