"""The seed's Calico examples (``examples/calico-*``), replayed probe by probe.

The expected verdicts and their reasons live in ``scenarios.py``; this file
also pins down the decisions the READMEs explain.
"""

from __future__ import annotations

import pytest

from netwarden import load_engine
from netwarden.engine import Engine
from netwarden.load import load_texts

from .calico_helpers import both
from .scenarios import EXAMPLES, SCENARIOS, Probe, Scenario

CASES = [(s, p) for s in SCENARIOS for p in s.probes]
IDS = [f"{s.id}:{p.src}->{p.dst}:{p.protocol}/{p.port}" for s, p in CASES]
_ENGINES: dict[str, Engine] = {}


def engine(scenario: Scenario) -> Engine:
    if scenario.id not in _ENGINES:
        _ENGINES[scenario.id] = load_engine(scenario.paths)
    return _ENGINES[scenario.id]


@pytest.mark.parametrize(("scenario", "probe"), CASES, ids=IDS)
def test_probe(scenario: Scenario, probe: Probe) -> None:
    src, dst, protocol, port, expected = probe
    assert both(engine(scenario), src, dst, protocol, port) is expected, probe.why


def test_every_example_directory_is_a_scenario_with_a_readme() -> None:
    dirs = {p.name for p in EXAMPLES.glob("calico-*") if p.is_dir()}
    assert dirs == {s.example for s in SCENARIOS}
    for name in dirs:
        readme = (EXAMPLES / name / "README.md").read_text()
        assert "002_" in readme and "netwarden" in readme
        for scenario in (s for s in SCENARIOS if s.example == name):
            for f in scenario.files:
                assert f in readme, f"{name}/README.md does not mention {f}"


def test_global_deny_all_needs_the_name_label_on_kube_system() -> None:
    s = SCENARIOS[0]
    texts = [(str(p), p.read_text()) for p in s.paths]
    texts[0] = (texts[0][0], texts[0][1].replace("labels: {name: kube-system}", ""))
    from netwarden.compile import compile_snapshot

    unlabelled = Engine(compile_snapshot(load_texts(texts)))
    # Without the label, kube-system pods get no exception: coredns → web-1 needs egress.
    assert not unlabelled.allows("kube-system/coredns", "org-1/web-1", "TCP", 80)
    # DNS breaks too: the egress DNS rule still matches, but coredns's own
    # ingress is only open through the kube-system exception.
    assert not unlabelled.allows("org-2/client", "kube-system/coredns", "UDP", 53)
    assert engine(s).allows("org-2/client", "kube-system/coredns", "UDP", 53)


def test_global_deny_all_trace_names_the_policies() -> None:
    verdict = engine(SCENARIOS[0]).check("org-1/web-1", "kube-system/coredns", "UDP", 53)
    assert verdict.egress is not None and verdict.ingress is not None
    assert str(verdict.egress.decided_by.origin) == "global:global-deny-all egress[1]"  # type: ignore[union-attr]
    assert verdict.egress.policies == ("org-1/team-netpol", "global:global-deny-all")
    assert str(verdict.ingress.decided_by.origin) == "global:global-deny-all ingress[0]"  # type: ignore[union-attr]


def test_host_endpoint_trace_shows_felix_stages() -> None:
    scenario = next(s for s in SCENARIOS if s.id == "host-endpoint-icmp")
    verdict = engine(scenario).check("192.168.2.1", "host/kube-02/eth0", "TCP", 22)
    side = verdict.ingress
    assert side is not None and side.decided_by is not None
    assert str(side.decided_by.origin) == "global:felix:failsafe ingress[0]"
    verdict = engine(scenario).check("192.168.2.1", "host/kube-02/eth0", "ICMP")
    tiers = [s.tier for s in verdict.ingress.steps if s.kind.value == "tier"]  # type: ignore[union-attr]
    assert tiers == ["felix:failsafe", "default"]


def test_vpn_pre_dnat_decides_before_normal_policy() -> None:
    scenario = next(s for s in SCENARIOS if s.id == "vpn-rules")
    verdict = engine(scenario).check("192.0.2.10", "host/kube-02/*", "TCP", 6379)
    assert str(verdict.ingress.decided_by.origin) == "global:vpn-rules ingress[0]"  # type: ignore[union-attr]
    assert verdict.ingress.steps[0].tier == "felix:failsafe"  # type: ignore[union-attr]
    assert verdict.ingress.steps[1].tier == "felix:pre-dnat.default"  # type: ignore[union-attr]


def test_vpn_pre_dnat_applies_to_traffic_forwarded_to_a_local_pod() -> None:
    scenario = next(s for s in SCENARIOS if s.id == "vpn-rules")
    # A VPN client's packet arrives on kube-02 (HEP interfaceName "*") and is
    # forwarded to redis: Calico applies vpn-rules' pre-DNAT Deny first.
    assert not engine(scenario).allows("192.0.2.10", "default/redis", "TCP", 6379)
