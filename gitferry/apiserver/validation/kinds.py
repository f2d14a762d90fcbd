"""Kind-specific validation: which check runs for which built-in kind, and the apps/v1 workloads.

`CHECKS` maps (group, kind) to a function `(obj, old) -> causes` that `validation.problems`
calls after the metadata rules, in the API server's write pipeline. The workload rules here
(Deployment, ReplicaSet, StatefulSet, DaemonSet) follow `k8s.io/kubernetes/pkg/apis/apps/
validation` and the apps strategies: replica counts, required and matching selectors, a pod
template that restarts `Always`, rolling-update parameters, and what may not change on update
(every apps/v1 selector; StatefulSet spec fields other than the scaling/update ones).
Batch kinds live in `validation.batch`, core ones in `validation.core`, pods in
`validation.pods`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gitferry.apiserver.validation import batch as validation_batch
from gitferry.apiserver.validation import core as validation_core
from gitferry.apiserver.validation import fields as f
from gitferry.apiserver.validation import names as validation_names
from gitferry.apiserver.validation import pods as validation_pods
from gitferry.apiserver.validation import selectors as validation_selectors

Cause = f.Cause
Obj = dict[str, Any]
Check = Callable[[Obj, Obj | None], list[Cause]]

_STATEFULSET_MUTABLE = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "revisionHistoryLimit",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
)
_STATEFULSET_FORBIDDEN = (
    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
    "'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and "
    "'minReadySeconds' are forbidden"
)


def _replica_template(spec: Obj, word: str) -> list[Cause]:
    """`ValidatePodTemplateSpecForReplicaSet` (Deployment and ReplicaSet)."""
    template = f.mapping(spec.get("template"))
    causes = validation_selectors.template_mismatch(spec.get("selector"), template, "spec.template")
    causes.extend(validation_pods.pod_template(template, "spec.template"))
    causes.extend(_restarts_always(template, word))
    return causes


def _restarts_always(template: Obj, word: str, *, forbid_deadline: bool = True) -> list[Cause]:
    pod_spec = f.mapping(template.get("spec"))
    causes: list[Cause] = []
    policy = pod_spec.get("restartPolicy")
    if policy != "Always":
        causes.append(
            f.not_supported("spec.template.spec.restartPolicy", policy or "", ("Always",))
        )
    if pod_spec.get("activeDeadlineSeconds") is not None and forbid_deadline:
        causes.append(
            f.forbidden(
                "spec.template.spec.activeDeadlineSeconds",
                f"activeDeadlineSeconds in {word} is not Supported",
            )
        )
    return causes


def _selector_unchanged(spec: Obj, old: Obj | None) -> list[Cause]:
    """apps/v1 never lets a selector change."""
    if old is None:
        return []
    selector = spec.get("selector")
    if selector == f.mapping(old.get("spec")).get("selector"):
        return []
    return [f.invalid("spec.selector", f.go_label_selector(selector), f.IMMUTABLE)]


def deployment(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = f.mapping(obj.get("spec"))
    causes = f.nonnegative(spec.get("replicas"), "spec.replicas")
    causes.extend(
        validation_selectors.required_selector(spec.get("selector"), "spec.selector", "deployment")
    )
    causes.extend(_replica_template(spec, "ReplicaSet"))
    causes.extend(_deployment_strategy(f.mapping(spec.get("strategy"))))
    causes.extend(f.nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds"))
    causes.extend(f.nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit"))
    deadline = spec.get("progressDeadlineSeconds")
    if isinstance(deadline, int):
        causes.extend(f.nonnegative(deadline, "spec.progressDeadlineSeconds"))
        if deadline <= (spec.get("minReadySeconds") or 0):
            causes.append(
                f.invalid(
                    "spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds"
                )
            )
    causes.extend(_selector_unchanged(spec, old))
    return causes


def _deployment_strategy(strategy: Obj) -> list[Cause]:
    kind = strategy.get("type")
    rolling = strategy.get("rollingUpdate")
    if kind == "Recreate":
        if rolling is not None:
            return [
                f.forbidden(
                    "spec.strategy.rollingUpdate",
                    "may not be specified when strategy `type` is 'Recreate'",
                )
            ]
        return []
    if kind == "RollingUpdate":
        if not isinstance(rolling, dict):
            return [
                f.required(
                    "spec.strategy.rollingUpdate", "this should be defaulted and never be nil"
                )
            ]
        return _rolling_update(rolling, "spec.strategy.rollingUpdate")
    shown = f.go_struct("apps.DeploymentStrategy", strategy)
    return [f.not_supported("spec.strategy", shown, ("Recreate", "RollingUpdate"))]


def _rolling_update(rolling: Obj, path: str) -> list[Cause]:
    unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
    causes = _int_or_percent(unavailable, f"{path}.maxUnavailable")
    causes.extend(_int_or_percent(surge, f"{path}.maxSurge"))
    if _scaled_value(unavailable) == 0 and _scaled_value(surge) == 0:
        causes.append(
            f.invalid(
                f"{path}.maxUnavailable",
                f.go_int_or_string(unavailable),
                "may not be 0 when `maxSurge` is 0",
            )
        )
    if (_scaled_value(unavailable) or 0) > 100 and isinstance(unavailable, str):
        causes.append(
            f.invalid(
                f"{path}.maxUnavailable",
                f.go_int_or_string(unavailable),
                "must not be greater than 100%",
            )
        )
    return causes


def _int_or_percent(value: Any, path: str) -> list[Cause]:
    if isinstance(value, str):
        return [
            f.invalid(path, f.go_int_or_string(value), msg)
            for msg in validation_names.percent(value)
        ]
    return f.nonnegative(value, path)


def _scaled_value(value: Any) -> int | None:
    """The number of an int-or-percent (`25%` -> 25), None when it is neither."""
    if isinstance(value, str) and validation_names.percent(value) == []:
        return int(value[:-1])
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def replica_set(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = f.mapping(obj.get("spec"))
    causes = f.nonnegative(spec.get("replicas"), "spec.replicas")
    causes.extend(f.nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds"))
    # Kube's ReplicaSet rule reuses the Deployment wording.
    causes.extend(
        validation_selectors.required_selector(spec.get("selector"), "spec.selector", "deployment")
    )
    causes.extend(_replica_template(spec, "ReplicaSet"))
    causes.extend(_selector_unchanged(spec, old))
    return causes


def stateful_set(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = f.mapping(obj.get("spec"))
    causes: list[Cause] = []
    policy = spec.get("podManagementPolicy")
    if not policy:
        causes.append(f.required("spec.podManagementPolicy"))
    elif policy not in ("OrderedReady", "Parallel"):
        causes.append(
            f.invalid("spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'")
        )
    strategy = f.mapping(spec.get("updateStrategy"))
    kind = strategy.get("type")
    if not kind:
        causes.append(f.required("spec.updateStrategy"))
    elif kind == "OnDelete":
        if strategy.get("rollingUpdate") is not None:
            causes.append(
                f.invalid(
                    "spec.updateStrategy.rollingUpdate",
                    f.go_struct("apps.RollingUpdateStatefulSetStrategy", strategy["rollingUpdate"]),
                    "only allowed for updateStrategy 'RollingUpdate'",
                )
            )
    elif kind == "RollingUpdate":
        rolling = f.mapping(strategy.get("rollingUpdate"))
        causes.extend(
            f.nonnegative(rolling.get("partition"), "spec.updateStrategy.rollingUpdate.partition")
        )
    else:
        causes.append(
            f.invalid(
                "spec.updateStrategy",
                f.go_struct("apps.StatefulSetUpdateStrategy", strategy),
                "must be 'RollingUpdate' or 'OnDelete'",
            )
        )
    causes.extend(f.nonnegative(spec.get("replicas"), "spec.replicas"))
    causes.extend(f.nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds"))
    causes.extend(
        validation_selectors.required_selector(spec.get("selector"), "spec.selector", "statefulset")
    )
    template = f.mapping(spec.get("template"))
    causes.extend(
        validation_selectors.template_mismatch(spec.get("selector"), template, "spec.template")
    )
    # Kube checks only the template's labels and annotations here, not its pod spec: mounts
    # may name volumeClaimTemplates, which the pod spec rules cannot see.
    meta = f.mapping(template.get("metadata"))
    causes.extend(validation_pods.template_metadata(meta, "spec.template"))
    causes.extend(_restarts_always(template, "StatefulSet"))
    if old is not None:
        old_spec = f.mapping(old.get("spec"))
        fixed = {k: v for k, v in spec.items() if k not in _STATEFULSET_MUTABLE}
        old_fixed = {k: v for k, v in old_spec.items() if k not in _STATEFULSET_MUTABLE}
        if fixed != old_fixed:
            causes.append(f.forbidden("spec", _STATEFULSET_FORBIDDEN))
    return causes


def daemon_set(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = f.mapping(obj.get("spec"))
    selector = spec.get("selector")
    template = f.mapping(spec.get("template"))
    causes = validation_selectors.label_selector(selector, "spec.selector")
    # No Required here in kube: a missing selector selects nothing, so it fails the match.
    causes.extend(validation_selectors.template_mismatch(selector, template, "spec.template"))
    if validation_selectors.is_empty(selector):
        causes.append(
            f.invalid(
                "spec.selector",
                f.go_label_selector(selector),
                "empty selector is invalid for daemonset",
            )
        )
    causes.extend(validation_pods.pod_template(template, "spec.template"))
    pod_spec = f.mapping(template.get("spec"))
    causes.extend(_restarts_always(template, "DaemonSet", forbid_deadline=False))
    deadline = pod_spec.get("activeDeadlineSeconds")
    if deadline is not None:
        causes.append(
            f.invalid(
                "spec.template.spec.activeDeadlineSeconds",
                deadline,
                "activeDeadlineSeconds must be nil for daemon set",
            )
        )
    causes.extend(f.nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds"))
    causes.extend(f.nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit"))
    causes.extend(_selector_unchanged(spec, old))
    return causes


CHECKS: dict[tuple[str, str], Check] = {
    ("", "Pod"): validation_pods.pod,
    ("", "Service"): validation_core.service,
    ("", "ConfigMap"): validation_core.config_map,
    ("", "Secret"): validation_core.secret,
    ("", "Namespace"): validation_core.namespace,
    ("", "PersistentVolumeClaim"): validation_core.persistent_volume_claim,
    ("apps", "Deployment"): deployment,
    ("apps", "ReplicaSet"): replica_set,
    ("apps", "StatefulSet"): stateful_set,
    ("apps", "DaemonSet"): daemon_set,
    ("batch", "Job"): validation_batch.job,
    ("batch", "CronJob"): validation_batch.cron_job,
    ("networking.k8s.io", "Ingress"): validation_core.ingress,
}
