"""The health codes and their worst-of order (reference 5.1)."""

from __future__ import annotations

import pytest

from gitferry.health.status import Health, HealthStatus, is_worse

ORDER = ["Healthy", "Suspended", "Progressing", "Missing", "Degraded", "Unknown"]


def test_codes_are_declared_from_best_to_worst() -> None:
    assert [code.value for code in HealthStatus] == ORDER


@pytest.mark.parametrize("better", range(len(ORDER)))
def test_is_worse_follows_the_order(better: int) -> None:
    for worse in range(len(ORDER)):
        assert is_worse(ORDER[better], ORDER[worse]) is (worse > better)


def test_an_unknown_code_ranks_as_healthy() -> None:
    assert not is_worse("Healthy", "")
    assert not is_worse("Fine", "Healthy")
    assert is_worse("Fine", "Suspended")


def test_health_as_argo_cd_stores_it() -> None:
    assert Health(HealthStatus.HEALTHY).as_dict() == {"status": "Healthy"}
    assert Health(HealthStatus.DEGRADED, "x").as_dict() == {"status": "Degraded", "message": "x"}
