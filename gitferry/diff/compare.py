"""Comparing one target with its live object, Argo CD's server-side diff (reference 4.3).

gitferry syncs with server-side apply (manager `argocd-controller`), so the prediction of what
a sync would leave is the API server's answer to a server-side dry-run apply of the target;
the caller gets it from the cluster and passes it in. Then, as Argo CD does:

1. The live object's tracking is normalised against the target (`diff.tracking`).
2. `managedFieldsManagers`: fields the trusted managers own in live, where the target sets
   another value, are removed from live, target and prediction (`diff.fieldsv1`). (Argo CD
   removes them from live and from the target it dry-runs; removing them from the prediction
   directly gives the same result without a second dry-run.)
3. Live is normalised (`diff.normalizers`) and the ignore rules applied (`diff.ignore`).
4. Of the prediction, only the fields the sync's manager owns are laid over that live object
   (`fieldsv1.revert_unowned`: mutating webhooks, the bumped `metadata.generation`, other
   managers' fields revert to live), then it is normalised the same way.
5. `metadata.managedFields` is dropped from both; Modified <=> their canonical JSON (sorted
   keys, numbers as Go prints them) differ.

No live object: Modified, the prediction is the normalised target. No target (extraneous):
not Modified (the sync status rules make it OutOfSync). When both exist, the prediction is
required (a live object means the kind is served, so a dry-run can be asked for).

Pure; called by the controller's refresh for every pair of `diff.pairing.reconcile`, and by
`diff.objects` for the CLI's text output.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

import orjson
import yaml

from gitferry.diff import fieldsv1, ignore, jqpaths, normalizers, tracking
from gitferry.model.keys import DEFAULT_LABEL_KEY, TrackingMethod

Json = dict[str, Any]
_CANONICAL = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
_MANAGED_FIELDS = ("managedFields",)


@dataclass(frozen=True, kw_only=True)
class CompareOptions:
    """How objects are compared; everything that is not in the pair itself."""

    # argocd-cm `application.resourceTrackingMethod`.
    tracking_method: TrackingMethod = TrackingMethod.ANNOTATION
    # argocd-cm `application.instanceLabelKey`.
    label_key: str = DEFAULT_LABEL_KEY
    # argocd-cm `resource.compareoptions.ignoreAggregatedRoles`.
    ignore_aggregated_roles: bool = False
    # The app's compare option `IncludeMutationWebhook=true`: keep what the dry-run changed
    # beyond the fields the sync's manager owns.
    include_mutation_webhook: bool = False
    # The field manager a sync applies with.
    manager: str = "argocd-controller"


@dataclass(frozen=True)
class ResourceDiff:
    """The comparison of one pair: Argo CD's DiffResult."""

    modified: bool
    # The live object as compared (None: there is none).
    normalized_live: Json | None
    # What a sync would leave, as compared (None: the object would be pruned).
    predicted_live: Json | None
    # Ignore rules that could not be applied (`<jq expression>: <why>`), for logs/conditions.
    failures: tuple[str, ...] = field(default=())

    def text(self, key: str) -> str:
        """A unified diff of the YAML of both sides, in `kubectl diff`'s layout ("" if equal)."""
        if not self.modified:
            return ""
        return unified_diff(key, self.normalized_live, self.predicted_live)


def canonical(obj: Any) -> bytes:
    """The canonical JSON of a document (sorted keys)."""
    return orjson.dumps(obj, option=_CANONICAL)


def _go_equal(a: Any, b: Any) -> bool:
    """Equality of decoded JSON as Go's unstructured objects see it: booleans are not numbers,
    and an integral float is the integer (both print as `2`)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_go_equal(v, b[k]) for k, v in a.items())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_go_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def same(a: Any, b: Any) -> bool:
    """Whether two documents have the same canonical JSON as Argo CD prints it. Python's
    equality settles most cases; orjson's canonical bytes confirm an equal pair, and only
    when they disagree (an int against a float, a bool against a number) is it walked."""
    if a != b:
        return False
    return canonical(a) == canonical(b) or _go_equal(a, b)


def _yaml(obj: Json | None) -> list[str]:
    if obj is None:
        return []
    dumped: str = yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, width=10_000)
    return dumped.splitlines(keepends=True)


def unified_diff(key: str, live: Json | None, target: Json | None) -> str:
    """`live` -> `target` as a unified diff of their YAML, files named `live/<key>` and
    `target/<key>`."""
    lines = difflib.unified_diff(
        _yaml(live), _yaml(target), fromfile=f"live/{key}", tofile=f"target/{key}"
    )
    return "".join(lines)


def _normalize(
    obj: Json,
    rules: ignore.IgnoreRules,
    options: CompareOptions,
    runner: jqpaths.JqRunner | None,
    failures: list[str],
) -> Json:
    obj = normalizers.normalize(obj, ignore_aggregated_roles=options.ignore_aggregated_roles)
    matched = rules.matching_object(obj)
    if matched.patches:
        obj, failed = ignore.apply(obj, matched, runner)
        failures.extend(failed)
    return obj


def _bare(obj: Json) -> Json:
    return normalizers.strip_metadata(obj, _MANAGED_FIELDS)


def compare_pair(
    target: Json | None,
    live: Json | None,
    predicted_live: Json | None,
    rules: ignore.IgnoreRules,
    *,
    options: CompareOptions = CompareOptions(),
    jq: jqpaths.JqRunner | None = None,
) -> ResourceDiff:
    """Compare one pair (see the module docstring)."""
    failures: list[str] = []
    if target is None and live is None:
        raise ValueError("compare_pair: neither a target nor a live object")
    if live is None:
        assert target is not None
        predicted = _normalize(target, rules, options, jq, failures)
        return ResourceDiff(True, None, _bare(predicted), tuple(failures))
    if target is None:
        normalized = _normalize(live, rules, options, jq, failures)
        return ResourceDiff(False, _bare(normalized), None, tuple(failures))
    live = tracking.normalize_live(target, live, options.tracking_method, options.label_key)
    if predicted_live is None:
        raise ValueError("compare_pair: a live object and a target need the dry-run prediction")
    prediction = predicted_live
    managers = rules.matching_object(target).managers
    if managers:
        live, target, others = fieldsv1.strip_owned(live, target, [prediction], managers)
        prediction = others[0]
    normalized = _normalize(live, rules, options, jq, failures)
    if not options.include_mutation_webhook:
        prediction = fieldsv1.revert_unowned(prediction, normalized, options.manager)
    predicted = _bare(_normalize(prediction, rules, options, jq, failures))
    normalized = _bare(normalized)
    modified = not same(normalized, predicted)
    return ResourceDiff(modified, normalized, predicted, tuple(failures))
