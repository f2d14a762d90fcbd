"""The repository's guardrails, run inside the test command: import-linter's layer contracts,
ruff, mypy (strict on the pure packages), and that the pure model imports nothing heavy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_import_layers_hold() -> None:
    result = _run(str(BIN / "lint-imports"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_finds_nothing() -> None:
    result = _run(str(BIN / "ruff"), "check", "gitferry", "tests", "bench", "scripts")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_applied() -> None:
    result = _run(str(BIN / "ruff"), "format", "--check", "gitferry", "tests", "bench", "scripts")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_passes() -> None:
    result = _run(str(BIN / "mypy"), "gitferry")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("heavy", ["lightkube", "starlette", "uvicorn", "httpx", "click"])
def test_model_imports_nothing_heavy(heavy: str) -> None:
    code = f"import sys, gitferry.model; assert {heavy!r} not in sys.modules"
    result = _run(sys.executable, "-c", code)
    assert result.returncode == 0, result.stderr
