"""The IR's set-valued forms: what a rule side accepts, and a rule's source ports.

The dataplane writes these sets into nft; the engine and analysis test
single peers. Both read the same definitions, and the set form holds exactly
the addresses the point form accepts.
"""

from __future__ import annotations

import ipaddress

import pytest

from netwarden.ir import (
    Action,
    Cluster,
    Direction,
    Endpoint,
    EndpointKind,
    EntityMatch,
    Labels,
    NamedPort,
    Origin,
    Peer,
    Policy,
    PolicyKind,
    PortSpec,
    Rule,
    Scope,
)
from netwarden.ir.addresses import AddressSet
from netwarden.ir.selector import All, Eq
from netwarden.ir.services import ICMP, TCP, UDP

INGRESS, EGRESS = Direction.INGRESS, Direction.EGRESS
ip = ipaddress.ip_address
net = ipaddress.ip_network


def pod(name: str, ns: str, address: str, sa: str | None = None, **labels: str) -> Endpoint:
    return Endpoint(f"{ns}/{name}", EndpointKind.POD, name, ns, Labels(labels),
                    ips=(ip(address),), service_account=sa,
                    ports=(NamedPort(8080, TCP, "http"),))


WEB = pod("web", "prod", "10.0.1.1", "web-sa", app="web")
DB = pod("db", "prod", "10.0.1.2", app="db", tier="data")
CLIENT = pod("client", "dev", "10.0.2.1", "tester", app="client")
HOST_NET = Endpoint("prod/agent", EndpointKind.POD, "agent", "prod", Labels(app="web"),
                    ips=(ip("192.168.0.5"),), host_network=True)
VPN = Endpoint("vpn", EndpointKind.NETWORK_SET, "vpn", None, Labels(role="vpn"),
               nets=(net("172.16.0.0/16"),))
QUARANTINE = Endpoint("prod/quarantine", EndpointKind.NETWORK_SET, "quarantine", "prod",
                      Labels(tier="data"), nets=(net("10.0.1.2/32"),))
CLUSTER = Cluster(endpoints=(WEB, DB, CLIENT, HOST_NET, VPN, QUARANTINE))
PROBES = ("10.0.1.1", "10.0.1.2", "10.0.2.1", "192.168.0.5", "172.16.3.4", "8.8.8.8")

MATCHES = {
    "everything": EntityMatch(),
    "selector in namespace": EntityMatch(selector=Eq("app", "web"), scope=Scope("prod")),
    "selector anywhere": EntityMatch(selector=All()),
    "network set by label": EntityMatch(selector=Eq("role", "vpn")),
    "service account": EntityMatch(selector=All(), service_accounts=frozenset({"tester"})),
    "nets except": EntityMatch(nets=(net("10.0.0.0/16"),), not_nets=(net("10.0.2.0/24"),)),
    "not selector": EntityMatch(not_selector=Eq("tier", "data")),
    "pods only": EntityMatch(selector=All(), kinds=frozenset({EndpointKind.POD})),
}


@pytest.mark.parametrize("match", MATCHES.values(), ids=MATCHES.keys())
@pytest.mark.parametrize("address", PROBES)
def test_peer_addresses_hold_exactly_the_addresses_matches_peer_accepts(
        match: EntityMatch, address: str) -> None:
    a = ip(address)
    peer = Peer(a, CLUSTER.endpoint_at(a), CLUSTER.network_sets_at(a))
    assert (a in CLUSTER.peer_addresses(match)) == match.matches_peer(peer, CLUSTER.ns_labels)


def test_peer_addresses_of_a_network_set_are_its_nets() -> None:
    got = CLUSTER.peer_addresses(MATCHES["network set by label"])
    assert got == AddressSet.of(["172.16.0.0/16"])


def test_named_nets_are_every_rule_range_and_network_set_once_sorted() -> None:
    rule = Rule(Action.ALLOW, Origin("p", INGRESS, 0),
                source=EntityMatch(nets=(net("10.0.0.0/8"), net("172.16.0.0/16")),
                                   not_nets=(net("10.1.0.0/16"),)))
    policy = Policy("p", PolicyKind.CALICO_GLOBAL, None, All(), frozenset({INGRESS}),
                    ingress=(rule,))
    cluster = Cluster(endpoints=(VPN,), policies=(policy,))
    assert [str(n) for n in cluster.named_nets] == ["10.0.0.0/8", "10.1.0.0/16",
                                                    "172.16.0.0/16"]


