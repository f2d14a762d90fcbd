"""Small pieces every simulated controller needs: owner references, template hashes,
conditions, durations, and writing a status only when it changed.

Used by the controller modules of this package only.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

import orjson

from gitferry._kit.clock import parse_rfc3339
from gitferry.apiserver.catalog import ResourceType
from gitferry.apiserver.registry import Registry
from gitferry.apiserver.store import Entry

Obj = dict[str, Any]

_HASH_DIGITS = str.maketrans("0123456789", "456789bcdf")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")


def deep(obj: Any) -> Any:
    """A deep copy of JSON data (what the registry may keep must never be shared)."""
    return orjson.loads(orjson.dumps(obj))


def owner_ref(obj: Obj, *, controller: bool = True) -> Obj:
    """A controller ownerReference to `obj`, as every built-in controller writes it."""
    ref: Obj = {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
    }
    if controller:
        ref["controller"] = True
        ref["blockOwnerDeletion"] = True
    return ref


def template_hash(template: Any, collision_count: int = 0) -> str:
    """A stable 32-bit hash of a pod template, printed in decimal and mapped to kube's
    alphabet (digits become 4-9, b, c, d, f), like `pod-template-hash` values."""
    data = orjson.dumps(template, option=orjson.OPT_SORT_KEYS)
    if collision_count:
        data += str(collision_count).encode()
    value = int.from_bytes(hashlib.sha256(data).digest()[:4], "big")
    return str(value).translate(_HASH_DIGITS)


def without_label(template: Obj, label: str) -> Obj:
    """A copy of a pod template without one of its labels."""
    copy: Obj = deep(template)
    labels = (copy.get("metadata") or {}).get("labels")
    if labels and label in labels:
        del labels[label]
        if not labels:
            del copy["metadata"]["labels"]
    return copy


def seconds_since(stamp: str | None, now: datetime) -> float:
    if not stamp:
        return 0.0
    return (now - parse_rfc3339(stamp)).total_seconds()


def duration(text: str) -> float:
    """Seconds in `30`, `30s`, `500ms`, `2m`, `1m30s` or `1h`; ValueError otherwise."""
    text = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {text!r}")
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(number) * scale[unit] for number, unit in parts)


def go_duration(seconds: float) -> str:
    """Go's time.Duration format for whole seconds: 10s, 1m20s, 5m0s, 1h0m0s."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def condition(conditions: list[Obj] | None, kind: str) -> Obj | None:
    for item in conditions or ():
        if item.get("type") == kind:
            return item
    return None


def set_condition(conditions: list[Obj], new: Obj) -> list[Obj]:
    """Replace the condition of `new`'s type, keeping lastTransitionTime when the status
    did not change; an identical status and reason change nothing."""
    current = condition(conditions, new["type"])
    if current is not None:
        if (
            current.get("status") == new["status"]
            and current.get("reason") == new.get("reason")
            and current.get("message") == new.get("message")
        ):
            return conditions
        if current.get("status") == new["status"] and "lastTransitionTime" in current:
            new["lastTransitionTime"] = current["lastTransitionTime"]
    result = [item for item in conditions if item.get("type") != new["type"]]
    result.append(new)
    return result


def put_status(
    registry: Registry, resource: ResourceType, entry: Entry, status: Obj, manager: str
) -> Obj:
    """Write `status` as `manager` through the status subresource unless it is unchanged;
    returns the object as stored."""
    if entry.obj.get("status") == status:
        return entry.obj
    obj = entry.copy()
    obj["status"] = status
    return registry.write_status(resource, obj, manager).obj


def drop_zero(status: Obj, *keys: str) -> Obj:
    """Remove the given keys when they are 0 (Go's omitempty)."""
    for key in keys:
        if not status.get(key):
            status.pop(key, None)
    return status


def is_terminal(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def is_active(pod: Obj) -> bool:
    """Counted by ReplicaSets and Jobs: not finished and not being deleted."""
    return not is_terminal(pod) and not pod["metadata"].get("deletionTimestamp")


def ready_since(pod: Obj) -> str | None:
    """The lastTransitionTime of a True Ready condition, or None when not ready."""
    ready = condition((pod.get("status") or {}).get("conditions"), "Ready")
    if ready is None or ready.get("status") != "True":
        return None
    return str(ready.get("lastTransitionTime") or "")


def available_in(pod: Obj, min_ready: int, now: datetime) -> float | None:
    """Seconds until a ready pod counts as available (0: available now; None: not ready)."""
    since = ready_since(pod)
    if since is None:
        return None
    if min_ready <= 0 or not since:
        return 0.0
    return max(min_ready - seconds_since(since, now), 0.0)
