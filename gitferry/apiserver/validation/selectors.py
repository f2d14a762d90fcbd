"""Label selectors in validation: their own rules, and whether they select a pod template.

A controller whose selector does not match its template's labels would create pods it never
sees, so kube-apiserver rejects it with "`selector` does not match template `labels`". This
module holds that check and `ValidateLabelSelector`, for the workload kinds of
`validation.kinds` and `validation.batch` in the API server's write pipeline.
"""

from __future__ import annotations

from typing import Any

from gitferry.apiserver.validation import fields as f
from gitferry.apiserver.validation import meta as validation_meta

Cause = f.Cause
Obj = dict[str, Any]

MISMATCH = "`selector` does not match template `labels`"
_SET_OPERATORS = ("In", "NotIn")
_EXISTS_OPERATORS = ("Exists", "DoesNotExist")


def label_selector(selector: Any, path: str) -> list[Cause]:
    """`ValidateLabelSelector`: matchLabels are labels; expressions have valid operators."""
    if not isinstance(selector, dict):
        return []
    causes = validation_meta.check_labels(selector.get("matchLabels"), f"{path}.matchLabels")
    for i, expr in enumerate(f.items(selector.get("matchExpressions"))):
        item = f"{path}.matchExpressions[{i}]"
        expr = f.mapping(expr)
        operator = expr.get("operator")
        values = f.items(expr.get("values"))
        if operator in _SET_OPERATORS:
            if not values:
                causes.append(
                    f.required(
                        f"{item}.values", "must be specified when `operator` is 'In' or 'NotIn'"
                    )
                )
        elif operator in _EXISTS_OPERATORS:
            if values:
                causes.append(
                    f.forbidden(
                        f"{item}.values",
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    )
                )
        else:
            causes.append(f.invalid(f"{item}.operator", operator, "not a valid selector operator"))
        key = expr.get("key")
        causes.extend(
            validation_meta.check_labels({key: ""} if isinstance(key, str) else {}, f"{item}.key")
        )
    return causes


def is_valid(selector: Any) -> bool:
    """Whether `LabelSelectorAsSelector` would accept the selector (nil selects nothing)."""
    if selector is None:
        return True
    if not isinstance(selector, dict):
        return False
    return all(
        isinstance(expr, dict) and expr.get("operator") in _SET_OPERATORS + _EXISTS_OPERATORS
        for expr in f.items(selector.get("matchExpressions"))
    )


def is_empty(selector: Any) -> bool:
    """A selector with no requirement at all (`{}`): it selects everything."""
    return (
        isinstance(selector, dict)
        and not selector.get("matchLabels")
        and not selector.get("matchExpressions")
    )


def matches(selector: Any, labels: Any) -> bool:
    """Whether a (valid) selector selects `labels`; a nil selector selects nothing."""
    if not isinstance(selector, dict):
        return False
    labels = f.mapping(labels)
    for key, value in f.mapping(selector.get("matchLabels")).items():
        if labels.get(key) != value:
            return False
    for expr in f.items(selector.get("matchExpressions")):
        key, operator = expr.get("key"), expr.get("operator")
        values = f.items(expr.get("values"))
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def template_mismatch(selector: Any, template: Obj, path: str) -> list[Cause]:
    """The "`selector` does not match template `labels`" check at `<path>.metadata.labels`."""
    labels = f.mapping(template.get("metadata")).get("labels")
    if not is_valid(selector) or is_empty(selector) or matches(selector, labels):
        return []
    return [
        f.invalid(
            f"{path}.metadata.labels",
            f.GoRaw(f.go_string_map(labels if isinstance(labels, dict) else None)),
            MISMATCH,
        )
    ]


def required_selector(selector: Any, path: str, word: str) -> list[Cause]:
    """Selector required, valid and not empty (`empty selector is invalid for <word>`)."""
    if selector is None:
        return [f.required(path)]
    causes = label_selector(selector, path)
    if is_empty(selector):
        causes.append(
            f.invalid(path, f.go_label_selector(selector), f"empty selector is invalid for {word}")
        )
    return causes
