"""``Connectivity`` finds the classes an address-range peer reaches by their sorted
addresses; the answer is the one ``Rule.matches_remote`` gives class by class."""

from __future__ import annotations

from netwarden.engine import Connectivity, Engine
from netwarden.ir import Direction

from .builders import egress_rule, ip_peer, load_cluster, make_pod, make_policy, rule, to_yaml

PODS = [
    make_pod("a", "x", "10.0.0.1", labels={"app": "a"}),
    make_pod("b", "x", "10.0.0.200", labels={"app": "b"}),
    make_pod("c", "y", "10.0.1.5", labels={"app": "c"}),
    make_pod("d", "y", "10.0.2.0", labels={"app": "d"}),
    make_pod("e", "y", "fd00::5", labels={"app": "e"}),
    make_pod("f", "x", "fd00:1::1", labels={"app": "f"}),
]
# Overlapping blocks, a block's first and last address, an exception, and
# an IPv6 block next to IPv4 pods.
PEERS = [ip_peer("10.0.0.0/24", "10.0.0.128/25"), ip_peer("10.0.0.0/23"),
         ip_peer("10.0.2.0/32"), ip_peer("fd00::/64"), ip_peer("10.0.1.0/24", "10.0.1.5/32")]
POLICIES = [
    make_policy("in", "x", ingress=[rule(PEERS[:3]), rule(PEERS[3:])]),
    make_policy("out", "y", egress=[egress_rule(PEERS[1:4]), egress_rule([PEERS[4]])]),
]


def test_address_range_peers_reach_the_classes_a_scan_finds() -> None:
    cluster = load_cluster(to_yaml(PODS), to_yaml(POLICIES))
    conn = Connectivity(cluster)
    for policy in cluster.policies:
        for direction in Direction:
            for r in policy.rules(direction):
                scanned = {c.index for c in conn.classes
                           if r.matches_remote(direction, c.peer, cluster.ns_labels)}
                assert conn.peer_classes(r, direction) == scanned, r.origin


def test_address_range_peers_give_the_per_packet_verdicts() -> None:
    cluster = load_cluster(to_yaml(PODS), to_yaml(POLICIES))
    conn, engine = Connectivity(cluster), Engine(cluster)
    for src in conn.pods:
        for dst in conn.pods:
            if src.key == dst.key or src.ips[0].version != dst.ips[0].version:
                continue
            allowed = engine.check(src.key, dst.key, "TCP", 80).allowed
            assert conn.between(src, dst).contains(6, 80) is allowed, (src.key, dst.key)
