"""The Calico examples and random Calico policy sets with real packets: lab == engine.

Part 1 replays every probe of ``tests/calico/scenarios.py`` (plus the VPN
example's forwarded probes from its README) in a lab: pods, host endpoints
(their node namespace holds the endpoint's addresses) and outside addresses
as ``LabHost``s. Each probe must give what the engine says, which must be
what the scenario says. A control round with no policy enforced proves that
every probe can connect, so a denied probe was denied by policy, not by the
lab's plumbing. The scenarios' labs run in parallel (their timeouts overlap).

Part 2 is differential: random Calico scenarios (tiers, orders, Allow/Deny/
Pass/Log, Calico selectors, namespaceSelectors, nets/notNets, ports/notPorts,
TCP/UDP/ICMP, optionally a Kubernetes NetworkPolicy) on one lab, re-enforced
per example; every pod pair must match ``Engine.check``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from netwarden import load_cluster
from netwarden.engine import Engine
from netwarden.lab import Lab, ProbeUnsupported
from netwarden.lab.observe import flush_conntrack, observe, observe_many

from ..calico.scenarios import OUTSIDE, SCENARIOS, Probe, Scenario
from ..lab_fixtures import ENFORCER, lab_for
from .calico_lab_tools import (
    PODS,
    SERVICES,
    host_name,
    lab_hosts,
    manifests,
    policy_set,
    probe_ports,
    unpoliced,
)
from .labtools import cluster_from_text

pytestmark = pytest.mark.lab
TIMEOUT = 1.0

# The VPN README's forwarded table: a client's packet enters kube-02 through its
# `*` host endpoint and is forwarded to a pod there (pre-DNAT policy applies).
EXTRA: dict[str, tuple[Probe, ...]] = {
    "vpn-rules": (
        Probe(OUTSIDE, "default/redis", "TCP", 6379, False,
              "vpn-rules ingress[0], forwarded through host/kube-02/*"),
        Probe(OUTSIDE, "default/dns", "UDP", 53, True, "vpn-rules ingress[1]"),
        Probe(OUTSIDE, "default/redis", "TCP", 80, True,
              "no pre-DNAT default drop; redis is not isolated"),
        Probe("default/dns", "default/redis", "TCP", 6379, True,
              "same node: no host interface is crossed"),
    ),
}


def probes_of(s: Scenario) -> tuple[Probe, ...]:
    return s.probes + EXTRA.get(s.id, ())


def lab_key(address: str, lab: Lab) -> str:
    return address if address in lab.keys else host_name(address)


@dataclass
class Outcome:
    """What one scenario's lab saw: per probe, the policed and the control result."""

    seen: dict[Probe, bool] = field(default_factory=dict)
    control: dict[Probe, bool] = field(default_factory=dict)
    skipped: dict[Probe, str] = field(default_factory=dict)
    error: BaseException | None = None


def _probe_all(lab: Lab, probes: tuple[Probe, ...], out: dict[Probe, bool],
               skipped: dict[Probe, str]) -> None:
    """One ``probe`` call per (protocol, port): the pairs of a call share a timeout."""
    def group(p: Probe) -> tuple[str, int]:
        return p.protocol, p.port or 0

    for (protocol, port), items in itertools.groupby(sorted(probes, key=group), key=group):
        batch = list(items)
        pairs = [(lab_key(p.src, lab), lab_key(p.dst, lab)) for p in batch]
        try:
            seen = lab.probe(pairs, protocol, port, TIMEOUT)
        except ProbeUnsupported as e:
            skipped.update({p: str(e) for p in batch})
            continue
        out.update({p: seen[pair] for p, pair in zip(batch, pairs, strict=True)})


def _run(lab: Lab, s: Scenario) -> Outcome:
    res = Outcome()
    try:
        cluster = load_cluster(s.paths)
        _probe_all(lab, probes_of(s), res.seen, res.skipped)
        ENFORCER.enforce(lab, unpoliced(cluster))
        _probe_all(lab, probes_of(s), res.control, res.skipped)
    except Exception as e:  # reported by every test of the scenario
        res.error = e
    return res


@pytest.fixture(scope="module")
def outcomes() -> Iterator[dict[str, Outcome]]:
    with ExitStack() as stack:
        labs: dict[str, Lab] = {}
        for s in SCENARIOS:
            cluster = load_cluster(s.paths)
            probes = probes_of(s)
            labs[s.id] = stack.enter_context(lab_for(
                cluster, hosts=lab_hosts(cluster, probes), ports=probe_ports(probes)))
        with ThreadPoolExecutor(len(labs)) as pool:
            done = dict(zip(labs, pool.map(lambda s: _run(labs[s.id], s), SCENARIOS),
                            strict=True))
        yield done


CASES = [(s, p) for s in SCENARIOS for p in probes_of(s)]
IDS = [f"{s.id}:{p.src}->{p.dst}:{p.protocol}/{p.port}" for s, p in CASES]
_ENGINES: dict[str, Engine] = {}


