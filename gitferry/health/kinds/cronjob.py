"""CronJob health: Argo CD's bundled Lua rule for `batch/CronJob` (any version), reimplemented
(reference 5.3). Bundled Lua rules run before the built-in ones.

* `spec.suspend` true -> Healthy "CronJob is Suspended" (Argo CD reports Healthy, not
  Suspended, until a suspended CronJob stops suspending its whole Application).
* No `status` -> Progressing "Waiting for CronJob".
* Never scheduled -> Healthy; scheduled but never succeeded -> Healthy; Jobs active -> Healthy.
* Last success before the last schedule (compared as text, as the Lua does) -> Degraded.
* Else Healthy.

The messages are the script's own, spelling included. Called through `assess`.
"""

from __future__ import annotations

from datetime import datetime

from gitferry._kit.clock import rfc3339
from gitferry.health.fields import Obj
from gitferry.health.status import Health, HealthStatus

_SUSPENDED = Health(HealthStatus.HEALTHY, "CronJob is Suspended")
_WAITING = Health(HealthStatus.PROGRESSING, "Waiting for CronJob")
_NOT_SCHEDULED = Health(HealthStatus.HEALTHY, "CronJob has not been scheduled yet")
_NEVER_SUCCEEDED = Health(
    HealthStatus.HEALTHY, "The Cronjob never completed succesfully. It may not be healthy"
)
_RUNNING = Health(
    HealthStatus.HEALTHY, "The job is running. Its last execution may not have been successful"
)
_FAILED = Health(HealthStatus.DEGRADED, "CronJob has not completed its last execution successfully")
_SUCCEEDED = Health(HealthStatus.HEALTHY, "CronJob has completed its last execution successfully")


def _stamp(value: object) -> str:
    # Objects read from YAML files carry timestamps as datetimes; the API gives RFC 3339 text.
    return rfc3339(value) if isinstance(value, datetime) else str(value)


def check(obj: Obj) -> Health:
    spec = obj.get("spec")
    if isinstance(spec, dict) and spec.get("suspend") is True:
        return _SUSPENDED
    status = obj.get("status")
    if status is None:
        return _WAITING
    if not isinstance(status, dict):
        return _NOT_SCHEDULED
    scheduled = status.get("lastScheduleTime")
    if scheduled is None:
        return _NOT_SCHEDULED
    succeeded = status.get("lastSuccessfulTime")
    if succeeded is None:
        return _NEVER_SUCCEEDED
    active = status.get("active")
    if isinstance(active, list) and active:
        return _RUNNING
    if _stamp(succeeded) < _stamp(scheduled):
        return _FAILED
    return _SUCCEEDED
