"""Five-field cron schedules as Argo CD's sync windows parse them (reference 3.2): the
robfig/cron v3 parser with Minute | Hour | Dom | Month | Dow, and its `Next`.

Rules:

* Exactly five fields: minute 0-59, hour 0-23, day of month 1-31, month 1-12 or JAN-DEC,
  day of week 0-6 or SUN-SAT (7 is an error). Names are case-insensitive.
* `*` and `?` (all), lists `a,b`, ranges `a-b` that must ascend (`18-8` is an error, not a
  range across midnight), steps `*/n`, `a-b/n` and `a/n` (= `a-max/n`).
* Descriptors (`@daily`, `@every 1h`) are rejected. An optional `TZ=<zone> ` or
  `CRON_TZ=<zone> ` prefix sets the zone the fields are read in.
* Day matching: when the day of month or the day of week is `*`/`?` (a step over `*` of
  more than 1 does not count as `*`), both must match; when both are restricted, either
  matching is enough (`0 0 6 * 1` = the 6th and every Monday).
* Errors are robfig's wording with the field named in front:
  `hour: beginning of range (18) beyond end of range (8): 18-8`.

Fire times are the instants whose local wall clock (in the schedule's zone, else the zone of
the time asked about) shows a matching minute at second 0, so they are right across DST
changes: a time in the hour skipped in spring never fires, one in the hour repeated in autumn
fires in both passes (as robfig's `Next` does). `next` looks at most to the end of the fifth
following year and returns None past that (robfig returns Go's zero time).

Pure; called by `policy.windows`.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# name, minimum, maximum, names
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {m: i for i, m in enumerate(_MONTHS, 1)}),
    ("day of week", 0, 6, {d: i for i, d in enumerate(_DAYS)}),
)
_INT = re.compile(r"[+-]?[0-9]+")
_YEARS_AHEAD = 5
# No DST change moves a wall clock by more than this.
_DST_SLACK = timedelta(hours=3)


class CronError(ValueError):
    """A schedule robfig/cron rejects; the message names the field and the value."""


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule. Sets hold the values each field matches."""

    spec: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool  # day of month or day of week is `*`/`?`: both must match
    zone: tzinfo | None = None  # from a TZ= prefix

    def day_matches(self, day: date) -> bool:
        """Whether the schedule fires on this calendar day (at some time)."""
        if day.month not in self.months:
            return False
        in_month = day.day in self.days
        in_week = day.isoweekday() % 7 in self.weekdays
        return (in_month and in_week) if self.any_day else (in_month or in_week)

    def next(self, after: datetime) -> datetime | None:
        """The first fire time at or after the second following `after` (aware), in
        `after`'s zone; None when there is none within five years."""
        zone = self._zone_for(after)
        # In UTC: arithmetic on an aware local time is wall-clock arithmetic (loses `fold`).
        start = after.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
        first = start.astimezone(zone).replace(tzinfo=None)
        if not self._fires_at_all():
            return None
        fixed = _fixed(zone)
        bound = first if fixed else first - _DST_SLACK
        day = bound.date()
        while day.year <= first.year + _YEARS_AHEAD:
            if self.day_matches(day):
                moments = self._instants_of_day(day, zone, bound)
                found = next((m for m in moments if m >= start), None)
                if found is not None:
                    return found.astimezone(after.tzinfo)
            day += timedelta(days=1)
        return None

    def previous(self, before: datetime) -> datetime | None:
        """The last fire time strictly before `before` (aware), in `before`'s zone; None
        when there is none within five years."""
        zone = self._zone_for(before)
        last = before.astimezone(zone).replace(tzinfo=None)
        if not self._fires_at_all():
            return None
        bound = last if _fixed(zone) else last + _DST_SLACK
        day = bound.date()
        while day.year >= last.year - _YEARS_AHEAD:
            if self.day_matches(day):
                moments = self._instants_of_day(day, zone, bound, descending=True)
                found = next((m for m in moments if m < before), None)
                if found is not None:
                    return found.astimezone(before.tzinfo)
            day -= timedelta(days=1)
        return None

    def _zone_for(self, moment: datetime) -> tzinfo:
        if moment.tzinfo is None:
            raise ValueError("cron: times must carry a time zone")
        return self.zone or moment.tzinfo

    def _fires_at_all(self) -> bool:
        return bool(self.minutes and self.hours and self.months and (self.days or self.weekdays))

    def _instants_of_day(
        self, day: date, zone: tzinfo, bound: datetime, *, descending: bool = False
    ) -> Iterator[datetime]:
        """The fire times of one local day as UTC instants, ascending (descending), from the
        wall time `bound` on (back) when it falls on this day. In a zone of fixed offset they
        are produced lazily, since the callers stop at the first hit."""
        walls = (
            datetime.combine(day, time(hour, minute))
            for hour in (reversed(self.hours) if descending else self.hours)
            if day != bound.date() or (hour <= bound.hour if descending else hour >= bound.hour)
            for minute in (reversed(self.minutes) if descending else self.minutes)
            if day != bound.date()
            or hour != bound.hour
            or (minute <= bound.minute if descending else minute >= bound.minute)
        )
        if _fixed(zone):
            return (wall.replace(tzinfo=zone).astimezone(UTC) for wall in walls)
        found = sorted((m for wall in walls for m in _instants(wall, zone)), reverse=descending)
        return iter(found)


