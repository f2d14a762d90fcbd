"""Kubernetes label selectors as ApplicationSets use them.

`matchLabels` (every pair equal) and `matchExpressions` (`In`, `NotIn`, `Exists`,
`DoesNotExist`), all ANDed; `NotIn` and `DoesNotExist` hold when the key is absent; an empty
selector matches everything. Label values are not validated (Argo CD's own copy of
`LabelSelectorAsSelector`), so a post selector can match a cluster URL. Malformed selectors
(unknown operator, `In` without values, `Exists` with values) raise `SelectorError`.

Used by the clusters generator (on Secret labels) and by post selectors (on the flattened
parameter set).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_OPERATORS = {"In", "NotIn", "Exists", "DoesNotExist"}


class SelectorError(ValueError):
    """A selector that cannot be used."""


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str
    values: frozenset[str]

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator == "In":
            return present and labels[self.key] in self.values
        if self.operator == "NotIn":
            return not present or labels[self.key] not in self.values
        if self.operator == "Exists":
            return present
        return not present


@dataclass(frozen=True)
class Selector:
    requirements: tuple[Requirement, ...]

    @property
    def empty(self) -> bool:
        return not self.requirements

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(r.matches(labels) for r in self.requirements)


def parse(selector: Any, *, extra: Mapping[str, str] | None = None) -> Selector:
    """A selector from its `{matchLabels, matchExpressions}` form (None is empty); `extra`
    labels are added as equalities (the cluster Secret type label)."""
    if selector is None:
        selector = {}
    if not isinstance(selector, dict):
        raise SelectorError("a selector must be a mapping with matchLabels/matchExpressions")
    requirements: list[Requirement] = []
    labels = selector.get("matchLabels") or {}
    if not isinstance(labels, dict):
        raise SelectorError("matchLabels must be a mapping of label to value")
    for key, value in {**labels, **(extra or {})}.items():
        requirements.append(Requirement(str(key), "In", frozenset([_text(value)])))
    expressions = selector.get("matchExpressions") or []
    if not isinstance(expressions, list):
        raise SelectorError("matchExpressions must be a list")
    for expression in expressions:
        requirements.append(_requirement(expression))
    return Selector(tuple(requirements))


def _requirement(expression: Any) -> Requirement:
    if not isinstance(expression, dict):
        raise SelectorError("each matchExpressions entry must be a mapping")
    key = str(expression.get("key") or "")
    operator = str(expression.get("operator") or "")
    values = expression.get("values") or []
    if not key:
        raise SelectorError("a matchExpressions entry has no key")
    if operator not in _OPERATORS:
        raise SelectorError(f"{operator!r} is not a valid label selector operator")
    if not isinstance(values, list):
        raise SelectorError(f"{key}: values must be a list")
    if operator in ("In", "NotIn") and not values:
        raise SelectorError(f"{key}: for 'in', 'notin' operators, values set can't be empty")
    if operator in ("Exists", "DoesNotExist") and values:
        raise SelectorError(f"{key}: values set must be empty for exists and does not exist")
    return Requirement(key, operator, frozenset(_text(v) for v in values))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
