"""The health of one live object, chosen as Argo CD chooses it (reference 5.2).

1. Pending deletion first: a `deletionTimestamp` without Argo CD's hook finalizer ->
   Progressing "Pending deletion", whatever the kind.
2. A custom check for the object's group and kind (`HealthOptions.custom_checks`, where Lua
   overrides plug in), then the opt-in rule for child Applications, then the rules Argo CD
   bundles as Lua (CronJob). These apply to every version.
3. The built-in checks, by group and kind, each accepting only the versions Argo CD converts
   to its typed form; any other version is Unknown `unsupported <Kind> GVK: ...`.
4. Nothing matched: no health (None). Such an object takes no part in the Application's
   health, and a sync counts it as complete as soon as it is applied.

A check that fails (unsupported version, malformed fields, a custom check that raised) gives
Unknown with the error text; `evaluate` also returns the error, which the Application reports
as a condition. Pure, no copies; called for every managed object on every refresh by the
controller, by the sync executor (hook and wave completion) and by `gitferry health`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from gitferry.health import fields
from gitferry.health.kinds import (
    apiservice,
    application,
    cronjob,
    daemonset,
    deployment,
    hpa,
    ingress,
    job,
    pod,
    pvc,
    replicaset,
    service,
    statefulset,
    workflow,
)
from gitferry.health.status import Health, HealthCheckError, HealthStatus

Obj = fields.Obj
Check = Callable[[Obj], Health]
CustomCheck = Callable[[Obj], Health | None]

# Argo CD keeps hooks until it has seen them complete: such an object is being deleted, but
# its health still decides the hook's result.
HOOK_FINALIZER = "argocd.argoproj.io/hook-finalizer"


@dataclass(frozen=True, kw_only=True)
class HealthOptions:
    """How objects are assessed beyond Argo CD's defaults."""

    # Give child Applications (argoproj.io/Application) the health their own status reports,
    # as the Lua override `resource.customizations.health.argoproj.io_Application` from Argo
    # CD's documentation does. Off, as in Argo CD: children then have no health, so parents
    # neither wait for them in sync waves nor reflect them.
    child_applications: bool = False
    # Checks by (group, kind), core group "", that replace the bundled and built-in rules for
    # every version, as Lua health overrides do in Argo CD. A check returns None to leave the
    # object to the usual rules; if it raises, the object is Unknown with the error text.
    custom_checks: Mapping[tuple[str, str], CustomCheck] = field(default_factory=dict)


class Assessment(NamedTuple):
    """The health of an object (None: no check applies) and the error of a failed check."""

    health: Health | None
    error: HealthCheckError | None = None


@dataclass(frozen=True, slots=True)
class _Builtin:
    """A built-in check: the kind as its error messages name it, and a check per accepted
    version (`any_version` for kinds Argo CD reads without a typed conversion)."""

    name: str
    versions: Mapping[str, Check] = field(default_factory=dict)
    any_version: Check | None = None
    conversion: str = ""

    def failed_conversion(self) -> str:
        return self.conversion or f"failed to convert unstructured {self.name} to typed"


