"""Validation of Jobs and CronJobs, as `k8s.io/kubernetes/pkg/apis/batch/validation` does it.

Jobs: counts not negative, a pod template that restarts `OnFailure` or `Never`, the generated
selector and labels intact (unless `manualSelector`), the selector matching the template, and
on update an immutable selector, template, completion mode and failure policies. CronJobs: a
parseable schedule without `TZ=`, a known time zone and concurrency policy, a job template whose
selector is left to the server, and names of at most 52 characters (the controller appends 11).
Called through `validation_kinds.CHECKS` in the API server's write pipeline.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from gitferry.apiserver.validation import cron as validation_cron
from gitferry.apiserver.validation import fields as f
from gitferry.apiserver.validation import pods as validation_pods
from gitferry.apiserver.validation import selectors as validation_selectors

Cause = f.Cause
Obj = dict[str, Any]

CRONJOB_NAME_MAX = 52
_COMPLETION_MODES = ("NonIndexed", "Indexed")
_CONCURRENCY = ("Allow", "Forbid", "Replace")
_UID_LABEL = "batch.kubernetes.io/controller-uid"
_NAME_LABEL = "batch.kubernetes.io/job-name"
_LEGACY_UID_LABEL = "controller-uid"
_LEGACY_NAME_LABEL = "job-name"
_NONNEGATIVE = (
    "parallelism",
    "completions",
    "activeDeadlineSeconds",
    "backoffLimit",
    "ttlSecondsAfterFinished",
)
_IMMUTABLE_ON_UPDATE = (
    "completionMode",
    "podFailurePolicy",
    "backoffLimitPerIndex",
    "managedBy",
    "successPolicy",
)


def job_spec(spec: Obj, path: str) -> list[Cause]:
    """`validateJobSpec`: what a Job and a CronJob's job template share."""
    causes: list[Cause] = []
    for key in _NONNEGATIVE:
        causes.extend(f.nonnegative(spec.get(key), f"{path}.{key}"))
    mode = spec.get("completionMode")
    if mode is not None and mode not in _COMPLETION_MODES:
        causes.append(f.not_supported(f"{path}.completionMode", mode, _COMPLETION_MODES))
    if mode == "Indexed" and spec.get("completions") is None:
        causes.append(f.required(f"{path}.completions", "when completion mode is Indexed"))
    template = f.mapping(spec.get("template"))
    causes.extend(validation_pods.pod_template(template, f"{path}.template"))
    policy = f.mapping(template.get("spec")).get("restartPolicy")
    policy_path = f"{path}.template.spec.restartPolicy"
    if policy in ("Always", "", None):
        causes.append(f.required(policy_path, 'valid values: "OnFailure", "Never"'))
    elif policy not in ("OnFailure", "Never"):
        causes.append(f.not_supported(policy_path, policy, ("OnFailure", "Never")))
    elif spec.get("podFailurePolicy") is not None and policy != "Never":
        causes.append(
            f.invalid(
                policy_path, policy, 'only "Never" is supported when podFailurePolicy is specified'
            )
        )
    return causes


