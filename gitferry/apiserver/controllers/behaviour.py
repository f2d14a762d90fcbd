"""What the simulated container runtime does with each container: the failure modes.

A `Plan` per container is derived from the pod (annotations, restartPolicy) and the container
(image, command, args, readinessProbe); the kubelet then plays it out, and every controller
above sees only the resulting pod status. The rules are listed in the package docstring.

Called by the kubelet (`kubelet.py`) when it starts a pod.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, replace
from typing import Any

from gitferry.apiserver.controllers import meta

log = logging.getLogger("gitferry.apiserver.controllers")

BEHAVIOR = "sim.gitferry.io/behavior"
DURATION = "sim.gitferry.io/duration"
DEFAULT_RUN = 1.0  # seconds a run-to-completion container runs
INIT_RUN = 0.5  # seconds an init container runs
CRASH_AFTER = 1.0  # seconds a crash-looping container runs before it exits

_EXIT = re.compile(r"\bexit\s+(\d+)\b")
_SLEEP = re.compile(r"\bsleep\s+(\d+(?:\.\d+)?)([smh]?)(?:\s|;|&|$|\))")
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REFERENCE = re.compile(
    rf"(?:[a-zA-Z0-9.-]+(?::\d+)?/)?{_COMPONENT}(?:/{_COMPONENT})*"
    r"(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?"
)


@dataclass(frozen=True, kw_only=True)
class Plan:
    """How one container behaves."""

    # Waiting reason while the image cannot be had: ErrImagePull or InvalidImageName.
    pull_error: str | None = None
    # Extra seconds (real-cluster scale) before the container starts.
    slow_start: float = 0.0
    # Seconds it runs before it exits; None: until it is stopped.
    run_for: float | None = None
    exit_code: int = 0
    # Terminated reason: Completed, Error or OOMKilled.
    exit_reason: str = "Completed"
    # False: the readiness probe never passes.
    ready: bool = True
    # Seconds after start before it is ready (readinessProbe.initialDelaySeconds).
    ready_delay: float = 0.0


def plan(pod: dict[str, Any], container: dict[str, Any], *, init: bool) -> Plan:
    """The plan of one container of `pod` (an init container if `init`)."""
    spec = pod.get("spec") or {}
    annotations = pod["metadata"].get("annotations") or {}
    sidecar = init and container.get("restartPolicy") == "Always"
    completes = (init and not sidecar) or (
        not init and spec.get("restartPolicy", "Always") != "Always"
    )
    words = " ".join(
        str(part) for part in (container.get("command") or []) + (container.get("args") or [])
    )
    result = Plan()
    if completes:
        result = replace(result, run_for=_run_time(annotations, words, init))
    probe = container.get("readinessProbe") or {}
    if probe:
        result = replace(result, ready_delay=float(probe.get("initialDelaySeconds") or 0))
    image = str(container.get("image") or "")
    if not _REFERENCE.fullmatch(image):
        result = replace(result, pull_error="InvalidImageName")
    elif _tag(image) == "doesnotexist":
        result = replace(result, pull_error="ErrImagePull")
    found = _EXIT.search(words)
    if found:
        code = int(found.group(1))
        ran = _SLEEP.search(words)
        after = meta.duration(ran.group(1) + (ran.group(2) or "s")) if ran else CRASH_AFTER
        result = replace(
            result,
            exit_code=code,
            exit_reason=_reason(code),
            run_for=result.run_for if completes else after,
        )
    texts = [annotations.get(f"{BEHAVIOR}.{container.get('name')}")]
    if not init:
        texts.insert(0, annotations.get(BEHAVIOR))
    for text in texts:
        if text:
            result = _annotated(result, str(text), pod, completes)
    return result


def _run_time(annotations: dict[str, Any], words: str, init: bool) -> float:
    if DURATION in annotations:
        try:
            return meta.duration(str(annotations[DURATION]))
        except ValueError:
            log.warning("ignoring %s=%r: not a duration", DURATION, annotations[DURATION])
    found = _SLEEP.search(words)
    if found:
        return meta.duration(found.group(1) + (found.group(2) or "s"))
    return INIT_RUN if init else DEFAULT_RUN


def _annotated(result: Plan, text: str, pod: dict[str, Any], completes: bool) -> Plan:
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, *args = item.split(":")
        options = dict(arg.split("=", 1) for arg in args if "=" in arg)
        plain = [arg for arg in args if "=" not in arg]
        try:
            after = meta.duration(options["after"]) if "after" in options else None
            if name == "crashloop":
                code = int(options.get("exit", "1"))
                result = replace(
                    result,
                    exit_code=code,
                    exit_reason=_reason(code),
                    run_for=after if after is not None else CRASH_AFTER,
                )
            elif name == "oom":
                result = replace(
                    result,
                    exit_code=137,
                    exit_reason="OOMKilled",
                    run_for=after if after is not None else CRASH_AFTER,
                )
            elif name == "exit" and plain:
                code = int(plain[0])
                run_for = after if after is not None else result.run_for
                result = replace(
                    result,
                    exit_code=code,
                    exit_reason=_reason(code),
                    run_for=run_for if run_for is not None else CRASH_AFTER,
                )
            elif name == "never-ready":
                result = replace(result, ready=False)
            elif name == "image-pull-error":
                result = replace(result, pull_error="ErrImagePull")
            elif name == "slow-start" and plain:
                result = replace(result, slow_start=meta.duration(plain[0]))
            else:
                raise ValueError(item)
        except (ValueError, KeyError):
            log.warning(
                "pod %s/%s: ignoring unknown %s %r",
                pod["metadata"].get("namespace"),
                pod["metadata"].get("name"),
                BEHAVIOR,
                item,
            )
    return result


def _reason(code: int) -> str:
    return "Completed" if code == 0 else "Error"


def _tag(image: str) -> str:
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else ""


def normalize(image: str) -> str:
    """The runtime's full image reference: `nginx:1.27` -> `docker.io/library/nginx:1.27`."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    repository, tag = name.rsplit(":", 1) if ":" in last else (name, "")
    first = repository.split("/", 1)[0]
    if "/" not in repository:
        repository = f"docker.io/library/{repository}"
    elif not ("." in first or ":" in first or first == "localhost"):
        repository = f"docker.io/{repository}"
    if digest:
        return f"{repository}@{digest}"
    return f"{repository}:{tag or 'latest'}"


def image_id(image: str) -> str:
    """A stable digest reference for an image, as `imageID` shows it."""
    full = normalize(image)
    repository = full.split("@", 1)[0]
    last = repository.rsplit("/", 1)[-1]
    if ":" in last:
        repository = repository.rsplit(":", 1)[0]
    return f"{repository}@sha256:{hashlib.sha256(full.encode()).hexdigest()}"


def pull_message(image: str) -> str:
    full = normalize(image)
    return (
        f'rpc error: code = NotFound desc = failed to pull and unpack image "{full}": '
        f'failed to resolve reference "{full}": {full}: not found'
    )


def invalid_message(image: str) -> str:
    return (
        f'Failed to apply default image tag "{image}": couldn\'t parse image name '
        f'"{image}": invalid reference format'
    )
