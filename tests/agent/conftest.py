"""Agent fixtures: labs and in-process agents that are always cleaned up.

Lab tests are skipped where they cannot run by ``tests/conftest.py``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from netwarden.agent import Agent, AgentConfig
from netwarden.cli.agent import lab_placement
from netwarden.engine import Engine
from netwarden.ir import Cluster

from .manifests import cluster_of


@pytest.fixture
def make_lab() -> Iterator[Callable[..., object]]:
    """``make_lab(docs, nodes=1)`` → a ``Lab`` removed at the end of the test."""
    from netwarden.lab import Lab

    labs: list[Lab] = []

    def make(docs: Sequence[Mapping[str, object]], nodes: int = 1) -> Lab:
        lab = Lab.up(cluster_of(*docs), nodes=nodes)
        labs.append(lab)
        return lab

    try:
        yield make
    finally:
        for lab in labs:
            lab.down()


@pytest.fixture
def start_agent() -> Iterator[Callable[..., Agent]]:
    """``start_agent(dir, lab, node)`` → a running in-process agent, stopped afterwards."""
    running: list[tuple[Agent, threading.Thread]] = []

    def start(directory: Path, lab: object, node: str = "node-1", **kw: object) -> Agent:
        node, netns, interfaces, prefix = lab_placement(lab.id, node)  # type: ignore[attr-defined]
        cfg = AgentConfig(source=f"dir:{directory}", node=node, netns=netns,
                          interfaces=interfaces, interface_prefix=prefix,
                          metrics_address="127.0.0.1:0", resync=kw.pop("resync", 1.0),  # type: ignore[arg-type]
                          **kw)  # type: ignore[arg-type]
        agent = Agent.from_config(cfg)
        thread = agent.start_background()
        running.append((agent, thread))
        assert agent.reconciler.ready.wait(10), "agent never became ready"
        return agent

    try:
        yield start
    finally:
        for agent, thread in running:
            agent.stop(thread)


def expected_matrix(cluster: Cluster, keys: Sequence[str], port: int = 80
                    ) -> dict[tuple[str, str], bool]:
    engine = Engine(cluster)
    return {(a, b): engine.allows(a, b, "TCP", port) for a in keys for b in keys if a != b}


def wait_matrix(lab: object, cluster: Cluster, keys: Sequence[str], within: float = 2.0,
                port: int = 80) -> tuple[bool, dict[tuple[str, str], bool], float]:
    """Probe until the lab agrees with the engine; (agreed, last probe, seconds taken)."""
    want = expected_matrix(cluster, keys, port)
    start = time.monotonic()
    while True:
        got = lab.probe(list(want), "TCP", port, timeout=0.25)  # type: ignore[attr-defined]
        elapsed = time.monotonic() - start
        if got == want:
            return True, got, elapsed
        if elapsed > within:
            return False, {k: v for k, v in got.items() if want[k] != v}, elapsed
