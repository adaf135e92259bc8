"""The cluster-wide policy conformance scenarios on the engine (``anp_scenarios``).

Each step's grids are checked pod pair by pod pair with ``Engine.check``, and
the grouped connectivity map (``Connectivity``) must give the same answers.
"""

from __future__ import annotations

import pytest

from netwarden.compile import compile_snapshot
from netwarden.engine import Connectivity, Engine
from netwarden.ir import Cluster
from netwarden.ir.services import protocol_number
from netwarden.load import load_texts

from .anp_scenarios import BASE_CLUSTER_YAML, PODS, STEPS, Step, expected_for


def cluster_of(step: Step) -> Cluster:
    return compile_snapshot(load_texts([("cluster.yaml", BASE_CLUSTER_YAML),
                                        ("policies.yaml", step.policies)]))


@pytest.mark.parametrize("step", STEPS, ids=[s.id for s in STEPS])
def test_engine_verdicts_match_the_step(step: Step) -> None:
    engine = Engine(cluster_of(step))
    wrong = []
    for protocol, port, grid in step.grids:
        for src in PODS:
            for dst in PODS:
                if src == dst:
                    continue
                got = engine.check(src, dst, protocol, port).allowed
                if got != expected_for(grid, src, dst):
                    wrong.append(f"{protocol}/{port} {src} -> {dst}: got {got}")
    assert wrong == []


@pytest.mark.parametrize("step", STEPS, ids=[s.id for s in STEPS])
def test_connectivity_agrees_with_check(step: Step) -> None:
    cluster = cluster_of(step)
    engine, conn = Engine(cluster), Connectivity(cluster)
    for protocol, port, _ in step.grids:
        number = protocol_number(protocol)
        for src in PODS:
            for dst in PODS:
                if src == dst:
                    continue
                services = conn.between(engine.resolve(src), engine.resolve(dst))
                assert services.contains(number, port) == \
                    engine.check(src, dst, protocol, port).allowed, (src, dst, port)
