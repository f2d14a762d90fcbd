"""Sprig's date functions: now, date, dateInZone, htmlDate, htmlDateInZone, unixEpoch,
toDate/mustToDate, dateModify/mustDateModify, with Go's reference-time layouts
(`2006-01-02T15:04:05Z07:00`)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

from gitferry.appset.gotemplate.funcs import FuncError, Function, define
from gitferry.appset.gotemplate.values import GoTime, is_int

FUNCS: dict[str, Function] = {}

# Layout elements, longest first where one is a prefix of another (Go's nextStdChunk).
_TOKENS = [
    "January", "Jan", "Monday", "Mon", "MST",
    "2006", "002", "__2", "_2", "01", "02", "03", "04", "05", "06",
    "15", "1", "2", "3", "4", "5", "PM", "pm",
    "-070000", "-07:00:00", "-0700", "-07:00", "-07",
    "Z070000", "Z07:00:00", "Z0700", "Z07:00", "Z07",
]  # fmt: skip
_FRACTION = re.compile(r"[.,](0+|9+)(?![0-9])")


def _chunks(layout: str) -> list[tuple[bool, str]]:
    """The layout as (is_element, text) pieces."""
    out: list[tuple[bool, str]] = []
    i = 0
    literal = ""
    while i < len(layout):
        fraction = _FRACTION.match(layout, i)
        if fraction:
            out.append((False, literal))
            literal = ""
            out.append((True, fraction.group(0)))
            i = fraction.end()
            continue
        for token in _TOKENS:
            if layout.startswith(token, i):
                if token == "Mon" and layout.startswith("Month", i):
                    continue
                out.append((False, literal))
                literal = ""
                out.append((True, token))
                i += len(token)
                break
        else:
            literal += layout[i]
            i += 1
    out.append((False, literal))
    return [(is_el, text) for is_el, text in out if is_el or text]


def _zone(when: dt.datetime, sep: str, seconds: bool, z: bool) -> str:
    offset = int((when.utcoffset() or dt.timedelta(0)).total_seconds())
    if z and offset == 0:
        return "Z"
    sign = "-" if offset < 0 else "+"
    offset = abs(offset)
    text = f"{sign}{offset // 3600:02d}"
    if sep is not None:
        text += f"{sep}{offset % 3600 // 60:02d}"
    if seconds:
        text += f"{sep}{offset % 60:02d}"
    return text


def go_format(value: GoTime, layout: str) -> str:
    """time.Time.Format."""
    w = value.when
    hour12 = w.hour % 12 or 12
    out: list[str] = []
    for is_element, text in _chunks(layout):
        if not is_element:
            out.append(text)
            continue
        simple = {
            "January": w.strftime("%B"), "Jan": w.strftime("%b"),
            "Monday": w.strftime("%A"), "Mon": w.strftime("%a"),
            "MST": w.tzname() or _zone(w, "", False, False),
            "2006": f"{w.year:04d}", "06": f"{w.year % 100:02d}",
            "01": f"{w.month:02d}", "1": str(w.month),
            "02": f"{w.day:02d}", "_2": f"{w.day:2d}", "2": str(w.day),
            "002": f"{w.timetuple().tm_yday:03d}", "__2": f"{w.timetuple().tm_yday:3d}",
            "15": f"{w.hour:02d}", "03": f"{hour12:02d}", "3": str(hour12),
            "04": f"{w.minute:02d}", "4": str(w.minute),
            "05": f"{w.second:02d}", "5": str(w.second),
            "PM": "PM" if w.hour >= 12 else "AM", "pm": "pm" if w.hour >= 12 else "am",
            "-0700": _zone(w, "", False, False), "-07:00": _zone(w, ":", False, False),
            "-07": _zone(w, None, False, False),  # type: ignore[arg-type]
            "-070000": _zone(w, "", True, False), "-07:00:00": _zone(w, ":", True, False),
            "Z0700": _zone(w, "", False, True), "Z07:00": _zone(w, ":", False, True),
            "Z07": _zone(w, None, False, True),  # type: ignore[arg-type]
            "Z070000": _zone(w, "", True, True), "Z07:00:00": _zone(w, ":", True, True),
        }  # fmt: skip
        if text in simple:
            out.append(simple[text])
            continue
        digits = f"{value.nanos:09d}"[: len(text) - 1]
        if text[1] == "9":
            digits = digits.rstrip("0")
            out.append(text[0] + digits if digits else "")
        else:
            out.append(text[0] + digits)
    return "".join(out)


def _location(zone: str) -> dt.tzinfo | None:
    if zone == "Local":
        return None
    if zone in ("UTC", ""):
        return dt.UTC
    try:
        return zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _in_zone(value: GoTime, zone: str) -> GoTime:
    where = _location(zone)
    when = value.when.astimezone(where) if where is not None else value.when.astimezone()
    return GoTime(when, value.nanos)


def now() -> GoTime:
    return GoTime(dt.datetime.now().astimezone())


def _to_time(value: Any) -> GoTime:
    if isinstance(value, GoTime):
        return value
    if is_int(value) and not isinstance(value, bool):
        return GoTime(dt.datetime.fromtimestamp(int(value), dt.UTC))
    return now()


define(FUNCS, "now")(now)


@define(FUNCS, "dateInZone", "string any string")
def date_in_zone(layout: str, value: Any, zone: str) -> str:
    return go_format(_in_zone(_to_time(value), zone), layout)


FUNCS["date_in_zone"] = Function("date_in_zone", date_in_zone, ("string", "any", "string"))
define(FUNCS, "date", "string any")(lambda layout, v: date_in_zone(layout, v, "Local"))
define(FUNCS, "htmlDate", "any")(lambda v: date_in_zone("2006-01-02", v, "Local"))
define(FUNCS, "htmlDateInZone", "any string")(lambda v, z: date_in_zone("2006-01-02", v, z))


@define(FUNCS, "unixEpoch", "any")
def _unix_epoch(value: Any) -> str:
    if not isinstance(value, GoTime):
        raise FuncError(f"wrong type for value; expected time.Time; got {type(value).__name__}")
    return str(int(value.when.timestamp()))


_PARSE = {
    "2006": r"(?P<year>\d{4})", "06": r"(?P<year2>\d{2})",
    "01": r"(?P<month>\d{2})", "1": r"(?P<month>\d{1,2})",
    "Jan": r"(?P<mon>[A-Z][a-z]{2})", "January": r"(?P<monthname>[A-Z][a-z]+)",
    "02": r"(?P<day>\d{2})", "_2": r"\s?(?P<day>\d{1,2})", "2": r"(?P<day>\d{1,2})",
    "15": r"(?P<hour>\d{2})", "03": r"(?P<hour12>\d{2})", "3": r"(?P<hour12>\d{1,2})",
    "04": r"(?P<minute>\d{2})", "4": r"(?P<minute>\d{1,2})",
    "05": r"(?P<second>\d{2})", "5": r"(?P<second>\d{1,2})",
    "PM": r"(?P<ampm>AM|PM)", "pm": r"(?P<ampm>am|pm)",
    "Mon": r"[A-Z][a-z]{2}", "Monday": r"[A-Z][a-z]+", "MST": r"(?P<zonename>[A-Z]{3,4})",
    "-0700": r"(?P<tz>[+-]\d{4})", "-07:00": r"(?P<tz>[+-]\d{2}:\d{2})",
    "Z0700": r"(?P<tz>Z|[+-]\d{4})", "Z07:00": r"(?P<tz>Z|[+-]\d{2}:\d{2})",
}  # fmt: skip


def parse(layout: str, text: str, zone: dt.tzinfo | None) -> GoTime:
    """time.ParseInLocation for the common layout elements."""
    pattern = ""
    for is_element, chunk in _chunks(layout):
        if not is_element:
            pattern += re.escape(chunk)
        elif chunk in _PARSE:
            pattern += _PARSE[chunk]
        elif chunk[0] in ".,":
            pattern += r"(?:[.,](?P<frac>\d+))?"
        else:
            raise FuncError(f"parsing time {text!r} as {layout!r}: unsupported layout element")
    match = re.fullmatch(pattern, text)
    if match is None:
        raise FuncError(f'parsing time "{text}" as "{layout}": cannot parse "{text}"')
    g = match.groupdict()
    year = int(g["year"]) if g.get("year") else (int(g["year2"]) + 2000 if g.get("year2") else 0)
    if g.get("year2") and int(g["year2"]) >= 69:
        year -= 100
    month = int(g["month"]) if g.get("month") else 1
    for key, fmt in (("mon", "%b"), ("monthname", "%B")):
        if g.get(key):
            month = dt.datetime.strptime(g[key], fmt).month
    hour = int(g["hour"]) if g.get("hour") else 0
    if g.get("hour12"):
        hour = int(g["hour12"]) % 12 + (12 if (g.get("ampm") or "").lower() == "pm" else 0)
    frac = (g.get("frac") or "").ljust(9, "0")[:9]
    tz: dt.tzinfo | None = zone
    if g.get("tz"):
        raw = g["tz"]
        if raw == "Z":
            tz = dt.UTC
        else:
            sign = -1 if raw[0] == "-" else 1
            digits = raw[1:].replace(":", "")
            tz = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        when = dt.datetime(
            max(year, 1),
            month,
            int(g["day"]) if g.get("day") else 1,
            hour,
            int(g["minute"]) if g.get("minute") else 0,
            int(g["second"]) if g.get("second") else 0,
            int(frac) // 1000,
        )
    except ValueError as err:
        raise FuncError(f'parsing time "{text}": {err}') from None
    when = when.replace(tzinfo=tz) if tz is not None else when.astimezone()
    return GoTime(when, int(frac))


_ZERO = GoTime(dt.datetime(1, 1, 1, tzinfo=dt.UTC), 0)


@define(FUNCS, "mustToDate", "string string")
def _must_to_date(layout: str, text: str) -> GoTime:
    return parse(layout, text, None)


@define(FUNCS, "toDate", "string string")
def _to_date(layout: str, text: str) -> GoTime:
    try:
        return parse(layout, text, None)
    except FuncError:
        return _ZERO


_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000}
_UNITS.update({"s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9})


def parse_duration(text: str) -> int:
    """time.ParseDuration, in nanoseconds."""
    match = re.fullmatch(r"([+-]?)((?:\d*\.?\d+(?:ns|us|µs|μs|ms|s|m|h))+|0)", text)
    if match is None:
        raise FuncError(f'time: invalid duration "{text}"')
    total = 0.0
    for number, unit in re.findall(r"(\d*\.?\d+)(ns|us|µs|μs|ms|s|m|h)", match.group(2)):
        total += float(number) * _UNITS[unit]
    return int(-total if match.group(1) == "-" else total)


def _date_modify(spec: str, value: Any) -> GoTime:
    if not isinstance(value, GoTime):
        raise FuncError("wrong type for value; expected time.Time")
    nanos = value.nanos + parse_duration(spec)
    when = value.when.replace(microsecond=0) + dt.timedelta(seconds=nanos // 10**9)
    rest = nanos % 10**9
    return GoTime(when.replace(microsecond=rest // 1000), rest)


def _date_modify_quietly(spec: str, value: Any) -> Any:
    try:
        return _date_modify(spec, value)
    except FuncError:
        return value


for _name in ("dateModify", "date_modify"):
    define(FUNCS, _name, "string any")(_date_modify_quietly)
for _name in ("mustDateModify", "must_date_modify"):
    define(FUNCS, _name, "string any")(_date_modify)
