"""The controller's settings, read from `argocd-cm` as Argo CD reads them.

Only the keys the controller acts on are typed here (tracking, reconciliation timing, the
status-ignoring compare option); the ignoreDifferences customisations are parsed by
`gitferry.diff.ignore` from the same `data` dict, which is kept. A malformed value is reported
and its default used, so one bad key never stops reconciliation.

Called by the controller whenever `argocd-cm` changes (no restart needed).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?$")


def parse_duration(text: str) -> float:
    """Seconds in a Go duration (`3m`, `1h30m`, `90s`) or a bare number of seconds."""
    text = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    match = _DURATION.match(text)
    if not text or match is None or not any(match.groups()):
        raise ValueError(f"invalid duration {text!r}")
    hours, minutes, seconds = (float(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


@dataclass(frozen=True)
class Settings:
    """What `argocd-cm` says about reconciliation."""

    tracking_method: str = "annotation"
    instance_label_key: str = "app.kubernetes.io/instance"
    installation_id: str = ""
    reconciliation_timeout: float = 120.0
    reconciliation_jitter: float = 60.0
    hard_reconciliation_timeout: float = 0.0
    data: dict[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    @classmethod
    def from_configmap(cls, configmap: dict[str, Any] | None) -> Settings:
        data = {str(k): str(v) for k, v in ((configmap or {}).get("data") or {}).items()}
        problems: list[str] = []

        def seconds(key: str, default: float) -> float:
            if key not in data:
                return default
            try:
                return parse_duration(data[key])
            except ValueError:
                problems.append(
                    f"argocd-cm {key}: {data[key]!r} is not a duration; using {default:g}s"
                )
                return default

        method = data.get("application.resourceTrackingMethod", "annotation") or "annotation"
        if method not in ("annotation", "label", "annotation+label"):
            problems.append(
                f"argocd-cm application.resourceTrackingMethod: unknown method {method!r}; "
                "using annotation"
            )
            method = "annotation"
        settings = cls(
            tracking_method=method,
            instance_label_key=data.get("application.instanceLabelKey")
            or "app.kubernetes.io/instance",
            installation_id=data.get("installationID", ""),
            reconciliation_timeout=seconds("timeout.reconciliation", 120.0),
            reconciliation_jitter=seconds("timeout.reconciliation.jitter", 60.0),
            hard_reconciliation_timeout=seconds("timeout.hard.reconciliation", 0.0),
            data=data,
            problems=tuple(problems),
        )
        for problem in problems:
            log.warning("%s", problem)
        return settings
