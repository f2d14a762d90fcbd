"""Clocks: the one place that reads the time, so tests can move it by hand.

Everything that schedules, times out or stamps objects takes a `Clock`. `SystemClock` is the
real one; `FakeClock` only moves when a test advances it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Wall time for stamps and schedules, monotonic time for durations."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...


class SystemClock:
    """The machine's clocks."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock:
    """A clock that stands still until `advance` moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._mono = 1000.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds


def rfc3339(moment: datetime) -> str:
    """`2026-01-02T03:04:05Z`: seconds precision, UTC, as Kubernetes stamps objects."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> datetime:
    """The inverse of `rfc3339`, also accepting fractional seconds and offsets."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
