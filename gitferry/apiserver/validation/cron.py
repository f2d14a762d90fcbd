"""CronJob schedules parsed as kube-apiserver 1.32 parses them (robfig/cron v3 `ParseStandard`).

`schedule_error(text)` returns the parser's error text, which kube puts verbatim in the 422
(`spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61`), or
None when the schedule is valid. Five fields (minute, hour, day of month, month, day of week)
or a descriptor (`@hourly`, `@every 5m`, ...). Called by `validation.batch` in the API server's
write pipeline.
"""

from __future__ import annotations

import re

from gitferry.apiserver.validation.fields import go_quote

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_DAYS = {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
# (min, max, names) of minute, hour, day of month, month, day of week.
_BOUNDS: tuple[tuple[int, int, dict[str, int]], ...] = (
    (0, 59, {}),
    (0, 23, {}),
    (1, 31, {}),
    (1, 12, _MONTHS),
    (0, 6, _DAYS),
)
_DESCRIPTORS = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)
_DURATION = re.compile(r"[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+|[-+]?0")
_INT = re.compile(r"[-+]?\d+")


class _ParseError(Exception):
    pass


def schedule_error(schedule: str) -> str | None:
    """The parse error of a schedule, worded as robfig/cron words it; None when valid."""
    try:
        _parse(schedule)
    except _ParseError as err:
        return str(err)
    return None


def _parse(spec: str) -> None:
    if not spec:
        raise _ParseError("empty spec string")
    if spec.startswith(("TZ=", "CRON_TZ=")):
        # The location itself is checked by the timeZone rules; only the rest is parsed here.
        spec = spec.partition(" ")[2].strip()
    if spec.startswith("@"):
        _descriptor(spec)
        return
    fields = spec.split()
    if len(fields) != 5:
        raise _ParseError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    for field, bounds in zip(fields, _BOUNDS, strict=True):
        for expr in (part for part in field.split(",") if part):
            _range(expr, *bounds)


def _descriptor(spec: str) -> None:
    if spec in _DESCRIPTORS:
        return
    if spec.startswith("@every "):
        duration = spec[len("@every ") :]
        if not _DURATION.fullmatch(duration):
            raise _ParseError(
                f"failed to parse duration {spec}: time: invalid duration {go_quote(duration)}"
            )
        return
    raise _ParseError(f"unrecognized descriptor: {spec}")


def _range(expr: str, low: int, high: int, names: dict[str, int]) -> None:
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    if low_and_high[0] in ("*", "?"):
        start, end = low, high
    else:
        start = _int_or_name(low_and_high[0], names)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _int_or_name(low_and_high[1], names)
        else:
            raise _ParseError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _int(range_and_step[1])
        if len(low_and_high) == 1:
            end = high  # "N/step" means "N-max/step"
    else:
        raise _ParseError(f"too many slashes: {expr}")
    if start < low:
        raise _ParseError(f"beginning of range ({start}) below minimum ({low}): {expr}")
    if end > high:
        raise _ParseError(f"end of range ({end}) above maximum ({high}): {expr}")
    if start > end:
        raise _ParseError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise _ParseError(f"step of range should be a positive number: {expr}")


def _int_or_name(expr: str, names: dict[str, int]) -> int:
    named = names.get(expr.lower())
    return named if named is not None else _int(expr)


def _int(expr: str) -> int:
    if not _INT.fullmatch(expr):
        raise _ParseError(
            f"failed to parse int from {expr}: strconv.Atoi: parsing {go_quote(expr)}: "
            "invalid syntax"
        )
    number = int(expr)
    if number < 0:
        raise _ParseError(f"negative number ({number}) not allowed: {expr}")
    return number
