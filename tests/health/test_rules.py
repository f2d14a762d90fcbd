"""Argo CD's health rules, one fixture per rule (reference 5.2, 5.3 and 8): every file under
`testdata/` is assessed and must give the status and message `cases.yaml` lists for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gitferry._kit import yamlio
from gitferry.health import assess

HERE = Path(__file__).parent
TESTDATA = HERE / "testdata"
CASES: dict[str, dict[str, Any]] = yaml.safe_load((HERE / "cases.yaml").read_text())


def load(path: Path) -> dict[str, Any]:
    # Read as `gitferry health` reads files: unquoted timestamps become datetimes.
    [obj] = yamlio.load_documents(path)
    assert isinstance(obj, dict)
    return obj


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_has_the_listed_health(name: str) -> None:
    expected = CASES[name]
    options = assess.HealthOptions(**expected.get("options", {}))
    health = assess.assess(load(TESTDATA / name), options=options)
    if expected["status"] is None:
        assert health is None
    else:
        assert health is not None
        assert (health.status, health.message) == (expected["status"], expected["message"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_name_states_its_status(name: str) -> None:
    status = CASES[name]["status"]
    assert Path(name).name.split("_", 1)[0] == (status or "none").lower()


def test_every_fixture_is_listed() -> None:
    on_disk = {path.relative_to(TESTDATA).as_posix() for path in TESTDATA.rglob("*.yaml")}
    assert on_disk == set(CASES)
