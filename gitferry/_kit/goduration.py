"""Go duration strings (`30m`, `1h30m`, `1.5h`, `-2s`) parsed exactly as Go's
`time.ParseDuration` parses them, with its error messages.

Argo CD stores durations in Go syntax (sync window `duration`, retry backoff). Units are
`ns`, `us`, `µs`, `μs`, `ms`, `s`, `m`, `h` (no `d`); a unit is required after every number
except for a bare `0`; a sign is allowed in front. Called by `policy.windows`.
"""

from __future__ import annotations

from datetime import timedelta

_UNITS_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,  # U+00B5 micro sign
    "μs": 1_000,  # U+03BC Greek mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_MAX = 1 << 63


class DurationError(ValueError):
    """Not a Go duration; the message is Go's (`time: unknown unit "d" in duration "1d"`)."""


def parse(text: str) -> timedelta:
    """The duration `text` denotes (microsecond precision)."""
    return timedelta(microseconds=parse_ns(text) // 1000)


def parse_ns(text: str) -> int:
    """The duration `text` denotes, in nanoseconds."""
    rest = text
    negative = False
    if rest and rest[0] in "+-":
        negative = rest[0] == "-"
        rest = rest[1:]
    if rest == "0":
        return 0
    if not rest:
        raise DurationError(f"time: invalid duration {_quote(text)}")
    total = 0
    while rest:
        if not (rest[0] == "." or (rest[0].isascii() and rest[0].isdigit())):
            raise DurationError(f"time: invalid duration {_quote(text)}")
        whole, rest = _digits(rest)
        fraction = ""
        if rest.startswith("."):
            fraction, rest = _digits(rest[1:])
            if not whole and not fraction:
                raise DurationError(f"time: invalid duration {_quote(text)}")
        elif not whole:
            raise DurationError(f"time: invalid duration {_quote(text)}")
        end = 0
        while end < len(rest) and not (rest[end] == "." or "0" <= rest[end] <= "9"):
            end += 1
        if end == 0:
            raise DurationError(f"time: missing unit in duration {_quote(text)}")
        unit, rest = rest[:end], rest[end:]
        if unit not in _UNITS_NS:
            raise DurationError(f"time: unknown unit {_quote(unit)} in duration {_quote(text)}")
        scale = _UNITS_NS[unit]
        value = int(whole or "0") * scale
        if fraction:
            value += int(float(int(fraction)) * (scale / 10 ** len(fraction)))
        total += value
        if value > _MAX or total > _MAX:
            raise DurationError(f"time: invalid duration {_quote(text)}")
    if not negative and total > _MAX - 1:
        raise DurationError(f"time: invalid duration {_quote(text)}")
    return -total if negative else total


def _digits(text: str) -> tuple[str, str]:
    end = 0
    while end < len(text) and "0" <= text[end] <= "9":
        end += 1
    return text[:end], text[end:]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