def sport_rule(protocol: int | None, ports: PortSpec | None = None,
               not_ports: PortSpec | None = None) -> Rule:
    return Rule(Action.ALLOW, Origin("p", EGRESS, 0), protocol=protocol,
                source=EntityMatch(ports=ports, not_ports=not_ports))


@pytest.mark.parametrize(("rule", "expected"), [
    (sport_rule(TCP), None),
    (sport_rule(TCP, PortSpec(((1000, 2000),))), ((1000, 2000),)),
    (sport_rule(UDP, not_ports=PortSpec(((1, 1023),))), ((1024, 65535),)),
    (sport_rule(TCP, PortSpec(((1, 100),)), PortSpec(((50, 60),))), ((1, 49), (61, 100))),
    (sport_rule(TCP, PortSpec(names=("http",))), ((8080, 8080),)),
    (sport_rule(TCP, PortSpec(names=("none",))), ()),
    (sport_rule(None, PortSpec(((1, 100),))), ()),
    (sport_rule(ICMP, PortSpec(((1, 100),))), ()),
], ids=["no-clause", "ports", "not-ports", "ports-minus-not-ports", "named-port",
        "unknown-name", "no-protocol", "icmp"])
def test_source_ports(rule: Rule, expected: tuple[tuple[int, int], ...] | None) -> None:
    assert rule.source_ports(WEB) == expected


def test_matches_source_port_reads_the_source_port_set() -> None:
    rule = sport_rule(TCP, PortSpec(((30000, 50000),)))
    assert rule.matches_source_port(None) and not rule.matches_source_port(None, 80)
    assert sport_rule(TCP).matches_source_port(None, 1)


def test_sides_put_the_policed_endpoint_first() -> None:
    src, dst = EntityMatch(nets=(net("10.0.0.0/8"),)), EntityMatch(selector=All())
    rule = Rule(Action.ALLOW, Origin("p", INGRESS, 0), source=src, destination=dst)
    assert rule.sides(INGRESS) == (dst, src)
    assert rule.sides(EGRESS) == (src, dst)


def test_source_ports_are_checked_on_the_client_side_only() -> None:
    # Ingress: the client is remote; egress: the client is local.
    rule = Rule(Action.ALLOW, Origin("p", INGRESS, 0), protocol=TCP,
                source=EntityMatch(ports=PortSpec(((1, 1023),))))
    web = Peer(WEB.ips[0], WEB)
    ns = CLUSTER.ns_labels
    assert rule.matches_local(INGRESS, web, ns)
    assert not rule.matches_remote(INGRESS, web, ns)
    assert not rule.matches_local(EGRESS, web, ns)
    assert rule.matches_remote(EGRESS, web, ns)


def test_family_limits_both_sides() -> None:
    rule = Rule(Action.ALLOW, Origin("p", INGRESS, 0), ip_version=6)
    web = Peer(WEB.ips[0], WEB)
    assert not rule.matches_local(INGRESS, web, CLUSTER.ns_labels)
    assert not rule.matches_remote(INGRESS, web, CLUSTER.ns_labels)


@pytest.mark.parametrize("match", MATCHES.values(), ids=MATCHES.keys())
def test_an_endpoint_a_match_does_not_read_leaves_its_peer_set_alone(match: EntityMatch) -> None:
    whole = CLUSTER.peer_addresses(match)
    for endpoint in CLUSTER.endpoints:
        if match.reads(endpoint, CLUSTER.ns_labels):
            continue
        rest = Cluster(endpoints=tuple(e for e in CLUSTER.endpoints if e is not endpoint))
        assert rest.peer_addresses(match) == whole, endpoint.key


def test_reads_what_the_selector_selects_and_the_not_selector_excludes() -> None:
    ns = CLUSTER.ns_labels
    assert MATCHES["selector in namespace"].reads(WEB, ns)
    assert not MATCHES["selector in namespace"].reads(CLIENT, ns)
    assert MATCHES["not selector"].reads(QUARANTINE, ns)
    assert not MATCHES["nets except"].reads(WEB, ns)
