"""`ignoreDifferences` (reference 4.4): which rules match an object, and removing what they
name before it is compared.

A rule matches an object when its `group` and `kind` glob-match the object's (Argo CD uses
gobwas globs: `*` matches anything, `?` one character, `[a-z]`/`[!a]` classes, `{a,b}`
alternatives, `\\` escapes; an empty pattern matches only the empty string, so an empty
`group` means the core group only), and its `name` and `namespace`, when set, are equal. Every
matching rule counts: application rules and the system rules of `argocd-cm`
(`diff.settings`) are unioned, in order.

Effects, applied to the target, the live object and the dry-run prediction alike:
* `jsonPointers`: RFC 6901 removals; a missing path is ignored.
* `jqPathExpressions`: `del(<expr>)` in a killable worker with a timeout (`diff.jqpaths`);
  it must yield exactly one object, else the patch is skipped and the failure returned so the
  caller can log it. A malformed expression is reported by `IgnoreRules.problems` (Argo CD
  then fails the comparison: `ComparisonError`).
* `managedFieldsManagers`: handled in `diff.compare` through `diff.fieldsv1`.

Pure apart from the jq worker; used by `diff.compare`, built by the controller once per app
and refresh from `spec.ignoreDifferences` and the settings.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gitferry.diff import jqpaths, pointers
from gitferry.model.errors import InvalidSpecError

Json = dict[str, Any]
_POINTER, _JQ = "pointer", "jq"


@functools.lru_cache(maxsize=4096)
def _glob(pattern: str) -> re.Pattern[str] | None:
    """A gobwas-style glob as a regex; None when the pattern is malformed (matches nothing)."""
    out: list[str] = []
    depth = 0
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                return None
            body = pattern[i + 1 : end]
            negate = body.startswith("!")
            body = body[1:] if negate else body
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
            i = end
        elif char == "{":
            depth += 1
            out.append("(?:")
        elif char == "}" and depth:
            depth -= 1
            out.append(")")
        elif char == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(char))
        i += 1
    if depth:
        return None
    try:
        return re.compile("".join(out), re.DOTALL)
    except re.error:
        return None


def glob_match(pattern: str, text: str) -> bool:
    """Argo CD's `glob.Match` (gobwas glob, no separators)."""
    if pattern == text:
        return True
    compiled = _glob(pattern)
    return compiled is not None and compiled.fullmatch(text) is not None


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidSpecError(f"{where}: must be a list of strings")
    return tuple(value)


@dataclass(frozen=True, kw_only=True)
class IgnoreRule:
    """One `ignoreDifferences` entry (application or system level)."""

    group: str = ""
    kind: str = ""
    name: str = ""
    namespace: str = ""
    json_pointers: tuple[str, ...] = ()
    jq_path_expressions: tuple[str, ...] = ()
    managed_fields_managers: tuple[str, ...] = ()

    @classmethod
    def parse(cls, data: Any, where: str, **identity: str) -> IgnoreRule:
        """A rule from its JSON form; `identity` (group, kind) overrides the document's."""
        if not isinstance(data, dict):
            raise InvalidSpecError(f"{where}: must be an object")
        fields = {k: data.get(k) or "" for k in ("group", "kind", "name", "namespace")}
        for key, value in fields.items():
            if not isinstance(value, str):
                raise InvalidSpecError(f"{where}.{key}: must be a string")
        return cls(
            **{**fields, **identity},
            json_pointers=_strings(data.get("jsonPointers"), f"{where}.jsonPointers"),
            jq_path_expressions=_strings(
                data.get("jqPathExpressions"), f"{where}.jqPathExpressions"
            ),
            managed_fields_managers=_strings(
                data.get("managedFieldsManagers"), f"{where}.managedFieldsManagers"
            ),
        )

    def matches(self, group: str, kind: str, name: str, namespace: str) -> bool:
        return (
            glob_match(self.group, group)
            and glob_match(self.kind, kind)
            and (not self.name or self.name == name)
            and (not self.namespace or self.namespace == namespace)
        )


def parse_app_rules(value: Any) -> tuple[IgnoreRule, ...]:
    """The rules of an Application's `spec.ignoreDifferences`."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidSpecError("spec.ignoreDifferences: must be a list")
    return tuple(
        IgnoreRule.parse(item, f"spec.ignoreDifferences[{i}]") for i, item in enumerate(value)
    )


@dataclass(frozen=True)
class Matched:
    """The union of the rules that match one object, in rule order."""

    patches: tuple[tuple[str, str, tuple[str, ...] | None], ...] = ()
    managers: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.patches or self.managers)


NOTHING = Matched()


class IgnoreRules:
    """The rules in force for one application: its own, then the system's."""

    def __init__(self, rules: Sequence[IgnoreRule] = ()) -> None:
        self.rules = tuple(rules)
        self._cache: dict[tuple[str, str, str, str], Matched] = {}

    def problems(self) -> list[str]:
        """Messages for jq expressions that do not compile (Argo CD fails the comparison)."""
        found = (jqpaths.check(e) for r in self.rules for e in r.jq_path_expressions)
        return [message for message in found if message]

    def matching(self, group: str, kind: str, name: str, namespace: str) -> Matched:
        """What the rules say about the object (group, kind, name, namespace)."""
        identity = (group, kind, name, namespace)
        found = self._cache.get(identity)
        if found is None:
            patches: list[tuple[str, str, tuple[str, ...] | None]] = []
            managers: dict[str, None] = {}
            for rule in self.rules:
                if rule.matches(*identity):
                    patches += [
                        (_POINTER, p, pointers.parse_pointer(p)) for p in rule.json_pointers
                    ]
                    patches += [(_JQ, e, None) for e in rule.jq_path_expressions]
                    managers.update(dict.fromkeys(rule.managed_fields_managers))
            found = Matched(tuple(patches), tuple(managers)) if patches or managers else NOTHING
            self._cache[identity] = found
        return found

    def matching_object(self, obj: Json) -> Matched:
        meta = obj.get("metadata") or {}
        return self.matching(
            str(obj.get("apiVersion") or "").rpartition("/")[0],
            str(obj.get("kind") or ""),
            str(meta.get("name") or ""),
            str(meta.get("namespace") or ""),
        )


def apply(
    doc: Json, matched: Matched, runner: jqpaths.JqRunner | None
) -> tuple[Json, tuple[str, ...]]:
    """`doc` without what the matched rules ignore, and the jq failures (`<expr>: <why>`)."""
    failures: list[str] = []
    for kind, text, tokens in matched.patches:
        if kind == _POINTER:
            if tokens is not None:
                doc = pointers.remove_path(doc, tokens)
            continue
        if runner is None:
            failures.append(f"{text}: no jq runner configured")
            continue
        result = runner.delete(text, doc)
        if result.document is None:
            failures.append(f"{text}: {result.error}")
        else:
            doc = result.document
    return doc, tuple(failures)
