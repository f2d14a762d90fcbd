"""The opt-in health of a child Application (argoproj.io, any version), reference 8.

Argo CD has no built-in check for Applications; operators add a documented Lua override
(`resource.customizations.health.argoproj.io_Application`) so that parents wait for, and
reflect, their children. This is that override, built in and switched on with
`HealthOptions.child_applications`:

* the child's own `status.health.status` and `.message`;
* no `status` or no `status.health` -> Progressing with an empty message;
* a status that is not one of the six codes (missing included) -> Unknown
  "Lua returned an invalid health status", as Argo CD treats any Lua result.

Called through `assess`.
"""

from __future__ import annotations

from gitferry.health.fields import Obj
from gitferry.health.status import Health, HealthStatus

_WAITING = Health(HealthStatus.PROGRESSING)
_INVALID = Health(HealthStatus.UNKNOWN, "Lua returned an invalid health status")
_CODES = {code.value: code for code in HealthStatus}


def check(obj: Obj) -> Health:
    status = obj.get("status")
    health = status.get("health") if isinstance(status, dict) else None
    if not isinstance(health, dict):
        return _WAITING
    text = health.get("status")
    code = _CODES.get(text) if isinstance(text, str) else None
    if code is None:
        return _INVALID
    message = health.get("message")
    return Health(code, message if isinstance(message, str) else "")
