"""Sync windows of an AppProject (reference 3): when syncs may run, per application.

* A window (`SyncWindow.parse`) is validated once: `kind` allow|deny, a five-field
  `schedule` (`cron`), a Go `duration`, a known IANA `timeZone` (empty = UTC), and at least
  one of `applications`, `namespaces`, `clusters`. An invalid window is kept with its
  `error`, one line that names it (`syncWindows[1] (deny): cannot parse schedule ...`).
* Active (3.3): the window is open on the open interval (fire, fire + duration), fire times
  read on the local wall clock of the window's zone, at the zone's UTC offset *now* (the
  clock's time, also when asking about another instant, as Argo CD does). So across a DST
  change a window keeps its wall-clock times: on the spring-forward day a window scheduled
  in the skipped hour opens when the clocks jump and closes at its wall-clock end; a window
  in the repeated autumn hour is open in both passes. A schedule that never fires (Feb 30)
  makes the window always active, as robfig's zero time does in Argo CD.
* Applies to an app (3.4): globs (no separator, no negation) on the app name, the
  destination name or server, the destination namespace, as written in the app spec; any
  hit (OR), or every non-empty list with `andOperator`.
* `SyncWindows.can_sync` (3.5) decides over the windows that apply: an active deny blocks
  (manual syncs pass when every active deny has `manualSync`); else an active allow permits;
  else if allow windows apply, sync is blocked outside them (manual passes when every
  inactive allow has `manualSync`); `syncOverrun` lets an operation that could start at
  `operation_started` continue. Any invalid window that applies blocks the app, with the
  error as the reason (Argo CD refuses to sync: `invalid sync windows: ...`).

Pure (the time comes in as arguments). Called by `policy.project` (parsing), the
controller (auto-sync, running operations) and `gitferry proj windows`.
"""

from __future__ import annotations

import dataclasses
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from gitferry._kit import goduration
from gitferry.model.application import Application
from gitferry.policy import cron
from gitferry.policy.globs import glob_match


