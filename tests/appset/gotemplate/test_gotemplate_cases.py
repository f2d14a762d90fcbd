"""The Go template engine against a table of Go's own answers (`testdata/cases.yaml`).

Each case was recorded from the real Go text/template + Sprig engine (except those marked
`go_differs`, where Argo CD's behaviour cannot come from that reference, with the reason).
The first test checks our engine against the table; the second re-checks the table against
the Go engine itself wherever it is installed, so the table cannot drift from Go."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gitferry.appset.functions import ENGINE
from gitferry.appset.gotemplate import TemplateError
from gitferry.appset.gotemplate.execute import MISSING_KEY_MODES
from gitferry.appset.params import as_json

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "testdata" / "cases.yaml").read_text(encoding="utf-8")
)


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, int] = {}
    ids = []
    for case in cases:
        group = case["group"].replace(" ", "-")
        seen[group] = seen.get(group, 0) + 1
        ids.append(f"{group}-{seen[group]}")
    return ids


def _expected(case: dict[str, Any]) -> tuple[bool, str]:
    return ("out" in case), case["out"] if "out" in case else case["error"]


def render(template: str, data: Any, missing_key: str = "error") -> tuple[bool, str]:
    try:
        text = ENGINE.render(
            template, as_json(data), name="tpl", missing_key=MISSING_KEY_MODES[missing_key]
        )
    except TemplateError as err:
        return False, str(err)
    return True, text


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_engine_renders_like_go(case: dict[str, Any]) -> None:
    got = render(case["template"], case["data"], case.get("missingkey", "error"))
    assert got == _expected(case)


GO_CASES = [case for case in CASES if "go_differs" not in case]


@pytest.mark.parametrize("case", GO_CASES, ids=_ids(GO_CASES))
def test_recorded_answer_is_what_go_prints(case: dict[str, Any], go_reference: Any) -> None:
    assert go_reference.render(case["template"], as_json(case["data"])) == _expected(case)


def test_table_covers_every_group_of_the_language() -> None:
    groups = {case["group"] for case in CASES}
    for group in ("fields", "printf", "comparisons", "range", "define and template", "limits"):
        assert group in groups
    assert len(GO_CASES) >= 180
