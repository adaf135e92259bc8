"""Real packets against the engine: probe pod pairs in a lab and compare verdicts.

``observe`` probes every ordered pair of the cluster's pods for one
protocol/port and puts the engine's answer beside each result;
``observe_many`` runs several at once (their waits overlap).
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..analysis.matrix import port_matrix
from ..engine import Engine
from ..ir import Cluster, EndpointKind
from ..ir.services import ICMP, ICMPV6, TCP, UDP, protocol_number
from . import Lab

__all__ = ["Observation", "allows", "flush_conntrack", "observe", "observe_many",
           "unserved"]


def allows(engine: Engine, src: str, dst: str, protocol: str | int, port: int | None,
           family: int | None = None) -> bool:
    """``engine.allows`` for one address family (ipBlocks can differ between v4 and v6)."""
    proto = protocol_number(protocol)
    if family is not None and proto in (ICMP, ICMPV6):
        proto = ICMPV6 if family == 6 else ICMP  # ping on the family's own ICMP
    return engine.check(src, dst, proto, port, family).allowed


def flush_conntrack(lab: Lab) -> None:
    """Forget every tracked connection on every node, so the next probes are all new.

    Tests that switch one lab between unrelated policy sets need it: a probe
    whose 5-tuple happens to match an entry left by an earlier case would ride
    that entry instead of meeting the new policies.
    """
    for node in lab.nodes:
        subprocess.run(["ip", "netns", "exec", lab.node_netns(node), "conntrack", "-F"],
                       check=False, capture_output=True)


@dataclass
class Observation:
    """Real packets against the engine for one protocol/port."""

    protocol: str
    port: int | None
    endpoints: list[str]
    observed: dict[str, dict[str, bool]]
    expected: dict[str, dict[str, bool]]

    @property
    def mismatches(self) -> list[tuple[str, str, bool, bool]]:
        return [(s, d, self.expected[s][d], self.observed[s][d])
                for s in self.endpoints for d in self.endpoints
                if self.expected[s][d] != self.observed[s][d]]

    def to_json(self) -> dict[str, Any]:
        return {"protocol": self.protocol, "port": self.port, "endpoints": self.endpoints,
                "observed": self.observed, "expected": self.expected,
                "mismatches": [list(m) for m in self.mismatches]}


def observe(lab: Lab, cluster: Cluster, protocol: str = "TCP", port: int | None = 80, *,
            family: int | None = None, timeout: float = 1.5,
            endpoints: Sequence[str] | None = None) -> Observation:
    """Probe every ordered pair of the cluster's pods in the lab; compare with the engine."""
    engine = Engine(cluster)
    keys = list(endpoints) if endpoints is not None else [
        e.key for e in cluster.endpoints if e.kind is EndpointKind.POD and e.key in lab.keys
        and (family is None or any(ip.version == family for ip in e.ips))
    ]
    pairs = [(s, d) for s in keys for d in keys]
    proto = protocol.upper()
    seen = lab.probe(pairs, proto, port or 0, timeout, family=family)
    observed = {s: {d: seen[s, d] for d in keys} for s in keys}
    if family is None and proto not in ("ICMP", "ICMPV6"):
        full = port_matrix(engine.connectivity, proto, port)["allowed"]
        expected = {s: {d: bool(full[s][d]) for d in keys} for s in keys}
    else:
        expected = {s: {d: allows(engine, s, d, proto, port if proto not in ("ICMP", "ICMPV6")
                                  else None, family) for d in keys} for s in keys}
    for s in keys:  # the lab runs one pod per workload: its probe to itself is loopback
        expected[s][s] = True
    return Observation(proto, port, keys, observed, expected)


def unserved(lab: Lab, protocol: str, port: int | None) -> list[str]:
    """Endpoints with no listener for ``protocol``/``port`` (probes to them must fail)."""
    proto = protocol_number(protocol)
    if proto not in (TCP, UDP) or port is None:
        return []
    return [a.key for a in lab.topology.attachments if (port, proto) not in a.ports]


def observe_many(lab: Lab, cluster: Cluster, services: Sequence[tuple[str, int | None]],
                 **kwargs: Any) -> list[Observation]:
    """``observe`` for several protocol/port pairs at once (their waits overlap)."""
    results: list[Observation | BaseException | None] = [None] * len(services)

    def run(i: int) -> None:
        try:
            results[i] = observe(lab, cluster, services[i][0], services[i][1], **kwargs)
        except BaseException as e:  # re-raised in the caller's thread
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(services))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out: list[Observation] = []
    for r in results:
        if isinstance(r, BaseException):
            raise r
        assert r is not None
        out.append(r)
    return out
