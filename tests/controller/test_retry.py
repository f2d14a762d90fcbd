"""Retry timing and history trimming, from the reference's test tables (2.5, 7.1)."""

from __future__ import annotations

import datetime as dt

import pytest

from gitferry.controller import retry

T0 = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("strategy", "count", "wait"),
    [
        ({}, 0, 5),
        ({}, 1, 10),
        ({}, 2, 20),
        ({}, 3, 40),
        ({}, 4, 80),
        ({}, 80, 180),
        ({}, 100, 180),
        ({"backoff": {"duration": "2s", "factor": 3, "maxDuration": "1m"}}, 0, 2),
        ({"backoff": {"duration": "2s", "factor": 3, "maxDuration": "1m"}}, 1, 6),
        ({"backoff": {"duration": "2s", "factor": 3, "maxDuration": "1m"}}, 2, 18),
        ({"backoff": {"duration": "2s", "factor": 3, "maxDuration": "1m"}}, 3, 54),
        ({"backoff": {"duration": "2s", "factor": 3, "maxDuration": "1m"}}, 4, 60),
        ({"backoff": {"duration": "10", "factor": 2}}, 1, 20),
    ],
)
def test_next_retry_at(strategy: dict, count: int, wait: float) -> None:  # type: ignore[type-arg]
    assert retry.next_retry_at(strategy, T0, count) == T0 + dt.timedelta(seconds=wait)


def test_a_failure_within_the_limit_is_retried_with_argo_cds_message() -> None:
    state = {"phase": "Failed", "message": "one or more objects failed to apply"}
    assert retry.after_failure(state, {"limit": 2}, T0)
    assert state["phase"] == "Running" and state["retryCount"] == 1
    assert state["finishedAt"] == "2026-01-01T12:00:00Z"
    assert state["message"] == (
        "one or more objects failed to apply. Retrying attempt #1 at 12:00PM."
    )
    assert retry.waiting_to_retry(state)


def test_a_failure_past_the_limit_says_how_often_it_was_retried() -> None:
    state = {"phase": "Failed", "message": "boom", "retryCount": 2}
    assert not retry.after_failure(state, {"limit": 2}, T0)
    assert state["phase"] == "Failed" and state["message"] == "boom (retried 2 times)."


def test_no_retry_strategy_means_no_retry() -> None:
    state = {"phase": "Error", "message": "boom"}
    assert not retry.after_failure(state, None, T0)
    assert state == {"phase": "Error", "message": "boom"}


@pytest.mark.parametrize(("limit", "kept"), [(None, 10), (3, 3), (0, 0), (-1, 0)])
def test_history_is_trimmed_to_the_limit(limit: int | None, kept: int) -> None:
    status: dict = {}  # type: ignore[type-arg]
    spec = {} if limit is None else {"revisionHistoryLimit": limit}
    for n in range(12):
        state = {
            "startedAt": "s",
            "syncResult": {"revision": f"r{n}", "source": {}},
            "operation": {"initiatedBy": {"username": "u"}},
        }
        retry.append_history(status, spec, state, T0)
    assert len(status["history"]) == kept
    if kept:
        assert status["history"][-1]["id"] == 11 and status["history"][-1]["revision"] == "r11"
