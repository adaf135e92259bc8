"""Every seed walkthrough state with real packets: lab == engine == the article.

One lab per example (its pods, plus a ``LabHost`` for every outside address the
walkthroughs mention). The labs are built one after the other; then each
example's states are enforced and probed in turn, the examples in parallel
(their probe timeouts overlap). The tests read the results.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass

import pytest

from netwarden import load_cluster
from netwarden.engine import Engine
from netwarden.ir import NamedPort
from netwarden.ir.services import TCP, UDP
from netwarden.lab import Lab, LabHost
from netwarden.lab.observe import Observation, flush_conntrack, observe

from ..examples.walkthroughs import WALKTHROUGHS, Walkthrough
from ..lab_fixtures import ENFORCER, lab_for
from .labtools import grid

pytestmark = pytest.mark.lab
PROBE_TIMEOUT = 1.0


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def host_name(ip: str) -> str:
    return "ext-" + ip.replace(".", "-").replace(":", "-")


@dataclass
class Result:
    obs: Observation | None = None
    external: dict[tuple[str, str], bool] | None = None
    error: BaseException | None = None


def _build(stack: ExitStack, example: str) -> Lab:
    mine = [w for w in WALKTHROUGHS if w.example == example]
    ports = sorted({(w.port, p) for w in mine if w.port for p in (TCP, UDP)})
    ips = sorted({a for w in mine for row in w.external for a in row[:2] if _is_ip(a)})
    served = tuple(NamedPort(port, proto) for port, proto in ports)
    hosts = [LabHost(host_name(ip), (ipaddress.ip_address(ip),), served) for ip in ips]
    return stack.enter_context(lab_for(load_cluster([mine[0].paths()[0]]), hosts=hosts,
                                       ports=ports))


def _run_example(lab: Lab, states: list[Walkthrough]) -> dict[str, Result]:
    out: dict[str, Result] = {}
    for w in states:
        try:
            cluster = load_cluster(w.paths())
            ENFORCER.enforce(lab, cluster)
            flush_conntrack(lab)  # each case starts with no tracked flows
            res = Result(observe(lab, cluster, w.protocol, w.port, timeout=PROBE_TIMEOUT))
            if w.external:
                pairs = [(host_name(s) if _is_ip(s) else s, d) for s, d, _ in w.external]
                seen = lab.probe(pairs, w.protocol, w.port or 0, PROBE_TIMEOUT)
                res.external = {(s, d): seen[p] for (s, d, _), p in zip(w.external, pairs,
                                                                         strict=True)}
            out[w.id] = res
        except Exception as e:  # reported by the test of that state
            out[w.id] = Result(error=e)
    return out


@pytest.fixture(scope="module")
def results() -> Iterator[dict[str, Result]]:
    by_example = {k: list(g) for k, g in itertools.groupby(
        sorted(WALKTHROUGHS, key=lambda w: w.example), key=lambda w: w.example)}
    with ExitStack() as stack:
        labs = {ex: _build(stack, ex) for ex in by_example}
        with ThreadPoolExecutor(len(labs)) as pool:
            parts = pool.map(lambda ex: _run_example(labs[ex], by_example[ex]), by_example)
            merged = {k: v for part in parts for k, v in part.items()}
        yield merged


@pytest.mark.parametrize("w", WALKTHROUGHS, ids=[w.id for w in WALKTHROUGHS])
def test_walkthrough_with_real_packets(results: dict[str, Result], w: Walkthrough) -> None:
    res = results[w.id]
    if res.error is not None:
        raise res.error
    obs = res.obs
    assert obs is not None
    article = {s: {d: d in w.allowed[s] for d in obs.endpoints} for s in obs.endpoints}
    assert sorted(obs.endpoints) == sorted(w.allowed)
    assert grid(obs, "expected") == grid(obs, "observed"), f"lab differs from engine ({w.says})"
    assert obs.observed == article, f"lab differs from the article ({w.says})"
    if not w.external:
        return
    engine = Engine(load_cluster(w.paths()))
    assert res.external is not None
    for src, dst, want in w.external:
        assert engine.allows(src, dst, w.protocol, w.port) == want, (src, dst)
        got = res.external[src, dst]
        assert got == want, f"{src} -> {dst}: lab {'connects' if got else 'blocks'}"
