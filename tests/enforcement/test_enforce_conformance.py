"""The conformance suite with real packets, TCP and UDP.

A small pool of labs of the base cluster (every case keeps its pods' names and
addresses; only labels and port names vary, which are the engine's business,
not the lab's). Each worker enforces a case's policies in its lab and probes
TCP and UDP on the case's port at once; the case's own protocol must match the
hand-written grid, both must match the engine.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest

from netwarden.lab import Lab
from netwarden.lab.observe import Observation, flush_conntrack, observe_many

from ..engine.builders import load_cluster
from ..engine.conformance_cases import BASE_CLUSTER_YAML, CASES, PODS, Case, parse_grid, render_grid
from ..lab_fixtures import ENFORCER, lab_for

pytestmark = pytest.mark.lab
POOL = 4
PROBE_TIMEOUT = 1.0

Outcome = dict[str, Observation] | BaseException


def _run(labs: queue.Queue[Lab], case: Case) -> Outcome:
    lab = labs.get()
    try:
        cluster = load_cluster(case.cluster_yaml, case.policies_yaml)
        ENFORCER.enforce(lab, cluster)
        flush_conntrack(lab)  # each case starts with no tracked flows
        obs = observe_many(lab, cluster, [("TCP", case.port), ("UDP", case.port)],
                               timeout=PROBE_TIMEOUT, endpoints=PODS)
        return {o.protocol: o for o in obs}
    except Exception as e:
        return e
    finally:
        labs.put(lab)


@pytest.fixture(scope="module")
def outcomes() -> Iterator[dict[str, Outcome]]:
    base = load_cluster(BASE_CLUSTER_YAML)
    with ExitStack() as stack:
        labs: queue.Queue[Lab] = queue.Queue()
        for _ in range(POOL):
            labs.put(stack.enter_context(lab_for(base)))
        with ThreadPoolExecutor(POOL) as pool:
            done = dict(zip((c.id for c in CASES), pool.map(lambda c: _run(labs, c), CASES),
                            strict=True))
        yield done


def _grid(obs: Observation, which: str) -> str:
    m = obs.observed if which == "observed" else obs.expected
    return render_grid({(s, d): m[s][d] for s in PODS for d in PODS})


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_conformance_with_real_packets(outcomes: dict[str, Outcome], case: Case) -> None:
    got = outcomes[case.id]
    if isinstance(got, BaseException):
        raise got
    for protocol, obs in got.items():
        assert _grid(obs, "observed") == _grid(obs, "expected"), f"{protocol}/{case.port}"
    mine = got[case.protocol.upper()]
    assert _grid(mine, "observed") == render_grid(parse_grid(case.expected_grid))