class Kind(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


class InvalidWindowError(ValueError):
    """Activity was asked of a window that failed validation."""


@dataclass(frozen=True)
class WindowTarget:
    """What windows are matched against: the app name and its destination as written."""

    app: str
    namespace: str = ""
    server: str = ""
    cluster_name: str = ""

    @classmethod
    def of(cls, app: Application) -> WindowTarget:
        dest = app.destination
        return cls(app.name, dest.namespace, dest.server, dest.name)


@dataclass(frozen=True, kw_only=True)
class SyncWindow:
    """One `spec.syncWindows[]` entry, with its validation result."""

    index: int
    kind: str
    schedule: str
    duration: str
    applications: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    manual_sync: bool = False
    time_zone: str = ""
    and_operator: bool = False
    description: str = ""
    sync_overrun: bool = False
    error: str = ""  # why the window is invalid, naming it; "" when valid
    _cron: cron.Schedule | None = field(default=None, compare=False, repr=False)
    _length: timedelta = field(default=timedelta(0), compare=False, repr=False)
    _zone: tzinfo = field(default=UTC, compare=False, repr=False)

    @classmethod
    def parse(cls, data: Any, index: int) -> SyncWindow:
        """Read and validate one window; problems end up in `error`, never raised."""
        if not isinstance(data, dict):
            error = f"{_where(index, '', '')}: must be an object"
            return cls(index=index, kind="", schedule="", duration="", error=error)
        problems: list[str] = []

        def strings(key: str) -> tuple[str, ...]:
            value = data.get(key)
            if value is None:
                return ()
            if not isinstance(value, list):
                problems.append(f"{key} must be a list")
                return ()
            return tuple(str(v) for v in value)

        kind = str(data.get("kind") or "")
        schedule = str(data.get("schedule") or "")
        duration = str(data.get("duration") or "")
        zone_name = str(data.get("timeZone") or "")
        description = str(data.get("description") or "")
        if kind not in (Kind.ALLOW, Kind.DENY):
            problems.append(f"kind '{kind}' mismatch: can only be allow or deny")
        parsed: cron.Schedule | None = None
        try:
            parsed = cron.parse(schedule)
        except cron.CronError as err:
            problems.append(f"cannot parse schedule '{schedule}': {err}")
        length = timedelta(0)
        try:
            length = goduration.parse(duration)
        except goduration.DurationError as err:
            problems.append(f"cannot parse duration '{duration}': {err}")
        zone: tzinfo = UTC
        if zone_name and zone_name != "UTC":
            try:
                zone = zoneinfo.ZoneInfo(zone_name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
                problems.append(
                    f"cannot load time zone '{zone_name}': unknown time zone {zone_name}"
                )
        window = cls(
            index=index,
            kind=kind,
            schedule=schedule,
            duration=duration,
            applications=strings("applications"),
            namespaces=strings("namespaces"),
            clusters=strings("clusters"),
            manual_sync=data.get("manualSync") is True,
            time_zone=zone_name,
            and_operator=data.get("andOperator") is True,
            description=description,
            sync_overrun=data.get("syncOverrun") is True,
            _cron=parsed,
            _length=length,
            _zone=zone,
        )
        if not (window.applications or window.namespaces or window.clusters):
            problems.append("it applies to nothing: set applications, namespaces or clusters")
        if not problems:
            return window
        error = f"{_where(index, kind, description)}: {'; '.join(problems)}"
        return dataclasses.replace(window, error=error)

    @property
    def name(self) -> str:
        """How messages name the window: `syncWindows[1] (deny)`."""
        return _where(self.index, self.kind, self.description)

    def applies_to(self, target: WindowTarget) -> bool:
        """Whether the window's selectors pick the app (reference 3.4)."""
        hits: list[bool] = []
        if self.applications:
            hits.append(any(_glob(p, target.app) for p in self.applications))
        if self.clusters:
            hits.append(
                any(
                    (target.cluster_name and _glob(p, target.cluster_name))
                    or (target.server and _glob(p, target.server))
                    for p in self.clusters
                )
            )
        if self.namespaces:
            hits.append(any(_glob(p, target.namespace) for p in self.namespaces))
        if self.and_operator:
            return bool(hits) and all(hits)
        return any(hits)

    def active(self, at: datetime, *, now: datetime | None = None) -> bool:
        """Whether the window is open at `at`; the zone's offset is taken at `now` (the
        clock's time, default `at`). Raises `InvalidWindowError` for an invalid window."""
        if self.error or self._cron is None:
            raise InvalidWindowError(self.error)
        offset = (now or at).astimezone(self._zone).utcoffset() or timedelta(0)
        local = at.astimezone(UTC) + offset
        fire = self._cron.next(local - self._length)
        return fire is None or fire < local

    def as_dict(self) -> dict[str, Any]:
        """The window as it is written in the AppProject (empty fields left out)."""
        out: dict[str, Any] = {"kind": self.kind, "schedule": self.schedule}
        out["duration"] = self.duration
        for key, value in (
            ("applications", list(self.applications)),
            ("namespaces", list(self.namespaces)),
            ("clusters", list(self.clusters)),
            ("manualSync", self.manual_sync),
            ("timeZone", self.time_zone),
            ("andOperator", self.and_operator),
            ("description", self.description),
            ("syncOverrun", self.sync_overrun),
        ):
            if value:
                out[key] = value
        return out


@dataclass(frozen=True)
class SyncDecision:
    """Whether a sync may run, why, and the windows that took part."""

    allowed: bool
    reason: str
    matching: tuple[SyncWindow, ...] = ()  # the windows that apply to the app
    active: tuple[SyncWindow, ...] = ()  # those of them open now (valid ones only)
    errors: tuple[str, ...] = ()  # invalid windows that apply to the app

    def as_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "reason": self.reason,
            "activeWindows": [w.as_dict() for w in self.active],
            "matchingWindows": [w.as_dict() for w in self.matching],
            "errors": list(self.errors),
        }


@dataclass(frozen=True)
class SyncWindows:
    """A project's windows in order."""

    windows: tuple[SyncWindow, ...] = ()

    @classmethod
    def parse(cls, data: Any) -> SyncWindows:
        """`spec.syncWindows` (None or a list); invalid entries are kept with their error."""
        if data is None:
            return cls()
        if not isinstance(data, list):
            return cls((SyncWindow.parse(data, 0),))
        return cls(tuple(SyncWindow.parse(entry, i) for i, entry in enumerate(data)))

    @property
    def errors(self) -> tuple[str, ...]:
        """One line per invalid window."""
        return tuple(w.error for w in self.windows if w.error)

    def matching(self, target: WindowTarget) -> SyncWindows:
        return SyncWindows(tuple(w for w in self.windows if w.applies_to(target)))

    def active(self, at: datetime, *, now: datetime | None = None) -> tuple[SyncWindow, ...]:
        """The valid windows open at `at`."""
        return tuple(w for w in self.windows if not w.error and w.active(at, now=now))

    def can_sync(
        self,
        target: WindowTarget,
        *,
        manual: bool,
        now: datetime,
        operation_started: datetime | None = None,
    ) -> SyncDecision:
        """Whether `target` may sync at `now` (3.5). `manual`: started by a user (an
        operation not flagged automated); `operation_started`: the start of the running
        operation being continued, for `syncOverrun`."""
        windows = self.matching(target).windows
        if not windows:
            return SyncDecision(True, "no sync window applies to the app")
        applying = SyncWindows(windows)
        active = applying.active(now, now=now)
        errors = applying.errors
        if errors:
            return SyncDecision(
                False, f"invalid sync windows: {errors[0]}", windows, active, errors
            )
        allowed, reason = applying._decide(manual, now, now, operation_started)
        return SyncDecision(allowed, reason, windows, active)

    def _decide(
        self, manual: bool, at: datetime, now: datetime, started: datetime | None
    ) -> tuple[bool, str]:
        active = self.active(at, now=now)
        opened = {id(w) for w in active}
        denies = [w for w in active if w.kind == Kind.DENY]
        if denies:
            if manual and all(w.manual_sync for w in denies):
                return True, "manual sync permitted: every active deny window has manualSync"
            if all(w.sync_overrun for w in denies) and self._started_ok(manual, started, now):
                return True, "sync overrun: the operation started while syncing was permitted"
            return False, f"blocked by sync window: {_names(denies)} active"
        if any(w.kind == Kind.ALLOW for w in active):
            return True, f"permitted by active sync window: {_names(active)}"
        closed = [w for w in self.windows if w.kind == Kind.ALLOW and id(w) not in opened]
        if closed:
            if manual and all(w.manual_sync for w in closed):
                return True, "manual sync permitted: every inactive allow window has manualSync"
            if all(w.sync_overrun for w in closed) and self._started_ok(manual, started, now):
                return True, "sync overrun: the operation started while syncing was permitted"
            return False, f"blocked by sync window: no allow window active ({_names(closed)})"
        return True, "no active sync window blocks the app"

    def _started_ok(self, manual: bool, started: datetime | None, now: datetime) -> bool:
        return started is not None and self._decide(manual, started, now, None)[0]


def _glob(pattern: str, value: str) -> bool:
    return pattern == "*" or glob_match(pattern, value)


def _names(windows: Iterable[SyncWindow]) -> str:
    return ", ".join(w.name for w in windows)


def _where(index: int, kind: str, description: str) -> str:
    label = ", ".join(p for p in (kind, f'"{description}"' if description else "") if p)
    return f"syncWindows[{index}]" + (f" ({label})" if label else "")
