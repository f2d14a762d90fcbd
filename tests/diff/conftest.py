"""Fixtures of the comparison tests: jq (libjq) present, and one jq runner (worker process)
shared by a session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gitferry.diff import jqpaths


@pytest.fixture(scope="session")
def jq_module() -> None:
    """Skip where the `jq` package (a dependency of gitferry) is not installed."""
    pytest.importorskip("jq")


@pytest.fixture(scope="session")
def jq_runner(jq_module: None) -> Iterator[jqpaths.JqRunner]:
    with jqpaths.JqRunner() as runner:
        yield runner
