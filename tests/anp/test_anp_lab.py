"""The cluster-wide policy conformance scenarios with real packets, TCP and UDP.

One lab of the base cluster; each step's policies are enforced in it in turn
(incrementally, as a running agent would see an ANP patched or a
NetworkPolicy deleted), conntrack is flushed, and every probed TCP/UDP port of
the step is probed between every ordered pair of pods. What the packets do must
match the engine and the step's hand-written grid.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from netwarden.compile import compile_snapshot
from netwarden.ir import Cluster
from netwarden.lab import Lab
from netwarden.lab.observe import flush_conntrack, observe_many
from netwarden.load import load_texts

from ..lab_fixtures import ENFORCER, lab_for
from .anp_scenarios import BASE_CLUSTER_YAML, PODS, STEPS, Step, expected_for

pytestmark = pytest.mark.lab  # skipped without root by this directory's conftest
PROBE_TIMEOUT = 1.0


def _cluster(*texts: str) -> Cluster:
    return compile_snapshot(load_texts([(f"part{i}.yaml", t) for i, t in enumerate(texts)]))


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with lab_for(_cluster(BASE_CLUSTER_YAML)) as built:
        yield built


@pytest.mark.parametrize("step", STEPS, ids=[s.id for s in STEPS])
def test_real_packets_match_engine_and_step(lab: Lab, step: Step) -> None:
    cluster = _cluster(BASE_CLUSTER_YAML, step.policies)
    ENFORCER.enforce(lab, cluster)
    flush_conntrack(lab)
    probes = [(p, n) for p, n, _ in step.grids if p in ("TCP", "UDP")]
    observations = observe_many(lab, cluster, probes, timeout=PROBE_TIMEOUT, endpoints=PODS)
    grids = {(p, n): g for p, n, g in step.grids}
    wrong = []
    for obs in observations:
        for src in PODS:
            for dst in PODS:
                if src == dst:
                    continue
                want = expected_for(grids[obs.protocol, obs.port], src, dst)
                seen, engine = obs.observed[src][dst], obs.expected[src][dst]
                if not seen == engine == want:
                    wrong.append(f"{obs.protocol}/{obs.port} {src} -> {dst}: packets {seen}, "
                                 f"engine {engine}, step {want}")
    assert wrong == []