_V1 = "v1"
_BUILTIN: dict[tuple[str, str], _Builtin] = {
    ("apps", "Deployment"): _Builtin("Deployment", {_V1: deployment.check}),
    ("apps", "StatefulSet"): _Builtin("StatefulSet", {_V1: statefulset.check}),
    ("apps", "ReplicaSet"): _Builtin("ReplicaSet", {_V1: replicaset.check}),
    ("apps", "DaemonSet"): _Builtin("DaemonSet", {_V1: daemonset.check}),
    ("extensions", "Ingress"): _Builtin("Ingress", any_version=ingress.check),
    ("networking.k8s.io", "Ingress"): _Builtin("Ingress", any_version=ingress.check),
    ("argoproj.io", "Workflow"): _Builtin(
        "Workflow",
        any_version=workflow.check,
        conversion="failed to convert unstructured to argoworkflow",
    ),
    ("apiregistration.k8s.io", "APIService"): _Builtin(
        "APIService", {"v1": apiservice.check, "v1beta1": apiservice.check}
    ),
    ("", "Service"): _Builtin("Service", {_V1: service.check}),
    ("", "PersistentVolumeClaim"): _Builtin("PersistentVolumeClaim", {_V1: pvc.check}),
    ("", "Pod"): _Builtin("Pod", {_V1: pod.check}),
    ("batch", "Job"): _Builtin("Job", {_V1: job.check}),
    ("autoscaling", "HorizontalPodAutoscaler"): _Builtin(
        "HPA", {"v1": hpa.check_v1, "v2": hpa.check_v2}
    ),
}
# Rules Argo CD ships as Lua scripts: consulted before the built-in checks, for every version.
_BUNDLED: dict[tuple[str, str], Check] = {("batch", "CronJob"): cronjob.check}
_APPLICATION = ("argoproj.io", "Application")

_PENDING_DELETION = Assessment(Health(HealthStatus.PROGRESSING, "Pending deletion"))
_NO_HEALTH = Assessment(None)
_DEFAULTS = HealthOptions()


def group_version_kind(obj: Obj) -> tuple[str, str, str]:
    """(group, version, kind); all empty when `apiVersion` does not parse, as in Kubernetes."""
    api_version = obj.get("apiVersion")
    kind = obj.get("kind")
    if not isinstance(api_version, str):
        api_version = ""
    if not isinstance(kind, str):
        kind = ""
    group, slash, version = api_version.partition("/")
    if not slash:
        return "", api_version, kind
    if "/" in version:
        return "", "", ""
    return group, version, kind


def assess(obj: Obj, *, options: HealthOptions | None = None) -> Health | None:
    """The health of `obj` (None: no health check for its kind)."""
    return evaluate(obj, options=options).health


def evaluate(obj: Obj, *, options: HealthOptions | None = None) -> Assessment:
    """The health of `obj`, and the error when a check failed (the health is then Unknown)."""
    meta = obj.get("metadata")
    if isinstance(meta, dict) and meta.get("deletionTimestamp"):
        finalizers = meta.get("finalizers")
        if not (isinstance(finalizers, list) and HOOK_FINALIZER in finalizers):
            return _PENDING_DELETION
    group, version, kind = group_version_kind(obj)
    key = (group, kind)
    opts = options or _DEFAULTS
    custom = opts.custom_checks.get(key)
    if custom is not None:
        try:
            result = custom(obj)
        except Exception as err:  # a custom check's failure is a result, as a Lua error is
            return _failed_custom(obj, err)
        if result is not None:
            return Assessment(result)
    if opts.child_applications and key == _APPLICATION:
        return Assessment(application.check(obj))
    bundled = _BUNDLED.get(key)
    if bundled is not None:
        return Assessment(bundled(obj))
    builtin = _BUILTIN.get(key)
    if builtin is None:
        return _NO_HEALTH
    check = builtin.versions.get(version, builtin.any_version)
    try:
        if check is None:
            raise HealthCheckError(
                f"unsupported {builtin.name} GVK: {group}/{version}, Kind={kind}"
            )
        return Assessment(check(obj))
    except fields.FieldTypeError as err:
        error = HealthCheckError(f"{builtin.failed_conversion()}: {err}")
    except HealthCheckError as err:
        error = err
    return Assessment(Health(HealthStatus.UNKNOWN, str(error)), error)


def _failed_custom(obj: Obj, err: Exception) -> Assessment:
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    where = f"{meta.get('namespace') or ''}/{meta.get('name') or ''}"
    error = HealthCheckError(f"failed to get resource health for {where}: {err}")
    error.__cause__ = err
    return Assessment(Health(HealthStatus.UNKNOWN, str(err)), error)
