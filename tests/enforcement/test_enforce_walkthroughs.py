"""Every seed walkthrough state with real packets: lab == engine == the article.

One lab per example (its pods, plus a ``LabHost`` for every outside address the
walkthroughs mention); each state is enforced in turn and every pod pair probed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import pytest
from labtools import grid, lab_for
from walkthroughs import WALKTHROUGHS, Walkthrough

from netwarden import load_cluster
from netwarden.engine import Engine
from netwarden.ir.services import TCP, UDP
from netwarden.lab import Lab, LabHost
from netwarden.lab import enforce as nwe

pytestmark = pytest.mark.lab


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def host_name(ip: str) -> str:
    return "ext-" + ip.replace(".", "-").replace(":", "-")


class Labs:
    """Builds one lab per example on first use; removes them all at the end."""

    def __init__(self) -> None:
        self.labs: dict[str, Lab] = {}

    def get(self, w: Walkthrough) -> Lab:
        if w.example not in self.labs:
            mine = [x for x in WALKTHROUGHS if x.example == w.example]
            ports = sorted({(x.port, p) for x in mine if x.port for p in (TCP, UDP)})
            ips = sorted({a for x in mine for row in x.external for a in row[:2] if _is_ip(a)})
            hosts = [LabHost(host_name(ip), (ipaddress.ip_address(ip),)) for ip in ips]
            base = load_cluster([w.paths()[0]])
            ctx = lab_for(base, hosts=hosts, ports=ports)
            self.labs[w.example] = ctx.__enter__()
            self._exits.append(ctx)
        return self.labs[w.example]

    _exits: list = []  # type: ignore[type-arg]

    def close(self) -> None:
        while self._exits:
            self._exits.pop().__exit__(None, None, None)


@pytest.fixture(scope="module")
def labs() -> Iterator[Labs]:
    made = Labs()
    try:
        yield made
    finally:
        made.close()


@pytest.mark.parametrize("w", WALKTHROUGHS, ids=[w.id for w in WALKTHROUGHS])
def test_walkthrough_with_real_packets(labs: Labs, w: Walkthrough) -> None:
    lab = labs.get(w)
    cluster = load_cluster(w.paths())
    nwe.enforce(lab, cluster)
    obs = nwe.observe(lab, cluster, w.protocol, w.port)
    article = {s: {d: d in w.allowed[s] for d in obs.endpoints} for s in obs.endpoints}
    assert sorted(obs.endpoints) == sorted(w.allowed)
    assert grid(obs, "expected") == grid(obs, "observed"), f"lab differs from engine ({w.says})"
    assert obs.observed == article, f"lab differs from the article ({w.says})"
    if not w.external:
        return
    engine = Engine(cluster)
    pairs = [(host_name(s) if _is_ip(s) else s, d) for s, d, _ in w.external]
    seen = lab.probe(pairs, w.protocol, w.port or 0)
    for (src, dst, want), pair in zip(w.external, pairs, strict=True):
        assert engine.allows(src, dst, w.protocol, w.port) == want, (src, dst)
        assert seen[pair] == want, f"{src} -> {dst}: lab {'connects' if seen[pair] else 'blocks'}"