def parse(spec: str) -> Schedule:
    """Parse a five-field schedule; raises `CronError`."""
    if not spec:
        raise CronError("empty spec string")
    zone: tzinfo | None = None
    text = spec
    if text.startswith(("TZ=", "CRON_TZ=")):
        head, space, rest = text.partition(" ")
        name = head.partition("=")[2]
        if not space:
            raise CronError(f"provided bad location {name}: missing the schedule after it")
        zone = _zone(name)
        text = rest.strip()
    if text.startswith("@"):
        raise CronError(f"parser does not accept descriptors: {text}")
    fields = text.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    parsed: list[frozenset[int]] = []
    stars: list[bool] = []
    for value, (name, low, high, names) in zip(fields, _FIELDS, strict=True):
        try:
            bits, star = _field(value, low, high, names)
        except CronError as err:
            raise CronError(f"{name}: {err}") from None
        parsed.append(bits)
        stars.append(star)
    minutes, hours, days, months, weekdays = parsed
    return Schedule(
        spec=spec,
        minutes=tuple(sorted(minutes)),
        hours=tuple(sorted(hours)),
        days=days,
        months=months,
        weekdays=weekdays,
        any_day=stars[2] or stars[4],
        zone=zone,
    )


def _zone(name: str) -> tzinfo:
    if name in ("", "UTC"):
        return UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise CronError(f"provided bad location {name}: unknown time zone {name}") from None


def _field(value: str, low: int, high: int, names: dict[str, int]) -> tuple[frozenset[int], bool]:
    """The values of one field and whether it counts as `*` (robfig's star bit)."""
    bits: set[int] = set()
    star = False
    for part in (p for p in value.split(",") if p):
        values, part_star = _range(part, low, high, names)
        bits |= values
        star = star or part_star
    return frozenset(bits), star


def _range(expr: str, low: int, high: int, names: dict[str, int]) -> tuple[set[int], bool]:
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    star = False
    if low_and_high[0] in ("*", "?"):
        start, end, star = low, high, True
    else:
        start = _number(low_and_high[0], names)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _number(low_and_high[1], names)
        else:
            raise CronError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _number(range_and_step[1], {})
        if len(low_and_high) == 1:  # `N/step` means `N-max/step`
            end = high
        if step > 1:
            star = False
    else:
        raise CronError(f"too many slashes: {expr}")
    if start < low:
        raise CronError(f"beginning of range ({start}) below minimum ({low}): {expr}")
    if end > high:
        raise CronError(f"end of range ({end}) above maximum ({high}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")
    return set(range(start, end + 1, step)), star


def _number(text: str, names: dict[str, int]) -> int:
    if text.lower() in names:
        return names[text.lower()]
    if not _INT.fullmatch(text):
        raise CronError(
            f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": invalid syntax'
        )
    number = int(text)
    if number < 0:
        raise CronError(f"negative number ({number}) not allowed: {text}")
    return number


def _fixed(zone: tzinfo) -> bool:
    return zone is UTC or isinstance(zone, timezone)


def _instants(wall: datetime, zone: tzinfo) -> list[datetime]:
    """The UTC instants at which the clock of `zone` shows `wall`: none in a gap, two in a
    repeated hour."""
    found: list[datetime] = []
    for fold in (0, 1):
        moment = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if moment.astimezone(zone).replace(tzinfo=None) == wall and moment not in found:
            found.append(moment)
    return found
