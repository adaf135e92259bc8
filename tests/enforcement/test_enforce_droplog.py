"""Drop logging and allow-union counters with real packets: NFLOG prefixes, ``lab stats``."""

from __future__ import annotations

import select
import time

import pytest

from netwarden.agent.droplog import DropLog, LoggedPacket
from netwarden.dataplane import Renderer, RenderOptions
from netwarden.lab import Lab
from netwarden.lab._ns import inside
from netwarden.lab.counters import rule_counters
from netwarden.lab.lifecycle import down, serving

from ..lab_fixtures import ENFORCER
from .labtools import cluster_from_text
from .test_enforce_live import from_app, pod, policy

pytestmark = pytest.mark.lab

GROUP = 7
A, B, C = "shop/a", "shop/b", "shop/c"


def _read(log: DropLog, want: str, timeout: float = 3.0) -> list[LoggedPacket]:
    seen: list[LoggedPacket] = []
    end = time.monotonic() + timeout
    while time.monotonic() < end and not any(p.prefix == want for p in seen):
        ready, _, _ = select.select([log], [], [], max(0.0, end - time.monotonic()))
        if ready:
            seen += log.read()
    return seen


def test_a_dropped_probe_is_logged_with_its_reason_and_allows_count_per_rule() -> None:
    cluster = cluster_from_text(
        pod("a", "10.72.0.1"), pod("b", "10.72.0.2"), pod("c", "10.72.0.3"),
        policy("b-from-a", "b", ingress=[{"from": from_app("a"),
                                          "ports": [{"port": 80, "protocol": "TCP"}]}]))
    lab = Lab.up(serving(cluster))
    try:
        opts = RenderOptions(pod_interface_prefix=lab.pod_veth_prefix, drop_log_group=GROUP)
        rulesets = {n: Renderer(opts).render(cluster, n, lab.interfaces(n)) for n in lab.nodes}
        ENFORCER.enforce(lab, cluster, rulesets)
        with inside(lab.node_netns()):
            log = DropLog(GROUP)
        try:
            assert lab.probe([(C, B)], "TCP", 80) == {(C, B): False}
            seen = _read(log, f"nw {B} ingress end of tier default")
        finally:
            log.close()
        dropped = [p for p in seen if p.prefix == f"nw {B} ingress end of tier default"]
        assert dropped, seen
        assert (dropped[0].src, dropped[0].dst, dropped[0].dport) == ("10.72.0.3", "10.72.0.2",
                                                                      80)

        assert lab.probe([(A, B)], "TCP", 80) == {(A, B): True}
        counters = {(c.origin, c.verdict): c.packets for c in rule_counters(lab)}
        allowed = [k for k in counters if k[0].startswith("shop/b-from-a ingress[0]")]
        assert allowed and all(k[1] == "allow" for k in allowed)
        assert sum(counters[k] for k in allowed) >= 1  # the SYN, through a set element
        assert counters[(f"{B} ingress tier default default deny", "drop")] >= 1
    finally:
        down(lab, ENFORCER)
