"""Reading `metadata.managedFields` (FieldsV1) against documents, for two steps of the
comparison (reference 4.3):

`strip_owned` -- `managedFieldsManagers` of `ignoreDifferences`: the fields that trusted
managers own in the live object are left out of the comparison where the target sets them to
something else.

`revert_unowned` -- the server-side diff's mutation-webhook revert (on unless the app has the
compare option `IncludeMutationWebhook=true`): of the dry-run prediction, only the fields the
sync's manager (`argocd-controller`) owns are kept, laid over the live object. Everything else
(defaults filled in by webhooks, `metadata.generation` bumped by the dry-run, other managers'
fields, status) comes from live; fields the manager owned in live and the prediction no longer
has are removed, so a field deleted from Git shows (Argo CD fixed this in gitops-engine#722).
A prediction without an entry for the manager is used as is (Argo CD fails the comparison).

Argo CD computes this with structured-merge-diff: the intersection of a manager's field set
with the fields whose values differ between live and target, removed from both. Here a small
walker reads the FieldsV1 tree directly against the documents:

* `f:<name>` is a map field, `k:<json>` the list item whose fields equal the key object,
  `v:<json>` the set item equal to the value, `i:<n>` the item at an index; `.` marks the node
  itself as owned.
* A node without children (only `.` or nothing) is a leaf: when it exists in both live and
  target with different values, it is removed from every document compared (live, target and
  the dry-run prediction, so a server-side diff ignores it too).
* Nodes with children are walked into; paths missing from live or target are skipped.

The merge follows structured-merge-diff without a schema: maps merge field by field, items
named by `k:`/`v:`/`i:` are merged into the live list (new ones appended), anything else is an
owned leaf and takes the predicted value.

Pure and copy-on-write; used by `diff.compare`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from typing import Any

_REMOVED = object()


@functools.lru_cache(maxsize=4096)
def _parse_key(key: str) -> tuple[str, Any]:
    """(kind, what) of a FieldsV1 key: `f:name` -> name, `i:3` -> 3, `k:`/`v:` -> JSON value."""
    kind, _, text = key.partition(":")
    if kind == "f":
        return kind, text
    if kind == "i":
        return kind, int(text) if text.isdigit() else -1
    try:
        return kind, json.loads(text)
    except ValueError:
        return "", None


def _is_leaf(node: Any) -> bool:
    return not isinstance(node, dict) or all(key == "." for key in node)


def _locate(key: str, doc: Any) -> str | int | None:
    """Where a FieldsV1 key points inside `doc` (a map key or list position), or None."""
    kind, wanted = _parse_key(key)
    if kind == "f":
        return wanted if isinstance(doc, dict) and wanted in doc else None
    if not isinstance(doc, list):
        return None
    if kind == "i":
        return wanted if 0 <= wanted < len(doc) else None
    for index, item in enumerate(doc):
        if kind == "v" and item == wanted:
            return index
        if (
            kind == "k"
            and isinstance(wanted, dict)
            and isinstance(item, dict)
            and all(item.get(field) == value for field, value in wanted.items())
        ):
            return index
    return None


def _apply(doc: Any, changes: dict[str | int, Any]) -> Any:
    if not changes:
        return doc
    if isinstance(doc, dict):
        return {k: changes.get(k, v) for k, v in doc.items() if changes.get(k) is not _REMOVED}
    return [changes.get(i, v) for i, v in enumerate(doc) if changes.get(i) is not _REMOVED]


def _strip(node: dict[str, Any], docs: list[Any]) -> list[Any]:
    """`docs` (live, target, others...) without the owned leaves where live and target differ."""
    changes: list[dict[str | int, Any]] = [{} for _ in docs]
    for key, child in node.items():
        if key == ".":
            continue
        steps = [_locate(key, doc) for doc in docs]
        if steps[0] is None or steps[1] is None:
            continue
        values = [
            doc[step] if step is not None else None for doc, step in zip(docs, steps, strict=True)
        ]
        if _is_leaf(child):
            if values[0] != values[1]:
                for change, step in zip(changes, steps, strict=True):
                    if step is not None:
                        change[step] = _REMOVED
            continue
        stripped = _strip(child, values)
        for change, step, old, new in zip(changes, steps, values, stripped, strict=True):
            if step is not None and new is not old:
                change[step] = new
    return [_apply(doc, change) for doc, change in zip(docs, changes, strict=True)]


def managed_fields(live: dict[str, Any], managers: Iterable[str]) -> list[dict[str, Any]]:
    """The FieldsV1 trees of `live`'s managedFields entries written by `managers`."""
    wanted = set(managers)
    entries = (live.get("metadata") or {}).get("managedFields") or []
    return [
        entry["fieldsV1"]
        for entry in entries
        if isinstance(entry, dict)
        and entry.get("manager") in wanted
        and isinstance(entry.get("fieldsV1"), dict)
    ]


def strip_owned(
    live: dict[str, Any], target: dict[str, Any], others: list[Any], managers: Iterable[str]
) -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
    """(live, target, others) without the fields `managers` own in live where the target sets
    a different value; the inputs themselves when nothing is owned or changed."""
    docs: list[Any] = [live, target, *others]
    for tree in managed_fields(live, managers):
        docs = _strip(tree, docs)
    return docs[0], docs[1], docs[2:]


def _merge(node: dict[str, Any], live: Any, predicted: Any) -> Any:
    """`live` with the owned parts of `predicted` laid over it."""
    if _is_leaf(node) or not isinstance(predicted, dict | list):
        return predicted
    if live == predicted:  # the common case: nothing to take over, nothing to copy
        return live
    if isinstance(predicted, dict):
        merged = dict(live) if isinstance(live, dict) else {}
        for key, child in node.items():
            step = _locate(key, predicted) if key.startswith("f:") else None
            if isinstance(step, str):
                merged[step] = _merge(child, merged.get(step), predicted[step])
        return merged
    items = list(live) if isinstance(live, list) else []
    for key, child in node.items():
        step = _locate(key, predicted)
        if not isinstance(step, int):
            continue
        at = _locate(key, items)
        if isinstance(at, int):
            items[at] = _merge(child, items[at], predicted[step])
        else:
            items.append(_merge(child, None, predicted[step]))
    return items


def _drop_missing(node: dict[str, Any], live: Any, predicted: Any) -> Any:
    """`live` without what `node` owns there and `predicted` no longer has."""
    if live == predicted:
        return live
    changes: dict[str | int, Any] = {}
    for key, child in node.items():
        if key == ".":
            continue
        at = _locate(key, live)
        if at is None:
            continue
        there = _locate(key, predicted)
        if there is None and (_is_leaf(child) or "." in child):
            changes[at] = _REMOVED
        elif not _is_leaf(child):
            value = _drop_missing(child, live[at], None if there is None else predicted[there])
            if value is not live[at]:
                changes[at] = value
    return _apply(live, changes)


def revert_unowned(predicted: dict[str, Any], live: dict[str, Any], manager: str) -> dict[str, Any]:
    """`live` with the fields `manager` owns in `predicted` taken from `predicted`, and those
    it owned in `live` but no longer sets removed."""
    trees = managed_fields(predicted, [manager])
    if not trees:
        return predicted
    merged: Any = live
    for tree in managed_fields(live, [manager]):
        merged = _drop_missing(tree, merged, predicted)
    for tree in trees:
        merged = _merge(tree, merged, predicted)
    result: dict[str, Any] = merged
    return result
