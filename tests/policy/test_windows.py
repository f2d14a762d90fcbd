"""Sync windows (reference 3.3-3.5): when a window is active, which apps it applies to, and
whether an app may sync, with the reference's tables, several time zones and DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from gitferry._kit.clock import FakeClock
from gitferry.policy.windows import SyncWindow, SyncWindows, WindowTarget

TARGET = WindowTarget("test-app", "default", "cluster1", "clusterName")


def utc(hour: int, minute: int = 0, second: int = 0, *, day: int = 6, month: int = 3) -> datetime:
    return datetime(2024, month, day, hour, minute, second, tzinfo=UTC)  # 2024-03-06 is a Wed


def window(schedule: str, duration: str, **extra: Any) -> SyncWindow:
    data = {"kind": "allow", "schedule": schedule, "duration": duration, "applications": ["*"]}
    return SyncWindow.parse({**data, **extra}, 0)


# (schedule, duration, timeZone, now, active) -- reference 3.3
ACTIVE_CASES = [
    ("0 10 * * *", "2h", "", utc(9, 59, 59), False),
    ("0 10 * * *", "2h", "", utc(10), False),
    ("0 10 * * *", "2h", "", utc(10, 0, 1), True),
    ("0 10 * * *", "2h", "", utc(11, 59, 59), True),
    ("0 10 * * *", "2h", "", utc(12), False),
    ("* 10 * * *", "2h", "", utc(12, 30), True),
    ("* 10 * * *", "2h", "", utc(12, 59), False),
    ("0 22 * * *", "4h", "UTC", utc(1, day=7), True),
    ("0 9 * * MON-FRI", "8h", "", utc(12), True),
    ("0 9 * * 1-5", "8h", "", utc(12), True),
    ("0 9 * * 0,6", "8h", "", utc(12), False),
    ("0 9 ? * *", "8h", "", utc(12), True),
    ("*/15 * * * *", "5m", "", utc(0, 16), True),
    ("*/15 * * * *", "5m", "", utc(0, 21), False),
    ("0 0 6 * 1", "1h", "", utc(0, 30), True),
    ("0 0 1 1 1", "1h", "", utc(0, 30), False),
    ("0 10 * * *", "1h30m", "", utc(11, 29), True),
    ("0 10 * * *", "0s", "", utc(10, 0, 1), False),
    ("* 10 * * *", "2h", "America/New_York", utc(16), True),
    ("* 14 * * *", "2h", "America/New_York", utc(20), True),
    ("* 14 * * *", "2h", "America/New_York", utc(22), False),
    ("* 8 * * *", "2h", "Asia/Dhaka", utc(3), True),
    ("* 12 * * *", "2h", "Asia/Dhaka", utc(3), False),
    ("0 9 * * *", "1h", "Asia/Kolkata", utc(3, 45), True),  # +05:30: 09:15 local
    ("0 0 30 2 *", "1h", "", utc(12), True),  # never fires: robfig's zero time counts as open
]


@pytest.mark.parametrize(
    ("schedule", "duration", "zone", "now", "expected"),
    ACTIVE_CASES,
    ids=[f"{s}/{d}/{z or 'UTC'}@{n:%dT%H:%M:%S}" for s, d, z, n, _ in ACTIVE_CASES],
)
def test_window_is_active_on_the_open_interval_after_a_fire_time(
    schedule: str, duration: str, zone: str, now: datetime, expected: bool
) -> None:
    assert window(schedule, duration, timeZone=zone).active(now) is expected


def test_a_time_given_in_another_offset_is_converted_first() -> None:
    seven_at_minus_four = datetime(2024, 3, 6, 7, 0, tzinfo=timezone(timedelta(hours=-4)))
    assert window("* 10 * * *", "2h").active(seven_at_minus_four)


def test_subsecond_after_the_start_is_already_active() -> None:
    assert window("0 10 * * *", "2h").active(utc(10) + timedelta(milliseconds=500))


def test_zone_offset_is_the_clocks_not_the_instants() -> None:
    # As Argo CD: the offset of the zone *now* shifts the instant asked about (here a winter
    # instant evaluated on a summer clock: EDT, so 15:30Z reads as 11:30, after the window).
    nyc = window("0 10 * * *", "1h", timeZone="America/New_York")
    winter = datetime(2024, 1, 10, 15, 30, tzinfo=UTC)
    assert nyc.active(winter)
    assert not nyc.active(winter, now=datetime(2024, 7, 1, tzinfo=UTC))


# -- DST changes ---------------------------------------------------------------------------

# 2024-03-10: New York jumps from 02:00 EST to 03:00 EDT (07:00Z); 02:30 never shows.
SPRING = [
    (datetime(2024, 3, 9, 7, 30, 1, tzinfo=UTC), True),  # the day before: 02:30 EST
    (datetime(2024, 3, 9, 8, 29, 59, tzinfo=UTC), True),
    (datetime(2024, 3, 10, 6, 59, 59, tzinfo=UTC), False),  # 01:59:59 EST
    (datetime(2024, 3, 10, 7, 0, 0, tzinfo=UTC), True),  # 03:00 EDT: opens at the jump
    (datetime(2024, 3, 10, 7, 29, 59, tzinfo=UTC), True),
    (datetime(2024, 3, 10, 7, 30, 0, tzinfo=UTC), False),  # 03:30 EDT: wall-clock end
    (datetime(2024, 3, 11, 6, 30, 1, tzinfo=UTC), True),  # the day after: 02:30 EDT
    (datetime(2024, 3, 11, 7, 30, 0, tzinfo=UTC), False),
]


@pytest.mark.parametrize(("now", "expected"), SPRING, ids=[f"{n:%dT%H:%M:%SZ}" for n, _ in SPRING])
def test_window_in_the_skipped_spring_hour_follows_the_wall_clock(
    now: datetime, expected: bool
) -> None:
    clock = FakeClock(now)
    nyc = window("30 2 * * *", "1h", timeZone="America/New_York")
    assert nyc.active(clock.now()) is expected


# 2024-10-27: London goes back from 02:00 BST to 01:00 GMT (01:00Z); 01:30 shows twice.
AUTUMN = [
    (datetime(2024, 10, 27, 0, 30, 0, tzinfo=UTC), False),  # 01:30 BST, the start second
    (datetime(2024, 10, 27, 0, 45, 0, tzinfo=UTC), True),
    (datetime(2024, 10, 27, 0, 59, 59, tzinfo=UTC), True),
    (datetime(2024, 10, 27, 1, 0, 0, tzinfo=UTC), False),  # 01:00 GMT: before 01:30 again
    (datetime(2024, 10, 27, 1, 30, 1, tzinfo=UTC), True),  # 01:30 GMT: the second pass
    (datetime(2024, 10, 27, 2, 29, 59, tzinfo=UTC), True),
    (datetime(2024, 10, 27, 2, 30, 0, tzinfo=UTC), False),
]


@pytest.mark.parametrize(("now", "expected"), AUTUMN, ids=[f"{n:%dT%H:%M:%SZ}" for n, _ in AUTUMN])
def test_window_in_the_repeated_autumn_hour_is_open_in_both_passes(
    now: datetime, expected: bool
) -> None:
    london = window("30 1 * * *", "1h", timeZone="Europe/London")
    assert london.active(now) is expected


def test_advancing_a_fake_clock_through_the_spring_jump() -> None:
    clock = FakeClock(datetime(2024, 3, 10, 6, 0, tzinfo=UTC))
    windows = SyncWindows((window("30 2 * * *", "1h", timeZone="America/New_York"),))
    opened = []
    for _ in range(12):
        opened.append(windows.can_sync(TARGET, manual=False, now=clock.now()).allowed)
        clock.advance(15 * 60)
    # 06:00Z .. 08:45Z in 15-minute steps: open from 07:00Z (03:00 EDT) to before 07:30Z
    assert opened == [False] * 4 + [True, True] + [False] * 6


# -- which windows apply (3.4) ---------------------------------------------------------------

MATCH_CASES: dict[str, tuple[dict[str, Any], bool]] = {
    "namespace": ({"namespaces": ["default"]}, True),
    "cluster server": ({"clusters": ["cluster1"]}, True),
    "cluster name": ({"clusters": ["clusterName"]}, True),
    "application": ({"applications": ["test-app"]}, True),
    "application glob": ({"applications": ["test-*"]}, True),
    "cluster glob": ({"clusters": ["clusterN*"]}, True),
    "other application": ({"applications": ["other"]}, False),
    "OR: one list hits": ({"applications": ["other"], "namespaces": ["default"]}, True),
    "AND: all lists hit": (
        {"applications": ["test-*"], "namespaces": ["default"], "andOperator": True},
        True,
    ),
    "AND: one list misses": (
        {"applications": ["test-*"], "namespaces": ["prod"], "andOperator": True},
        False,
    ),
    "AND: empty lists are ignored": ({"clusters": ["cluster1"], "andOperator": True}, True),
    "no lists": ({}, False),
    "no negation in windows": ({"namespaces": ["!prod"]}, False),
}


@pytest.mark.parametrize(("selectors", "expected"), MATCH_CASES.values(), ids=MATCH_CASES.keys())
def test_window_applies_by_app_cluster_and_namespace(
    selectors: dict[str, Any], expected: bool
) -> None:
    data = {"kind": "allow", "schedule": "* * * * *", "duration": "1h", **selectors}
    assert SyncWindow.parse(data, 0).applies_to(TARGET) is expected


# -- CanSync (3.5) ---------------------------------------------------------------------------

NOW = utc(12)
ON = {"schedule": "0 11 * * *", "duration": "2h"}  # active at NOW
OFF = {"schedule": "0 0 1 1 1", "duration": "1h"}  # inactive at NOW


def spec(kind: str, timing: dict[str, str], manual: bool = False, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, **timing, "applications": ["test-app"], "manualSync": manual, **extra}


# (windows, manual, allowed) -- reference 3.5 table
CAN_SYNC_CASES: dict[str, tuple[list[dict[str, Any]], bool, bool]] = {
    "no windows": ([], False, True),
    "inactive deny with manualSync, manual": ([spec("deny", OFF, True)], True, True),
    "inactive deny, manual": ([spec("deny", OFF)], True, True),
    "inactive allows, one manualSync, manual": (
        [spec("allow", OFF, True), spec("allow", OFF)],
        True,
        False,
    ),
    "active allow, manual": ([spec("allow", ON)], True, True),
    "active allow with manualSync, manual": ([spec("allow", ON, True)], True, True),
    "active allow, auto": ([spec("allow", ON)], False, True),
    "active allow and inactive deny, manual": ([spec("allow", ON), spec("deny", OFF)], True, True),
    "active allow and inactive deny, auto": ([spec("allow", ON), spec("deny", OFF)], False, True),
    "inactive allow, manual": ([spec("allow", OFF)], True, False),
    "inactive allow, auto": ([spec("allow", OFF)], False, False),
    "inactive allow with manualSync, manual": ([spec("allow", OFF, True)], True, True),
    "inactive allow with manualSync, auto": ([spec("allow", OFF, True)], False, False),
    "inactive allow and deny, manual": ([spec("allow", OFF), spec("deny", OFF)], True, False),
    "inactive allow and deny, auto": ([spec("allow", OFF), spec("deny", OFF)], False, False),
    "active and inactive allow, auto": ([spec("allow", ON), spec("allow", OFF)], False, True),
    "active deny, manual": ([spec("deny", ON)], True, False),
    "active deny, auto": ([spec("deny", ON)], False, False),
    "active deny with manualSync, manual": ([spec("deny", ON, True)], True, True),
    "active deny with manualSync, auto": ([spec("deny", ON, True)], False, False),
    "three manual denies and one not, manual": (
        [spec("deny", ON, True)] * 3 + [spec("deny", ON)],
        True,
        False,
    ),
    "active allow and deny, manual": ([spec("allow", ON), spec("deny", ON)], True, False),
    "active allow and manual deny, manual": (
        [spec("allow", ON), spec("deny", ON, True)],
        True,
        True,
    ),
    "active allow and manual deny, auto": (
        [spec("allow", ON), spec("deny", ON, True)],
        False,
        False,
    ),
    "a window for another app is ignored": (
        [{**spec("deny", ON), "applications": ["other"]}],
        False,
        True,
    ),
}


@pytest.mark.parametrize(
    ("specs", "manual", "expected"), CAN_SYNC_CASES.values(), ids=CAN_SYNC_CASES.keys()
)
def test_can_sync(specs: list[dict[str, Any]], manual: bool, expected: bool) -> None:
    windows = SyncWindows.parse(specs)
    decision = windows.can_sync(TARGET, manual=manual, now=NOW)
    assert decision.allowed is expected, decision.reason
    assert decision.reason.startswith("blocked by sync window") is not expected


ALLOW = {"schedule": "0 10 * * *", "duration": "2h"}  # 10:00-12:00
EARLY_ALLOW = {"schedule": "0 9 * * *", "duration": "2h"}  # 09:00-11:00
DENY = {"schedule": "0 12 * * *", "duration": "2h"}  # 12:00-14:00

# (windows, operation started, allowed at 13:00) -- the docs' transition scenarios
OVERRUN_CASES: dict[str, tuple[list[dict[str, Any]], datetime | None, bool]] = {
    "no window -> deny with overrun": ([spec("deny", DENY, syncOverrun=True)], utc(11), True),
    "no window -> deny without overrun": ([spec("deny", DENY)], utc(11), False),
    "allow(overrun) -> deny(overrun)": (
        [spec("allow", ALLOW, syncOverrun=True), spec("deny", DENY, syncOverrun=True)],
        utc(11),
        True,
    ),
    "allow(overrun) -> deny": (
        [spec("allow", ALLOW, syncOverrun=True), spec("deny", DENY)],
        utc(11),
        False,
    ),
    "allow -> deny(overrun)": (
        [spec("allow", ALLOW), spec("deny", DENY, syncOverrun=True)],
        utc(11),
        True,
    ),
    "allow -> deny": ([spec("allow", ALLOW), spec("deny", DENY)], utc(11), False),
    "allow(overrun) ends": ([spec("allow", ALLOW, syncOverrun=True)], utc(11), True),
    "allow(overrun) ends, no running operation": (
        [spec("allow", ALLOW, syncOverrun=True)],
        None,
        False,
    ),
    "allow(overrun) ends, operation started outside it": (
        [spec("allow", ALLOW, syncOverrun=True)],
        utc(8),
        False,
    ),
    "several allows with overrun end": (
        [spec("allow", ALLOW, syncOverrun=True), spec("allow", EARLY_ALLOW, syncOverrun=True)],
        utc(10, 30),
        True,
    ),
    "several allows, one without overrun, end": (
        [spec("allow", ALLOW, syncOverrun=True), spec("allow", EARLY_ALLOW)],
        utc(10, 30),
        False,
    ),
}


@pytest.mark.parametrize(
    ("specs", "started", "expected"), OVERRUN_CASES.values(), ids=OVERRUN_CASES.keys()
)
def test_sync_overrun_lets_a_running_operation_continue(
    specs: list[dict[str, Any]], started: datetime | None, expected: bool
) -> None:
    windows = SyncWindows.parse(specs)
    decision = windows.can_sync(TARGET, manual=False, now=utc(13), operation_started=started)
    assert decision.allowed is expected, decision.reason


def test_decision_lists_the_active_windows_that_apply() -> None:
    windows = SyncWindows.parse([spec("allow", ON), spec("deny", OFF), spec("allow", ALLOW)])
    decision = windows.can_sync(TARGET, manual=False, now=NOW)
    assert [w.index for w in decision.active] == [0]
    assert [w.index for w in decision.matching] == [0, 1, 2]
    assert decision.as_dict()["activeWindows"] == [
        {"kind": "allow", "schedule": "0 11 * * *", "duration": "2h", "applications": ["test-app"]}
    ]


# -- validation ------------------------------------------------------------------------------

INVALID_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "unknown kind": (
        spec("maybe", ON),
        "syncWindows[0] (maybe): kind 'maybe' mismatch: can only be allow or deny",
    ),
    "day of week 7": (
        spec("allow", {"schedule": "* 10 * * 7", "duration": "1h"}),
        "syncWindows[0] (allow): cannot parse schedule '* 10 * * 7': day of week: end of range",
    ),
    "unknown duration unit": (
        spec("allow", {"schedule": "0 10 * * *", "duration": "3a"}),
        'cannot parse duration \'3a\': time: unknown unit "a" in duration "3a"',
    ),
    "days are not a Go unit": (
        spec("allow", {"schedule": "0 10 * * *", "duration": "1d"}),
        'time: unknown unit "d" in duration "1d"',
    ),
    "missing duration": (
        spec("allow", {"schedule": "0 10 * * *"}),
        "cannot parse duration '': time: invalid duration \"\"",
    ),
    "unknown time zone": (
        spec("deny", ON, timeZone="Mars/Olympus"),
        "syncWindows[0] (deny): cannot load time zone 'Mars/Olympus': unknown time zone",
    ),
    "a directory of zones is not a zone": (
        spec("deny", ON, timeZone="America"),
        "cannot load time zone 'America': unknown time zone America",
    ),
    "description names the window": (
        spec("deny", {"schedule": "@daily", "duration": "1h"}, description="freeze"),
        "syncWindows[0] (deny, \"freeze\"): cannot parse schedule '@daily'",
    ),
}


@pytest.mark.parametrize(("data", "message"), INVALID_CASES.values(), ids=INVALID_CASES.keys())
def test_invalid_window_reports_one_error_naming_it(data: dict[str, Any], message: str) -> None:
    windows = SyncWindows.parse([data])
    assert len(windows.errors) == 1
    assert message in windows.errors[0]


def test_invalid_window_that_applies_blocks_even_manual_syncs() -> None:
    windows = SyncWindows.parse(
        [spec("allow", ON), spec("deny", {"schedule": "0 18-8 * * *", "duration": "14h"}, True)]
    )
    decision = windows.can_sync(TARGET, manual=True, now=NOW)
    assert not decision.allowed
    assert decision.reason.startswith("invalid sync windows: syncWindows[1] (deny): cannot parse")
    assert decision.errors == windows.errors
    assert [w.index for w in decision.active] == [0]


def test_invalid_window_for_other_apps_does_not_block() -> None:
    bad = {**spec("deny", {"schedule": "0 18-8 * * *", "duration": "14h"}), "applications": ["x"]}
    decision = SyncWindows.parse([bad]).can_sync(TARGET, manual=False, now=NOW)
    assert decision.allowed and not decision.errors


def test_window_without_selectors_is_invalid_but_applies_to_nothing() -> None:
    windows = SyncWindows.parse([{"kind": "deny", **ON}])
    assert "applies to nothing" in windows.errors[0]
    assert windows.can_sync(TARGET, manual=False, now=NOW).allowed


def test_activity_of_an_invalid_window_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot parse schedule"):
        window("0 18-8 * * *", "1h").active(NOW)
