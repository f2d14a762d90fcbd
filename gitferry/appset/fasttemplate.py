"""Argo CD's default ("fasttemplate") engine: `{{ key }}` replaced by a string parameter.

Rules (Argo CD's `Render.Replace` with valyala/fasttemplate):
- A string is processed only if one of its lines holds `{{` followed by `}}`; others are
  returned untouched (even with an unclosed `{{` on another line).
- Each tag is the text between `{{` and the next `}}`; spaces around it are trimmed and the
  parameter of exactly that name is used if it exists and is a string. Otherwise the tag is
  written back verbatim, spaces included (`{{ missing }}` stays). No recursion, case-sensitive.
- A `{{` without a closing `}}` (in a processed string) is an error.
Parsed templates are cached by text. Called by `templating.Renderer`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

_TEMPLATED = re.compile(r".*\{\{.*\}\}.*")
_START, _END = "{{", "}}"


class FastTemplateError(ValueError):
    """An unclosed tag."""


def render(text: str, params: Mapping[str, Any]) -> str:
    """`text` with its tags replaced from `params`."""
    if "{{" not in text:
        return text
    parts = _parse(text)
    if isinstance(parts, str):
        raise FastTemplateError(parts)
    out: list[str] = []
    for index, part in enumerate(parts):
        if index % 2 == 0:
            out.append(part)
            continue
        value = params.get(part.strip())
        if isinstance(value, str) and part.strip():
            out.append(value)
        else:
            out.append(_START + part + _END)
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> tuple[str, ...] | str:
    """Text and tags alternating (text first), or an error message; the whole text as the
    only part when it is not a template."""
    if not _TEMPLATED.search(text):
        return (text,)
    parts: list[str] = []
    position = 0
    while True:
        start = text.find(_START, position)
        if start < 0:
            parts.append(text[position:])
            return tuple(parts)
        end = text.find(_END, start + len(_START))
        if end < 0:
            return (
                f"invalid template: cannot find end tag {_END!r} in the template {text!r} "
                f"starting from {text[start:]!r}"
            )
        parts.append(text[position:start])
        parts.append(text[start + len(_START) : end])
        position = end + len(_END)
