"""One test per NetworkPolicy semantic rule, each on a tiny cluster loaded from YAML."""

from __future__ import annotations

from typing import Any

import pytest

import netwarden
from netwarden.ir.services import protocol_number

from .builders import (
    egress_rule,
    expr_sel,
    ip_peer,
    labels_sel,
    load_engine,
    make_namespace,
    make_pod,
    make_policy,
    ns_peer,
    pods_peer,
    port,
    rule,
    to_yaml,
)

PORTS = [(80, "TCP", "http"), (53, "UDP", "dns"), (7000, "SCTP", "sctp")]


def cluster(*extra: dict[str, Any]) -> netwarden.Engine:
    """Namespaces x and y; pods x/a (10.0.0.1), x/b (.2), y/a (.3), y/b (.4); plus ``extra``."""
    docs = [make_namespace("x", {"ns": "x"}), make_namespace("y", {"ns": "y"})]
    for i, key in enumerate(("x/a", "x/b", "y/a", "y/b")):
        ns, name = key.split("/")
        docs.append(make_pod(name, ns, f"10.0.0.{i + 1}", labels={"pod": name}, ports=PORTS))
    return load_engine(to_yaml(docs, list(extra)))


def allowed(engine: netwarden.Engine, src: str, dst: str, proto: str = "TCP",
            number: int = 80) -> bool:
    verdict = engine.check(src, dst, proto, number)
    if src in {e.key for e in engine.cluster.pods} and dst in {
            e.key for e in engine.cluster.pods}:
        a, b = engine.cluster.endpoint(src), engine.cluster.endpoint(dst)
        assert a is not None and b is not None
        services = engine.connectivity.between(a, b)
        assert services.contains(protocol_number(proto), number) == (
            verdict.allowed), "Connectivity.between disagrees with Engine.check"
    return verdict.allowed


A = labels_sel(pod="a")


# -- isolation ------------------------------------------------------------------
def test_no_policy_allows_everything() -> None:
    engine = cluster()
    assert allowed(engine, "x/a", "y/b") and allowed(engine, "y/b", "x/a", "UDP", 53)


def test_selected_for_ingress_only_with_ingress_type() -> None:
    engine = cluster(make_policy("np", "x", A, policy_types=["Egress"]))
    assert allowed(engine, "x/b", "x/a")  # ingress of x/a not isolated
    assert not allowed(engine, "x/a", "x/b")  # egress of x/a isolated, no rules
    verdict = engine.check("x/b", "x/a", "TCP", 80)
    assert verdict.ingress is not None and not verdict.ingress.isolated


def test_isolation_needs_a_policy_in_the_pods_own_namespace() -> None:
    engine = cluster(make_policy("np", "y", A, policy_types=["Ingress"]))
    assert allowed(engine, "x/b", "x/a")
    assert not allowed(engine, "x/b", "y/a")


def test_unselected_pod_is_unaffected() -> None:
    engine = cluster(make_policy("np", "x", A, policy_types=["Ingress", "Egress"]))
    assert allowed(engine, "y/a", "x/b") and allowed(engine, "x/b", "y/a")


def test_allowed_iff_some_rule_of_some_policy_matches() -> None:
    engine = cluster(
        make_policy("p1", "x", A, ingress=[rule([pods_peer(labels_sel(pod="b"))])]),
        make_policy("p2", "x", {}, ingress=[rule([ns_peer(ns="y")], [port(80)])]),
    )
    assert allowed(engine, "x/b", "x/a")  # p1
    assert allowed(engine, "y/b", "x/a")  # p2 also selects x/a
    assert not allowed(engine, "y/b", "x/a", "UDP", 53)  # no rule matches


# -- both sides -------------------------------------------------------------------
def test_needs_egress_of_source_and_ingress_of_destination() -> None:
    deny_in = make_policy("deny-in", "y", A, policy_types=["Ingress"])
    deny_out = make_policy("deny-out", "x", A, policy_types=["Egress"])
    in_only, out_only = cluster(deny_in), cluster(deny_out)
    assert not allowed(in_only, "x/a", "y/a") and not allowed(out_only, "x/a", "y/a")
    verdict = in_only.check("x/a", "y/a", "TCP", 80)
    assert verdict.egress is not None and verdict.egress.allowed
    assert verdict.ingress is not None and not verdict.ingress.allowed


def test_replies_are_not_new_connections() -> None:
    # x/a may open connections to y/a but not receive any: the reverse is its own check.
    engine = cluster(make_policy("np", "x", A, policy_types=["Ingress"]))
    assert allowed(engine, "x/a", "y/a")
    assert not allowed(engine, "y/a", "x/a")


# -- rule shapes ------------------------------------------------------------------
@pytest.mark.parametrize("ingress", [[{}], [{"from": []}], [{"ports": []}],
                                     [{"from": [], "ports": []}]],
                         ids=["empty-rule", "empty-from", "empty-ports", "both-empty"])
