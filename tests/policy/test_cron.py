"""Sync-window cron schedules (reference 3.2): robfig/cron's five-field parser, its errors
with the field named, and fire times in a time zone across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from gitferry.policy import cron

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
WED = datetime(2024, 3, 6, tzinfo=UTC)  # a Wednesday


def at(hour: int, minute: int = 0, second: int = 0, day: int = 6) -> datetime:
    return datetime(2024, 3, day, hour, minute, second, tzinfo=UTC)


# (schedule, after, next fire)
NEXT_CASES = {
    "daily at 10": ("0 10 * * *", at(9, 59, 59), at(10)),
    "the start second itself is not next": ("0 10 * * *", at(10), at(10, day=7)),
    "sub-second after the start still next day": ("0 10 * * *", at(10), at(10, day=7)),
    "every minute of hour 10": ("* 10 * * *", at(10, 0, 1), at(10, 1)),
    "every 15 minutes": ("*/15 * * * *", at(0, 14, 59), at(0, 15)),
    "weekdays by name": ("0 9 * * MON-FRI", at(9, 0, 1), at(9, day=7)),
    "weekdays by number skip the weekend": ("0 9 * * 1-5", at(9, 0, 1, day=8), at(9, day=11)),
    "weekend list": ("0 9 * * 0,6", at(12), at(9, day=9)),
    "question mark is star": ("0 9 ? * *", at(12), at(9, day=7)),
    "day of month OR day of week when both are set": ("0 0 6 * 1", at(0, 0, 1), at(0, day=11)),
    "step over a range": ("0 8-18/4 * * *", at(12, 0, 1), at(16)),
    "single value with step runs to the maximum": ("0 20/2 * * *", at(20, 0, 1), at(22)),
    "month names are case-insensitive": ("0 0 1 apr *", at(0), datetime(2024, 4, 1, tzinfo=UTC)),
    "star-step on day of month keeps AND with day of week": (
        "0 0 */1 * 1",
        at(0, 0, 1),
        at(0, day=11),
    ),
}


@pytest.mark.parametrize(("spec", "after", "expected"), NEXT_CASES.values(), ids=NEXT_CASES.keys())
def test_next_fire_time(spec: str, after: datetime, expected: datetime) -> None:
    assert cron.parse(spec).next(after) == expected


def test_step_over_star_of_day_of_month_makes_days_or() -> None:
    # `*/2` is not `*` for robfig: day of month and day of week are ORed.
    schedule = cron.parse("0 0 */2 * 1")
    assert schedule.day_matches(datetime(2024, 3, 11).date())  # Monday, 11th (odd day)
    assert schedule.day_matches(datetime(2024, 3, 7).date())  # Thursday, 7th (1+2k)
    assert not schedule.day_matches(datetime(2024, 3, 8).date())


# (schedule, error contains) -- robfig's wording, with the field in front
ERROR_CASES = {
    "descending hour range": (
        "0 18-8 * * *",
        "hour: beginning of range (18) beyond end of range (8): 18-8",
    ),
    "day of week 7": ("0 9 * * 7", "day of week: end of range (7) above maximum (6): 7"),
    "day of week 7 in a range": ("* 10 * * 1-7", "day of week: end of range (7) above maximum"),
    "descriptors": ("@daily", "parser does not accept descriptors: @daily"),
    "every descriptor": ("@every 1h", "parser does not accept descriptors"),
    "six fields": ("0 0 9 * * *", "expected exactly 5 fields, found 6"),
    "four fields": ("0 9 * *", "expected exactly 5 fields, found 4"),
    "empty": ("", "empty spec string"),
    "minute 60": ("60 * * * *", "minute: end of range (60) above maximum (59): 60"),
    "day of month 0": ("0 0 0 * *", "day of month: beginning of range (0) below minimum (1)"),
    "month 13": ("0 0 1 13 *", "month: end of range (13) above maximum (12)"),
    "not a number": ("x * * * *", "minute: failed to parse int from x"),
    "zero step": ("*/0 * * * *", "minute: step of range should be a positive number"),
    "two hyphens": ("1-2-3 * * * *", "minute: too many hyphens: 1-2-3"),
    "two slashes": ("*/2/3 * * * *", "minute: too many slashes"),
    "unknown zone prefix": ("TZ=Mars/Base 0 0 * * *", "provided bad location Mars/Base"),
}


@pytest.mark.parametrize(("spec", "message"), ERROR_CASES.values(), ids=ERROR_CASES.keys())
def test_invalid_schedules_are_rejected_naming_the_field(spec: str, message: str) -> None:
    with pytest.raises(cron.CronError, match=message.replace("(", r"\(").replace(")", r"\)")):
        cron.parse(spec)


def test_zone_prefix_reads_the_fields_in_that_zone() -> None:
    schedule = cron.parse("CRON_TZ=Asia/Dhaka 0 9 * * *")
    assert schedule.next(at(0)) == at(3)  # 09:00 in Dhaka (+6)


def test_a_schedule_that_never_fires_has_no_next_time() -> None:
    assert cron.parse("0 0 30 2 *").next(WED) is None
    assert cron.parse("0 0 , * *").next(WED) is None  # robfig drops empty list items


def test_previous_fire_time_is_strictly_before() -> None:
    schedule = cron.parse("* * * * *")
    assert schedule.previous(at(0)) == at(23, 59, day=5)
    assert schedule.previous(at(0, 0, 1)) == at(0)


# -- DST: the fields are read on the local wall clock of the zone --------------------------


def test_spring_forward_skips_a_time_in_the_missing_hour() -> None:
    schedule = cron.parse("30 2 * * *")
    # 2024-03-10: New York clocks jump from 02:00 EST to 03:00 EDT; 02:30 does not exist.
    after = datetime(2024, 3, 10, 0, 0, tzinfo=NEW_YORK)
    assert schedule.next(after) == datetime(2024, 3, 11, 2, 30, tzinfo=NEW_YORK)
    assert schedule.previous(datetime(2024, 3, 11, tzinfo=NEW_YORK)) == datetime(
        2024, 3, 9, 2, 30, tzinfo=NEW_YORK
    )


def test_spring_forward_keeps_wall_clock_times_after_the_jump() -> None:
    schedule = cron.parse("0 9 * * *")
    nine_edt = schedule.next(datetime(2024, 3, 10, 0, 0, tzinfo=NEW_YORK))
    assert nine_edt is not None
    assert nine_edt.astimezone(UTC) == datetime(2024, 3, 10, 13, 0, tzinfo=UTC)


def test_autumn_repeated_hour_fires_in_both_passes() -> None:
    schedule = cron.parse("30 1 * * *")
    # 2024-10-27: London clocks go back from 02:00 BST to 01:00 GMT; 01:30 happens twice.
    first = schedule.next(datetime(2024, 10, 27, 0, 0, tzinfo=LONDON))
    assert first is not None and first.astimezone(UTC) == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)
    second = schedule.next(first)
    assert second is not None
    assert second.astimezone(UTC) == datetime(2024, 10, 27, 1, 30, tzinfo=UTC)
    third = schedule.next(second)
    assert third is not None and third.astimezone(UTC) == datetime(2024, 10, 28, 1, 30, tzinfo=UTC)
    assert schedule.previous(second) == first


def test_times_without_a_zone_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        cron.parse("0 0 * * *").next(datetime(2024, 1, 1))
