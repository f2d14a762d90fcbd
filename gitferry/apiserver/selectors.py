"""Label and field selectors of list and watch requests.

Parses `labelSelector` with the grammar of `k8s.io/apimachinery/pkg/labels` (`=`, `==`, `!=`,
`in`, `notin`, `k`, `!k`, `>`/`<`) and `fieldSelector` (`=`, `==`, `!=` on the fields each kind
supports), and compiles both into predicates over stored objects. Parse errors are the 400s the
real server gives. Called by the list and watch handlers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gitferry.apiserver import errors

_KEY_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
_KEY_RE = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?" + _KEY_NAME + "$"
)
_VALUE_RE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_TOKEN_RE = re.compile(r"\s*(!=|==|=|!|,|\(|\)|>|<|[^\s!=,()<>]+)")

Predicate = Callable[[dict[str, Any]], bool]


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str  # "=", "!=", "in", "notin", "exists", "!", ">", "<"
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        op = self.operator
        if op == "exists":
            return self.key in labels
        if op == "!":
            return self.key not in labels
        if op in ("=", "in"):
            return self.key in labels and labels[self.key] in self.values
        if op in ("!=", "notin"):
            return self.key not in labels or labels[self.key] not in self.values
        value = labels.get(self.key)
        if value is None:
            return False
        try:
            number = int(value)
        except ValueError:
            return False
        bound = int(self.values[0])
        return number > bound if op == ">" else number < bound


def parse_labels(text: str | None) -> list[Requirement]:
    """Parse a label selector; an empty or absent selector matches everything."""
    if not text or not text.strip():
        return []
    tokens = _tokenize(text)
    requirements: list[Requirement] = []
    pos = 0
    while pos < len(tokens):
        requirement, pos = _requirement(tokens, pos)
        requirements.append(requirement)
        if pos < len(tokens):
            if tokens[pos] != ",":
                raise errors.bad_request(
                    f"unable to parse requirement: found '{tokens[pos]}', expected: ','"
                )
            pos += 1
            if pos == len(tokens):
                raise errors.bad_request(
                    "unable to parse requirement: found '', expected: identifier"
                )
    return requirements


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            break
        tokens.append(match.group(1))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


def _check_key(key: str) -> None:
    if not _KEY_RE.match(key) or len(key.rsplit("/", maxsplit=1)[-1]) > 63:
        raise errors.bad_request(
            f'unable to parse requirement: invalid label key "{key}": name part must consist '
            "of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character"
        )


def _check_value(value: str) -> None:
    if len(value) > 63 or not _VALUE_RE.match(value):
        raise errors.bad_request(
            f'unable to parse requirement: invalid label value: "{value}": at key: '
            "a valid label must be an empty string or consist of alphanumeric characters, "
            "'-', '_' or '.', and must start and end with an alphanumeric character"
        )


def _requirement(tokens: list[str], pos: int) -> tuple[Requirement, int]:
    if tokens[pos] == "!":
        if pos + 1 >= len(tokens):
            raise errors.bad_request("unable to parse requirement: found '', expected: identifier")
        key = tokens[pos + 1]
        _check_key(key)
        return Requirement(key, "!"), pos + 2
    key = tokens[pos]
    if key in ("=", "==", "!=", ",", "(", ")", "<", ">"):
        raise errors.bad_request(
            f"unable to parse requirement: found '{key}', expected: !, identifier, or 'end of "
            "string'"
        )
    _check_key(key)
    pos += 1
    if pos >= len(tokens) or tokens[pos] == ",":
        return Requirement(key, "exists"), pos
    op = tokens[pos]
    if op in ("=", "==", "!="):
        value = ""
        if pos + 1 < len(tokens) and tokens[pos + 1] not in (",",):
            value = tokens[pos + 1]
            pos += 1
        _check_value(value)
        return Requirement(key, "!=" if op == "!=" else "=", (value,)), pos + 1
    if op in (">", "<"):
        if pos + 1 >= len(tokens) or not re.fullmatch(r"-?\d+", tokens[pos + 1]):
            raise errors.bad_request(
                "unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an "
                "integer"
            )
        return Requirement(key, op, (tokens[pos + 1],)), pos + 2
    if op in ("in", "notin"):
        if pos + 1 >= len(tokens) or tokens[pos + 1] != "(":
            raise errors.bad_request("unable to parse requirement: found '', expected: '('")
        pos += 2
        values: list[str] = []
        expect_value = True
        while pos < len(tokens) and tokens[pos] != ")":
            token = tokens[pos]
            if token == ",":
                if expect_value:
                    values.append("")
                expect_value = True
            else:
                _check_value(token)
                values.append(token)
                expect_value = False
            pos += 1
        if pos >= len(tokens):
            raise errors.bad_request("unable to parse requirement: found '', expected: ')'")
        if expect_value and values:
            values.append("")
        if not values:
            raise errors.bad_request(
                "unable to parse requirement: for 'in', 'notin' operators, values set can't be "
                "empty"
            )
        return Requirement(key, op, tuple(values)), pos + 1
    raise errors.bad_request(
        f"unable to parse requirement: found '{op}', expected: in, notin, =, ==, !=, gt, lt"
    )


def label_predicate(text: str | None) -> Predicate | None:
    """A predicate over objects for a label selector, or None when it matches everything."""
    requirements = parse_labels(text)
    if not requirements:
        return None

    def matches(obj: dict[str, Any]) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(r.matches(labels) for r in requirements)

    return matches


def matches_label_selector(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """Whether `labels` match a structured LabelSelector (matchLabels and matchExpressions).

    An empty selector matches everything; controllers call this to find their pods.
    """
    if not selector:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or ():
        operator = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}.get(
            expression.get("operator", "")
        )
        if operator is None:
            return False
        requirement = Requirement(
            expression["key"], operator, tuple(expression.get("values") or ())
        )
        if not requirement.matches(labels):
            return False
    return True


# Fields each kind can select on, besides metadata.name and metadata.namespace.
_FIELDS_BY_KIND: dict[str, tuple[str, ...]] = {
    "Pod": (
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    "Event": (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    "Namespace": ("status.phase",),
    "Secret": ("type",),
    "Service": ("spec.clusterIP", "spec.type"),
    "Node": ("spec.unschedulable",),
    "ReplicaSet": ("status.replicas",),
    "Job": ("status.successful",),
}
_ALIASES = {"spec.host": "spec.nodeName", "name": "metadata.name"}


def _field_value(obj: dict[str, Any], path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            break
    if path == "source" and isinstance(value, dict):
        value = value.get("component")
    if value is None:
        return "false" if path in ("spec.hostNetwork", "spec.unschedulable") else ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _split_unescaped(text: str, separator: str) -> list[str]:
    parts, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def field_predicate(text: str | None, kind: str) -> Predicate | None:
    """A predicate for a field selector on objects of `kind`, or None for "everything"."""
    if not text or not text.strip():
        return None
    terms: list[tuple[str, bool, str]] = []
    allowed = ("metadata.name", "metadata.namespace", *_FIELDS_BY_KIND.get(kind, ()))
    for term in _split_unescaped(text, ","):
        match = re.match(r"^([^=!]+)(==|=|!=)(.*)$", term.strip())
        if match is None:
            raise errors.bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        field, op, value = match.group(1).strip(), match.group(2), _unescape(match.group(3))
        field = _ALIASES.get(field, field)
        if field not in allowed:
            raise errors.bad_request(
                f'"{field}" is not a known field selector: only "metadata.name", '
                '"metadata.namespace"'
            )
        terms.append((field, op == "!=", value))

    def matches(obj: dict[str, Any]) -> bool:
        return all((_field_value(obj, f) == value) != negate for f, negate, value in terms)

    return matches


def name_from_field_selector(text: str | None) -> str | None:
    """The object name when a field selector is exactly `metadata.name=<x>` (fast path)."""
    if not text:
        return None
    match = re.fullmatch(r"metadata\.name==?([^,=!\\]+)", text.strip())
    return match.group(1) if match else None