def job(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = f.mapping(obj.get("spec"))
    causes = _generated_selector(obj, old)
    causes.extend(job_spec(spec, "spec"))
    selector = spec.get("selector")
    if selector is None:
        causes.append(f.required("spec.selector"))
    else:
        causes.extend(validation_selectors.label_selector(selector, "spec.selector"))
    template = f.mapping(spec.get("template"))
    causes.extend(validation_selectors.template_mismatch(selector, template, "spec.template"))
    if old is not None:
        causes.extend(_job_update(spec, f.mapping(old.get("spec"))))
    return causes


def _generated_selector(obj: Obj, old: Obj | None) -> list[Cause]:
    """Labels and selector the server generated must still say this Job's uid and name."""
    meta = f.mapping(obj.get("metadata"))
    spec = f.mapping(obj.get("spec"))
    uid, name = f.text(meta.get("uid")), f.text(meta.get("name"))
    if spec.get("manualSelector") is True or not uid:
        return []
    labels = _template_labels(obj)
    path = "spec.template.metadata.labels"
    if not isinstance(labels, dict):
        return [f.invalid(path, None, "`selector` not auto-generated")]
    # Jobs created before the prefixed labels existed keep validating without them.
    old_labels = f.mapping(_template_labels(old)) if old is not None else labels
    prefixed = old is None or (_UID_LABEL in old_labels and _NAME_LABEL in old_labels)
    expected = [(_LEGACY_UID_LABEL, uid), (_LEGACY_NAME_LABEL, name)]
    if prefixed:
        expected += [(_UID_LABEL, uid), (_NAME_LABEL, name)]
    causes: list[Cause] = []
    for key, value in expected:
        if key not in labels:
            causes.append(f.required(f"{path}[{key}]", value))
        elif labels[key] != value:
            causes.append(f.invalid(f"{path}[{key}]", f.GoRaw(f.go_string_map(labels)), value))
    selector = spec.get("selector")
    uid_key = _UID_LABEL if prefixed else _LEGACY_UID_LABEL
    # The selector must be exactly the generated one: the uid label and nothing else.
    if isinstance(selector, dict) and (
        selector.get("matchExpressions") or selector.get("matchLabels") != {uid_key: uid}
    ):
        causes.append(
            f.invalid(
                "spec.selector", f.go_label_selector(selector), "`selector` not auto-generated"
            )
        )
    return causes


def _template_labels(obj: Obj) -> Any:
    template = f.mapping(f.mapping(obj.get("spec")).get("template"))
    return f.mapping(template.get("metadata")).get("labels")


def _job_update(spec: Obj, old_spec: Obj) -> list[Cause]:
    causes: list[Cause] = []
    elastic = (
        spec.get("completionMode") == "Indexed"
        and spec.get("completions") == spec.get("parallelism")
        and old_spec.get("completions") == old_spec.get("parallelism")
    )
    if not elastic:
        causes.extend(
            f.immutable(spec.get("completions"), old_spec.get("completions"), "spec.completions")
        )
    if spec.get("selector") != old_spec.get("selector"):
        causes.append(
            f.invalid("spec.selector", f.go_label_selector(spec.get("selector")), f.IMMUTABLE)
        )
    template, old_template = spec.get("template"), old_spec.get("template")
    if template != old_template and not _scheduling_only(spec, old_spec):
        causes.append(
            f.invalid("spec.template", f.go_struct("core.PodTemplateSpec", template), f.IMMUTABLE)
        )
    for key in _IMMUTABLE_ON_UPDATE:
        if spec.get(key) != old_spec.get(key):
            causes.append(f.invalid(f"spec.{key}", spec.get(key), f.IMMUTABLE))
    return causes


def _scheduling_only(spec: Obj, old_spec: Obj) -> bool:
    """A suspended Job that never started may change its pods' scheduling directives."""
    if old_spec.get("suspend") is not True:
        return False
    new_t, old_t = f.mapping(spec.get("template")), f.mapping(old_spec.get("template"))
    new_pod, old_pod = dict(f.mapping(new_t.get("spec"))), dict(f.mapping(old_t.get("spec")))
    for key in ("nodeSelector", "tolerations", "affinity", "schedulingGates"):
        new_pod.pop(key, None)
        old_pod.pop(key, None)
    return new_pod == old_pod and _without_labels(new_t) == _without_labels(old_t)


def _without_labels(template: Obj) -> Obj:
    meta = f.mapping(template.get("metadata"))
    return {k: v for k, v in meta.items() if k not in ("labels", "annotations")}


def cron_job(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = f.mapping(obj.get("spec"))
    old_spec = f.mapping(old.get("spec")) if old is not None else None
    causes: list[Cause] = []
    schedule = spec.get("schedule")
    if not isinstance(schedule, str) or not schedule:
        causes.append(f.required("spec.schedule"))
    else:
        error = validation_cron.schedule_error(schedule)
        if error:
            causes.append(f.invalid("spec.schedule", schedule, error))
        allow_tz = old_spec is not None and "TZ" in f.text(old_spec.get("schedule"))
        if "TZ" in schedule and not allow_tz:
            causes.append(
                f.invalid(
                    "spec.schedule",
                    schedule,
                    "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
                )
            )
        elif "TZ" in schedule and spec.get("timeZone") is not None:
            causes.append(
                f.invalid(
                    "spec.schedule",
                    schedule,
                    "cannot use both timeZone field and TZ or CRON_TZ in schedule",
                )
            )
    causes.extend(
        f.nonnegative(spec.get("startingDeadlineSeconds"), "spec.startingDeadlineSeconds")
    )
    if old_spec is None or old_spec.get("timeZone") != spec.get("timeZone"):
        causes.extend(_time_zone(spec.get("timeZone")))
    policy = spec.get("concurrencyPolicy")
    if not policy:
        causes.append(f.required("spec.concurrencyPolicy"))
    elif policy not in _CONCURRENCY:
        causes.append(f.not_supported("spec.concurrencyPolicy", policy, _CONCURRENCY))
    job_template = f.mapping(f.mapping(spec.get("jobTemplate")).get("spec"))
    causes.extend(job_spec(job_template, "spec.jobTemplate.spec"))
    if job_template.get("selector") is not None:
        causes.append(
            f.invalid(
                "spec.jobTemplate.spec.selector",
                f.go_label_selector(job_template["selector"]),
                "`selector` will be auto-generated",
            )
        )
    if job_template.get("manualSelector") is True:
        causes.append(
            f.not_supported("spec.jobTemplate.spec.manualSelector", True, ("nil", "false"))
        )
    for key in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        causes.extend(f.nonnegative(spec.get(key), f"spec.{key}"))
    name = f.mapping(obj.get("metadata")).get("name")
    if old is None and isinstance(name, str) and len(name) > CRONJOB_NAME_MAX:
        causes.append(f.invalid("metadata.name", name, "must be no more than 52 characters"))
    return causes


def _time_zone(zone: Any) -> list[Cause]:
    if zone is None:
        return []
    if zone == "":
        return [f.invalid("spec.timeZone", zone, "timeZone must be nil or non-empty string")]
    if not isinstance(zone, str) or zone.lower() == "local":
        return [
            f.invalid(
                "spec.timeZone",
                zone,
                "timeZone must be an explicit time zone as defined in "
                "https://www.iana.org/time-zones",
            )
        ]
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return [f.invalid("spec.timeZone", zone, f"unknown time zone {zone}")]
    return []
