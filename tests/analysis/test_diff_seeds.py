"""``diff`` on the seeds' before/after steps reports exactly what the articles describe.

For every two states of one walkthrough where the later one applies more
policy files than the earlier (same protocol and port), the connections the
diff says were gained and lost at that port must be exactly the pairs whose
hand-written expectation (tests/examples/walkthroughs.py) changed.
"""

from __future__ import annotations

from itertools import permutations

import pytest

from netwarden import load_cluster
from netwarden.analysis.diff import diff
from netwarden.ir import EndpointKind
from netwarden.ir.services import ECHO_REQUEST, protocol_number

from ..examples.walkthroughs import WALKTHROUGHS, Walkthrough


def _before_after() -> list[tuple[Walkthrough, Walkthrough]]:
    out = []
    for a, b in permutations(WALKTHROUGHS, 2):
        if (a.example, a.protocol, a.port) != (b.example, b.protocol, b.port):
            continue
        if len(b.steps) > len(a.steps) and b.steps[: len(a.steps)] == a.steps:
            out.append((a, b))
    return out


PAIRS = _before_after()


def _pairs(matrix: dict[str, frozenset[str]]) -> set[tuple[str, str]]:
    return {(s, d) for s, ds in matrix.items() for d in ds if s != d}


def test_there_are_before_after_steps_that_change_connectivity() -> None:
    changing = [(a, b) for a, b in PAIRS if _pairs(a.allowed) != _pairs(b.allowed)]
    assert len(changing) >= 10
    assert {a.example for a, _ in changing} >= {"seed-prod-dev", "seed-banzai"}


@pytest.mark.parametrize(("before", "after"), PAIRS,
                         ids=[f"{a.id}->{b.id.split('/', 1)[1]}" for a, b in PAIRS])
def test_diff_reports_exactly_the_changed_connections(before: Walkthrough,
                                                      after: Walkthrough) -> None:
    report = diff(load_cluster(before.paths()), load_cluster(after.paths()))
    protocol = protocol_number(before.protocol)
    port = before.port if before.port is not None else ECHO_REQUEST[protocol]
    seen: dict[str, set[tuple[str, str]]] = {"gained": set(), "lost": set()}
    for change in report.changes:
        if not change.services.contains(protocol, port):
            continue
        for src in change.sources:
            for dst in change.destinations:
                if EndpointKind.POD in (src.kind, dst.kind) and src.kind is dst.kind \
                        and src.key != dst.key:
                    seen[change.kind].add((src.key, dst.key))
    old, new = _pairs(before.allowed), _pairs(after.allowed)
    assert seen["gained"] == new - old
    assert seen["lost"] == old - new
