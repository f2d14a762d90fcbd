"""Retrying a failed sync operation (reference 2.5), and the history of deployments (7.1).

Pure functions over the persisted dict shapes: `next_retry_at` is Argo CD's
`RetryStrategy.NextRetryAt`; `after_failure` decides whether a failed operation is retried
(and rewrites its message the way Argo CD does); `append_history` adds a deployment to
`status.history`, trimmed to `revisionHistoryLimit`. Called by the controller's operation runner.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from gitferry._kit.clock import rfc3339

DEFAULT_DURATION = 5.0
DEFAULT_FACTOR = 2
DEFAULT_MAX = 180.0
HISTORY_LIMIT = 10


def seconds(value: Any, default: float) -> float:
    """A retry duration: a bare integer is seconds, else Go syntax (`2m`, `1h30m`, `500ms`)."""
    if value in (None, ""):
        return default
    text = str(value).strip()
    if re.fullmatch(r"\d+", text):
        return float(text)
    total = 0.0
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    matched = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", text)
    if not matched or "".join(n + u for n, u in matched) != text:
        return default
    for number, unit in matched:
        total += float(number) * units[unit]
    return total


def next_retry_at(
    retry: dict[str, Any], last_attempt: dt.datetime, retry_count: int
) -> dt.datetime:
    """`lastAttempt + min(duration * factor^retryCount, maxDuration)`."""
    backoff = retry.get("backoff") or {}
    duration = seconds(backoff.get("duration"), DEFAULT_DURATION)
    factor = int(backoff.get("factor") or DEFAULT_FACTOR)
    maximum = seconds(backoff.get("maxDuration"), DEFAULT_MAX)
    delay = duration * factor**retry_count
    if maximum > 0:
        delay = min(delay, maximum)
    return last_attempt + dt.timedelta(seconds=delay)


def _kitchen(moment: dt.datetime) -> str:
    """Go's time.Kitchen layout: `3:04PM`."""
    return moment.strftime("%I:%M%p").lstrip("0")


def after_failure(state: dict[str, Any], retry: dict[str, Any] | None, now: dt.datetime) -> bool:
    """Update a Failed/Error operation state for a retry when the strategy allows one;
    returns whether it will be retried."""
    limit = int((retry or {}).get("limit", 0) or 0)
    count = int(state.get("retryCount", 0) or 0)
    if retry is not None and (count < limit or limit < 0):
        retry_at = next_retry_at(retry, now, count)
        state["phase"] = "Running"
        state["finishedAt"] = rfc3339(now)
        state["retryCount"] = count + 1
        state["message"] = (
            f"{state.get('message', '')}. Retrying attempt #{count + 1} at {_kitchen(retry_at)}."
        )
        return True
    if count > 0:
        state["message"] = f"{state.get('message', '')} (retried {count} times)."
    return False


def waiting_to_retry(state: dict[str, Any] | None) -> bool:
    """An operation that failed and waits for its next attempt."""
    if not state:
        return False
    return state.get("phase") == "Running" and bool(state.get("finishedAt"))


def append_history(
    status: dict[str, Any],
    spec: dict[str, Any],
    state: dict[str, Any],
    now: dt.datetime,
) -> None:
    """Record a Succeeded, non-dry-run, non-selective sync in `status.history`."""
    result = state.get("syncResult") or {}
    history = list(status.get("history") or [])
    entry: dict[str, Any] = {"id": (history[-1]["id"] + 1) if history else 0}
    if result.get("revisions"):
        entry["revisions"] = result["revisions"]
        entry["sources"] = result.get("sources")
    else:
        entry["revision"] = result.get("revision", "")
        entry["source"] = result.get("source")
    entry["deployedAt"] = rfc3339(now)
    entry["deployStartedAt"] = state.get("startedAt")
    entry["initiatedBy"] = (state.get("operation") or {}).get("initiatedBy") or {}
    history.append(entry)
    limit = spec.get("revisionHistoryLimit")
    keep = HISTORY_LIMIT if limit is None else max(int(limit), 0)
    status["history"] = history[-keep:] if keep else []