def test_empty_rule_parts_allow_all(ingress: list[dict[str, Any]]) -> None:
    engine = cluster(make_policy("np", "x", A, ingress=ingress))
    for proto, number in (("TCP", 80), ("UDP", 53), ("SCTP", 7000), ("TCP", 1)):
        assert allowed(engine, "y/b", "x/a", proto, number)


@pytest.mark.parametrize("ingress", [None, []], ids=["absent", "empty-list"])
def test_no_ingress_rules_allow_nothing(ingress: list[Any] | None) -> None:
    kwargs: dict[str, Any] = {} if ingress is None else {"ingress": ingress}
    engine = cluster(make_policy("np", "x", A, policy_types=["Ingress"], **kwargs))
    assert not allowed(engine, "x/b", "x/a") and not allowed(engine, "y/a", "x/a", "UDP", 53)


def test_rule_without_ports_allows_every_protocol() -> None:
    engine = cluster(make_policy("np", "x", A, ingress=[rule([ns_peer(ns="y")])]))
    for proto, number in (("TCP", 65535), ("UDP", 1), ("SCTP", 7000)):
        assert allowed(engine, "y/a", "x/a", proto, number)


# -- peers ----------------------------------------------------------------------------
def test_pod_selector_alone_means_the_policys_namespace() -> None:
    engine = cluster(make_policy("np", "x", A, ingress=[rule([pods_peer(labels_sel(pod="b"))])]))
    assert allowed(engine, "x/b", "x/a") and not allowed(engine, "y/b", "x/a")


def test_namespace_selector_alone_means_every_pod_there() -> None:
    engine = cluster(make_policy("np", "x", A, ingress=[rule([ns_peer(ns="y")])]))
    assert allowed(engine, "y/a", "x/a") and allowed(engine, "y/b", "x/a")
    assert not allowed(engine, "x/b", "x/a")


def test_both_selectors_in_one_peer_are_anded() -> None:
    peer = pods_peer(labels_sel(pod="b"), labels_sel(ns="y"))
    engine = cluster(make_policy("np", "x", A, ingress=[rule([peer])]))
    assert allowed(engine, "y/b", "x/a")
    assert not allowed(engine, "y/a", "x/a") and not allowed(engine, "x/b", "x/a")


def test_separate_peers_are_ored() -> None:
    peers = [pods_peer(labels_sel(pod="b")), ns_peer(ns="y")]
    engine = cluster(make_policy("np", "x", A, ingress=[rule(peers)]))
    assert allowed(engine, "y/b", "x/a") and allowed(engine, "y/a", "x/a")
    assert allowed(engine, "x/b", "x/a")


def test_ip_block_with_except_matches_pod_addresses() -> None:
    block = ip_peer("10.0.0.0/30", "10.0.0.2/32")  # .0-.3 without .2
    engine = cluster(make_policy("np", "y", {}, ingress=[rule([block])]))
    assert allowed(engine, "x/a", "y/b")  # 10.0.0.1
    assert not allowed(engine, "x/b", "y/b")  # 10.0.0.2, excepted
    assert allowed(engine, "y/a", "y/b")  # 10.0.0.3
    assert not allowed(engine, "y/b", "y/a")  # 10.0.0.4, outside the cidr


# -- ports -------------------------------------------------------------------------
def test_named_port_needs_name_and_protocol_of_the_destination() -> None:
    engine = cluster(make_policy("np", "x", A, ingress=[rule(ports=[
        port("http"), port("dns", "TCP"), port("dns", "UDP")])]))
    assert allowed(engine, "y/a", "x/a", "TCP", 80)
    assert allowed(engine, "y/a", "x/a", "UDP", 53)
    assert not allowed(engine, "y/a", "x/a", "TCP", 53)  # dns is UDP on x/a
    assert not allowed(engine, "y/a", "x/a", "UDP", 80)


def test_named_port_resolves_on_each_destination() -> None:
    extra = make_pod("c", "y", "10.0.0.9", labels={"pod": "c"}, ports=[(8080, "TCP", "http")])
    engine = cluster(extra, make_policy("np", "x", A, policy_types=["Egress"],
                                        egress=[egress_rule(ports=[port("http")])]))
    assert allowed(engine, "x/a", "y/c", "TCP", 8080)
    assert not allowed(engine, "x/a", "y/c", "TCP", 80)
    assert allowed(engine, "x/a", "y/b", "TCP", 80)


def test_end_port_range_is_inclusive() -> None:
    engine = cluster(make_policy("np", "x", A, ingress=[rule(ports=[port(1000, end=2000)])]))
    assert [allowed(engine, "y/a", "x/a", "TCP", n) for n in (999, 1000, 2000, 2001)] == [
        False, True, True, False]


