"""The vocabulary of health: the six status codes in their "worst-of" order, one assessed
`Health`, and the error a check raises when it cannot assess an object.

Used by every kind module, by `assess` and `aggregate`, and by their callers (the controller's
refresh, the sync executor, `gitferry health`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gitferry.model import errors


class HealthStatus(StrEnum):
    """Argo CD's health codes, declared from best to worst."""

    HEALTHY = "Healthy"
    SUSPENDED = "Suspended"
    PROGRESSING = "Progressing"
    MISSING = "Missing"
    DEGRADED = "Degraded"
    UNKNOWN = "Unknown"


# Keyed by the plain strings too (a StrEnum hashes as its value), so codes read from objects
# can be ranked without converting them first.
_RANK: dict[str, int] = {code.value: index for index, code in enumerate(HealthStatus)}


def is_worse(current: str, new: str) -> bool:
    """Whether `new` is worse than `current` (Argo CD's `IsWorse`; an unknown code ranks as
    Healthy)."""
    return _RANK.get(new, 0) > _RANK.get(current, 0)


@dataclass(frozen=True, slots=True)
class Health:
    """The health of one object (or of an Application): a code and a message."""

    status: HealthStatus
    message: str = ""

    def as_dict(self) -> dict[str, str]:
        """The shape Argo CD stores (`status.health`): `message` only when it is not empty."""
        if self.message:
            return {"status": self.status.value, "message": self.message}
        return {"status": self.status.value}


class HealthCheckError(errors.GitFerryError):
    """A check could not assess an object (wrong version, malformed fields, a custom check that
    failed). Argo CD reports such an object as Unknown with this text and raises the error to
    the Application as a condition."""
