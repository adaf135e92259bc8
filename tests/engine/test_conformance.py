"""The conformance scenarios, checked by both the per-packet engine and the matrix.

Expected grids are hand-written in ``conformance_cases_*``; on failure the
assertion compares two grid texts, so pytest prints a row-by-row diff.
"""

from __future__ import annotations

from functools import cache

import pytest

import netwarden
from netwarden.analysis.matrix import port_matrix

from .builders import load_engine
from .conformance_cases import CASES, PODS, Case, parse_grid, render_grid


@cache
def _engine(cluster_yaml: str, policies_yaml: str) -> netwarden.Engine:
    return load_engine(cluster_yaml, policies_yaml)


def _expected(case: Case) -> str:
    return render_grid(parse_grid(case.expected_grid))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_engine_check(case: Case) -> None:
    engine = _engine(case.cluster_yaml, case.policies_yaml)
    actual = {
        (src, dst): engine.allows(src, dst, case.protocol, case.port)
        for src in PODS
        for dst in PODS
    }
    assert render_grid(actual) == _expected(case)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_port_matrix(case: Case) -> None:
    engine = _engine(case.cluster_yaml, case.policies_yaml)
    matrix = port_matrix(engine.connectivity, case.protocol, case.port)
    assert sorted(matrix["endpoints"]) == sorted(PODS)
    actual = {(src, dst): matrix["allowed"][src][dst] for src in PODS for dst in PODS}
    assert render_grid(actual) == _expected(case)


def test_there_are_enough_scenarios() -> None:
    scenarios = {c.id.rsplit("-", 1)[0] if c.id[-2:].isdigit() else c.id for c in CASES}
    assert len(scenarios) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES[:1], ids=["grid-format"])
def test_grid_round_trip(case: Case) -> None:
    grid = parse_grid(case.expected_grid)
    assert parse_grid(render_grid(grid)) == grid
    with pytest.raises(ValueError, match="bad grid row"):
        parse_grid(case.expected_grid.replace(".", "?", 1))