# -- special endpoints --------------------------------------------------------------
def test_pod_may_always_talk_to_itself() -> None:
    engine = cluster(make_policy("np", "x", {}, policy_types=["Ingress", "Egress"]))
    assert allowed(engine, "x/a", "x/a") and allowed(engine, "x/a", "x/a", "UDP", 9)
    assert not allowed(engine, "x/a", "x/b")


def test_host_network_pods_are_not_subject_to_policy() -> None:
    host = make_pod("h", "x", "192.168.0.10", labels={"pod": "h"}, host_network=True)
    engine = cluster(host, make_policy("np", "x", {}, policy_types=["Ingress", "Egress"],
                                       ingress=[rule([pods_peer({})])]))
    assert allowed(engine, "x/h", "y/a") and allowed(engine, "y/a", "x/h")
    verdict = engine.check("y/a", "x/h", "TCP", 80)
    assert verdict.ingress is None
    assert not allowed(engine, "y/a", "x/a")


def test_addresses_outside_the_cluster_see_only_the_pods_policies() -> None:
    open_engine = cluster()
    assert open_engine.check("x/a", "192.0.2.1", "TCP", 443).allowed
    engine = cluster(
        make_policy("out", "x", A, policy_types=["Egress"],
                    egress=[egress_rule([ip_peer("192.0.2.0/24")], [port(443)])]),
        make_policy("in", "y", A, ingress=[rule([ip_peer("198.51.100.0/24")])]),
    )
    assert engine.check("x/a", "192.0.2.1", "TCP", 443).allowed
    assert not engine.check("x/a", "192.0.2.1", "TCP", 80).allowed
    assert not engine.check("x/a", "203.0.113.1", "TCP", 443).allowed
    assert engine.check("198.51.100.7", "y/a", "UDP", 53).allowed
    assert not engine.check("203.0.113.1", "y/a", "TCP", 80).allowed
    verdict = engine.check("198.51.100.7", "y/a", "UDP", 53)
    assert verdict.egress is None and verdict.ingress is not None


# -- defaults -------------------------------------------------------------------------
def test_default_policy_types_are_ingress_plus_egress_when_egress_rules_exist() -> None:
    with_egress = cluster(make_policy("np", "x", A, egress=[egress_rule([ns_peer(ns="y")])]))
    assert not allowed(with_egress, "x/b", "x/a")  # Ingress isolated, no rules
    assert allowed(with_egress, "x/a", "y/a") and not allowed(with_egress, "x/a", "x/b")
    ingress_only = cluster(make_policy("np", "x", A, egress=[]))
    assert not allowed(ingress_only, "x/b", "x/a") and allowed(ingress_only, "x/a", "x/b")


def test_namespace_name_label_is_implicit_for_undeclared_namespaces() -> None:
    undeclared = make_pod("w", "w", "10.0.1.1", labels={"pod": "w"})
    peer = ns_peer(**{"kubernetes.io/metadata.name": "w"})
    engine = cluster(undeclared, make_policy("np", "x", A, ingress=[rule([peer])]))
    assert allowed(engine, "w/w", "x/a") and not allowed(engine, "y/a", "x/a")


def test_namespace_name_label_cannot_be_overridden() -> None:
    liar = make_namespace("y2", {"kubernetes.io/metadata.name": "x"})
    pod = make_pod("p", "y2", "10.0.1.2", labels={"pod": "p"})
    peer = ns_peer(**{"kubernetes.io/metadata.name": "x"})
    engine = cluster(liar, pod, make_policy("np", "x", A, ingress=[rule([peer])]))
    assert allowed(engine, "x/b", "x/a") and not allowed(engine, "y2/p", "x/a")


def test_match_expressions_in_the_policy_pod_selector() -> None:
    engine = cluster(make_policy("np", "x", expr_sel(("pod", "NotIn", ["a"])),
                                 policy_types=["Ingress"]))
    assert allowed(engine, "y/a", "x/a") and not allowed(engine, "y/a", "x/b")


def test_check_can_ask_about_one_address_family_of_dual_stack_pods() -> None:
    from netwarden import Engine, compile_snapshot
    from netwarden.load import load_texts

    text = """\
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x}
status: {podIPs: [{ip: 10.1.0.1}, {ip: "fd00::1"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x}
status: {podIPs: [{ip: 10.1.0.2}, {ip: "fd00::2"}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: v6-only, namespace: x}
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: "fd00::/64"}}]}]
"""
    engine = Engine(compile_snapshot(load_texts([("c.yaml", text)])))
    assert engine.check("x/a", "x/b", "TCP", 80, family=6).allowed
    assert not engine.check("x/a", "x/b", "TCP", 80, family=4).allowed
    assert not engine.check("x/a", "x/b", "TCP", 80).allowed  # primary family: IPv4