def _engine(s: Scenario) -> Engine:
    if s.id not in _ENGINES:
        _ENGINES[s.id] = Engine(load_cluster(s.paths))
    return _ENGINES[s.id]


@pytest.mark.parametrize(("scenario", "probe"), CASES, ids=IDS)
def test_scenario_probe_with_real_packets(outcomes: dict[str, Outcome], scenario: Scenario,
                                          probe: Probe) -> None:
    res = outcomes[scenario.id]
    if res.error is not None:
        raise res.error
    if probe in res.skipped:
        pytest.skip(f"{probe.protocol} cannot be probed here: {res.skipped[probe]}")
    src, dst, protocol, port, expected = probe
    engine = _engine(scenario).allows(src, dst, protocol, port)
    assert engine is expected, f"engine differs from the scenario ({probe.why})"
    assert res.control[probe], "unreachable even with no policy: the lab cannot test this"
    got = res.seen[probe]
    assert got is expected, f"lab {'connects' if got else 'blocks'}; engine: {probe.why}"


def test_host_endpoint_lab_layout() -> None:
    """Host endpoint nodes exist without pods; pods without a node stay off them;
    outside hosts sit on the host endpoint's node, on the named interface."""
    s = next(x for x in SCENARIOS if x.id == "host-endpoint-icmp")
    cluster = load_cluster(s.paths)
    from netwarden.lab.topology import plan

    topo = plan(cluster, lab_hosts(cluster, s.probes), lab_id="beef")
    assert [(n.name, n.uplinks) for n in topo.nodes] == [("node-1", ()), ("kube-02", ("eth0",))]
    hep = topo.by_key["host/kube-02/eth0"]
    assert (hep.kind, hep.netns, [str(i) for i in hep.ips]) == ("hep", "nwbeef-n2",
                                                               ["192.168.2.2"])
    assert (22, 6) in hep.ports  # Felix failsafe ports are served
    assert {topo.by_key[k].node for k in ("default/a", "default/b")} == {"node-1"}
    assert topo.by_key[host_name("192.168.2.1")].node == "kube-02"


# -- differential ---------------------------------------------------------------
@pytest.fixture(scope="module")
def random_lab() -> Iterator[Lab]:
    base = {"pods": {k: {} for k in PODS}, "namespaces": {"n1": {}, "n2": {}}, "tier": None,
            "policies": [], "k8s": None}
    with lab_for(cluster_from_text(*manifests(base)), ports=[(81, 6), (81, 17)],
                 nodes=2) as built:
        yield built


def _expected(engine: Engine, keys: list[str], protocol: str,
              port: int | None) -> dict[str, dict[str, bool]]:
    return {s: {d: engine.check(s, d, protocol, port).allowed for d in keys} for s in keys}


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
          phases=(Phase.explicit, Phase.generate))  # shrinking re-probes for minutes
@given(drawn=policy_set())
def test_random_calico_policies_lab_agrees_with_engine(random_lab: Lab,
                                                       drawn: dict[str, Any]) -> None:
    docs = manifests(drawn)
    cluster = cluster_from_text(*docs)
    ENFORCER.enforce(random_lab, cluster)
    flush_conntrack(random_lab)  # each case starts with no tracked flows
    engine = Engine(cluster)
    keys = sorted(drawn["pods"])
    for obs in observe_many(random_lab, cluster, list(SERVICES), timeout=TIMEOUT,
                                endpoints=keys):
        want = _expected(engine, keys, obs.protocol, obs.port)
        diff = [f"{s} -> {d}: engine {want[s][d]}, lab {obs.observed[s][d]}"
                for s in keys for d in keys if want[s][d] != obs.observed[s][d]]
        assert not diff, f"{obs.protocol}/{obs.port}: " + "; ".join(diff) + \
            "\nmanifests:\n" + "\n---\n".join(docs)
        assert obs.expected == want, "Connectivity differs from Engine.check"


ICMP_TYPE = """
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: echo-only}
spec:
  selector: all()
  types: [Ingress]
  ingress: [{action: Allow, protocol: ICMP, icmp: %s}]
"""


@pytest.mark.parametrize("icmp", ["{type: 8}", "{type: 8, code: 0}"], ids=["type", "type-code"])
def test_icmp_type_is_enforced(random_lab: Lab, icmp: str) -> None:
    base = {"pods": {k: {} for k in PODS}, "namespaces": {"n1": {}, "n2": {}}, "tier": None,
            "policies": [], "k8s": None}
    cluster = cluster_from_text(*manifests(base), ICMP_TYPE % icmp)
    ENFORCER.enforce(random_lab, cluster)
    flush_conntrack(random_lab)  # each case starts with no tracked flows
    obs = observe(random_lab, cluster, "ICMP", None, timeout=TIMEOUT)
    assert not obs.mismatches
