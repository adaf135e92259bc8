"""Conformance scenarios, part 2: ports, protocols, ipBlocks, egress and several policies.

Each grid was derived by hand from the NetworkPolicy semantics (see
``conformance_base`` for the cluster and the grid format).
"""

from __future__ import annotations

from .builders import (
    egress_rule,
    ip_peer,
    labels_sel,
    make_policy,
    ns_peer,
    pods_peer,
    port,
    rule,
    to_yaml,
)
from .conformance_base import Case, cluster_yaml
from .conformance_cases_1 import OPEN, X_INGRESS_CLOSED, XA_INGRESS_CLOSED

__all__ = ["CASES_2"]

XA = labels_sel(pod="a")

# x/a isolated for egress with nothing allowed: only x/a reaches itself.
XA_EGRESS_CLOSED = """
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  .   X   X   X   X   X   X   X   X
x/b  .   .   .   .   .   .   .   .   .
x/c  .   .   .   .   .   .   .   .   .
y/a  .   .   .   .   .   .   .   .   .
y/b  .   .   .   .   .   .   .   .   .
y/c  .   .   .   .   .   .   .   .   .
z/a  .   .   .   .   .   .   .   .   .
z/b  .   .   .   .   .   .   .   .   .
z/c  .   .   .   .   .   .   .   .   .
"""

# x/a may only reach namespace y.
XA_EGRESS_TO_Y = """
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  .   X   X   .   .   .   X   X   X
x/b  .   .   .   .   .   .   .   .   .
x/c  .   .   .   .   .   .   .   .   .
y/a  .   .   .   .   .   .   .   .   .
y/b  .   .   .   .   .   .   .   .   .
y/c  .   .   .   .   .   .   .   .   .
z/a  .   .   .   .   .   .   .   .   .
z/b  .   .   .   .   .   .   .   .   .
z/c  .   .   .   .   .   .   .   .   .
"""

# x/a may only be reached from namespace y.
XA_FROM_Y = """
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  .   .   .   .   .   .   .   .   .
x/b  X   .   .   .   .   .   .   .   .
x/c  X   .   .   .   .   .   .   .   .
y/a  .   .   .   .   .   .   .   .   .
y/b  .   .   .   .   .   .   .   .   .
y/c  .   .   .   .   .   .   .   .   .
z/a  X   .   .   .   .   .   .   .   .
z/b  X   .   .   .   .   .   .   .   .
z/c  X   .   .   .   .   .   .   .   .
"""

# Pods c of every namespace call port 80/TCP "web" instead of "serve-80-tcp".
RENAMED = cluster_yaml(rename={
    f"{ns}/c": {"serve-80-tcp": "web"} for ns in ("x", "y", "z")
})


def _policies(*docs: dict[str, object]) -> str:
    return to_yaml(list(docs))


def _x_ports(*ports: dict[str, object]) -> str:
    """Every pod of x isolated for ingress, open from anywhere on ``ports``."""
    return _policies(make_policy("ports", "x", {}, ingress=[rule(ports=list(ports))]))


def _to_xa(*peers: dict[str, object]) -> str:
    return _policies(make_policy("to-xa", "x", XA, ingress=[rule(list(peers))]))


def _from_xa(*rules: dict[str, object]) -> str:
    return _policies(make_policy("from-xa", "x", XA, egress=list(rules),
                                 policy_types=["Egress"]))


def _cases() -> list[Case]:
    out: list[Case] = []

    def add(case_id: str, policies: str, grid: str, *checks: tuple[str, int], **kw: str) -> None:
        for protocol, number in checks:
            out.append(Case(f"{case_id}-{protocol.lower()}{number}", policies, protocol, number,
                            grid, **kw))

    # -- numbered ports, ranges and protocols ---------------------------------
    add("tcp-port", _x_ports(port(80)), OPEN, ("TCP", 80))
    add("tcp-port", _x_ports(port(80)), X_INGRESS_CLOSED, ("TCP", 81), ("UDP", 80))
    add("udp-port", _x_ports(port(80, "UDP")), OPEN, ("UDP", 80))
    add("udp-port", _x_ports(port(80, "UDP")), X_INGRESS_CLOSED, ("TCP", 80), ("UDP", 81))
    add("sctp-port", _x_ports(port(80, "SCTP")), X_INGRESS_CLOSED, ("TCP", 80), ("UDP", 80))
    add("protocol-without-port", _x_ports(port(None, "UDP")), OPEN, ("UDP", 80), ("UDP", 81))
    add("protocol-without-port", _x_ports(port(None, "UDP")), X_INGRESS_CLOSED, ("TCP", 81))
    add("end-port-upper-edge", _x_ports(port(70, end=80)), OPEN, ("TCP", 80))
    add("end-port-upper-edge", _x_ports(port(70, end=80)), X_INGRESS_CLOSED, ("TCP", 81))
    add("end-port-lower-edge", _x_ports(port(81, end=90)), OPEN, ("TCP", 81))
    add("end-port-lower-edge", _x_ports(port(81, end=90)), X_INGRESS_CLOSED, ("TCP", 80))
    add("end-port-udp", _x_ports(port(80, "UDP", end=81)), OPEN, ("UDP", 81))
    add("end-port-udp", _x_ports(port(80, "UDP", end=81)), X_INGRESS_CLOSED, ("TCP", 81))

    # -- named ports ------------------------------------------------------------
    add("named-port", _x_ports(port("serve-81-tcp")), OPEN, ("TCP", 81))
    add("named-port", _x_ports(port("serve-81-tcp")), X_INGRESS_CLOSED, ("TCP", 80), ("UDP", 81))
    add("named-port-udp", _x_ports(port("serve-80-udp", "UDP")), OPEN, ("UDP", 80))
    add("named-port-udp", _x_ports(port("serve-80-udp", "UDP")), X_INGRESS_CLOSED, ("TCP", 80))
    # The name exists, but for UDP: a TCP rule naming it matches nothing.
    add("named-port-protocol-mismatch", _x_ports(port("serve-80-udp", "TCP")), X_INGRESS_CLOSED,
        ("TCP", 80), ("UDP", 80))
    add("named-port-on-some-pods", _x_ports(port("web")), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   X   .   .   .   .   .   .   .
        x/b  X   .   .   .   .   .   .   .   .
        x/c  X   X   .   .   .   .   .   .   .
        y/a  X   X   .   .   .   .   .   .   .
        y/b  X   X   .   .   .   .   .   .   .
        y/c  X   X   .   .   .   .   .   .   .
        z/a  X   X   .   .   .   .   .   .   .
        z/b  X   X   .   .   .   .   .   .   .
        z/c  X   X   .   .   .   .   .   .   .
    """, ("TCP", 80), cluster_yaml=RENAMED)
    add("named-port-on-some-pods", _x_ports(port("web")), X_INGRESS_CLOSED, ("TCP", 81),
        cluster_yaml=RENAMED)
    add("named-port-renamed-away", _x_ports(port("serve-80-tcp")), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   .   X   .   .   .   .   .   .
        x/b  .   .   X   .   .   .   .   .   .
        x/c  .   .   .   .   .   .   .   .   .
        y/a  .   .   X   .   .   .   .   .   .
        y/b  .   .   X   .   .   .   .   .   .
        y/c  .   .   X   .   .   .   .   .   .
        z/a  .   .   X   .   .   .   .   .   .
        z/b  .   .   X   .   .   .   .   .   .
        z/c  .   .   X   .   .   .   .   .   .
    """, ("TCP", 80), cluster_yaml=RENAMED)
    # Egress: a named port is looked up on each destination pod.
    add("egress-named-port-on-some-pods", _from_xa(egress_rule(ports=[port("web")])), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   X   .   X   X   .   X   X   .
        x/b  .   .   .   .   .   .   .   .   .
        x/c  .   .   .   .   .   .   .   .   .
        y/a  .   .   .   .   .   .   .   .   .
        y/b  .   .   .   .   .   .   .   .   .
        y/c  .   .   .   .   .   .   .   .   .
        z/a  .   .   .   .   .   .   .   .   .
        z/b  .   .   .   .   .   .   .   .   .
        z/c  .   .   .   .   .   .   .   .   .
    """, ("TCP", 80), cluster_yaml=RENAMED)
    add("egress-named-port", _from_xa(egress_rule(ports=[port("serve-81-udp", "UDP")])),
        OPEN, ("UDP", 81))
    add("egress-named-port", _from_xa(egress_rule(ports=[port("serve-81-udp", "UDP")])),
        XA_EGRESS_CLOSED, ("UDP", 80), ("TCP", 81))

    # -- ipBlock ------------------------------------------------------------------
    add("ip-block-except-ingress", _to_xa(ip_peer("10.0.2.0/24", "10.0.2.2/32")), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   .   .   .   .   .   .   .   .
        x/b  X   .   .   .   .   .   .   .   .
        x/c  X   .   .   .   .   .   .   .   .
        y/a  .   .   .   .   .   .   .   .   .
        y/b  X   .   .   .   .   .   .   .   .
        y/c  .   .   .   .   .   .   .   .   .
        z/a  X   .   .   .   .   .   .   .   .
        z/b  X   .   .   .   .   .   .   .   .
        z/c  X   .   .   .   .   .   .   .   .
    """, ("TCP", 80), ("UDP", 81))
    add("ip-block-except-own-namespace", _to_xa(ip_peer("10.0.0.0/16", "10.0.1.0/24")), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   .   .   .   .   .   .   .   .
        x/b  X   .   .   .   .   .   .   .   .
        x/c  X   .   .   .   .   .   .   .   .
        y/a  .   .   .   .   .   .   .   .   .
        y/b  .   .   .   .   .   .   .   .   .
        y/c  .   .   .   .   .   .   .   .   .
        z/a  .   .   .   .   .   .   .   .   .
        z/b  .   .   .   .   .   .   .   .   .
        z/c  .   .   .   .   .   .   .   .   .
    """, ("TCP", 80))
    add("ip-block-or-pod-peer", _to_xa(
        ip_peer("10.0.0.0/16", "10.0.2.0/24"),
        pods_peer(labels_sel(pod="c"), labels_sel(ns="y"))), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   .   .   .   .   .   .   .   .
        x/b  .   .   .   .   .   .   .   .   .
        x/c  .   .   .   .   .   .   .   .   .
        y/a  X   .   .   .   .   .   .   .   .
        y/b  X   .   .   .   .   .   .   .   .
        y/c  .   .   .   .   .   .   .   .   .
        z/a  .   .   .   .   .   .   .   .   .
        z/b  .   .   .   .   .   .   .   .   .
        z/c  .   .   .   .   .   .   .   .   .
    """, ("TCP", 80))
    add("ip-block-everything", _x_ports_from(ip_peer("0.0.0.0/0")), OPEN, ("TCP", 80))
    add("ip-block-outside-cluster", _to_xa(ip_peer("192.168.0.0/16")), XA_INGRESS_CLOSED,
        ("TCP", 80))
    add("egress-to-ip-block", _from_xa(egress_rule([ip_peer("10.0.3.0/24")])), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   X   X   X   X   X   .   .   .
        x/b  .   .   .   .   .   .   .   .   .
        x/c  .   .   .   .   .   .   .   .   .
        y/a  .   .   .   .   .   .   .   .   .
        y/b  .   .   .   .   .   .   .   .   .
        y/c  .   .   .   .   .   .   .   .   .
        z/a  .   .   .   .   .   .   .   .   .
        z/b  .   .   .   .   .   .   .   .   .
        z/c  .   .   .   .   .   .   .   .   .
    """, ("TCP", 80), ("UDP", 81))
    egress_except = _from_xa(egress_rule([ip_peer("10.0.0.0/8", "10.0.3.0/24")],
                                         [port(80, "UDP")]))
    add("egress-ip-block-except-with-port", egress_except, """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   .   .   .   .   .   X   X   X
        x/b  .   .   .   .   .   .   .   .   .
        x/c  .   .   .   .   .   .   .   .   .
        y/a  .   .   .   .   .   .   .   .   .
        y/b  .   .   .   .   .   .   .   .   .
        y/c  .   .   .   .   .   .   .   .   .
        z/a  .   .   .   .   .   .   .   .   .
        z/b  .   .   .   .   .   .   .   .   .
        z/c  .   .   .   .   .   .   .   .   .
    """, ("UDP", 80))
    add("egress-ip-block-except-with-port", egress_except, XA_EGRESS_CLOSED, ("TCP", 80))

    # -- egress to namespaces -------------------------------------------------
    add("egress-to-namespace", _from_xa(egress_rule([ns_peer(ns="y")])), XA_EGRESS_TO_Y,
        ("TCP", 80), ("UDP", 81))
    to_y_81 = _from_xa(egress_rule([ns_peer(ns="y")], [port(81)]))
    add("egress-to-namespace-on-port", to_y_81, XA_EGRESS_TO_Y, ("TCP", 81))
    add("egress-to-namespace-on-port", to_y_81, XA_EGRESS_CLOSED, ("TCP", 80), ("UDP", 81))
    # policyTypes left out: egress rules make it [Ingress, Egress], so x/a is
    # also isolated for ingress, with no ingress rule.
    add("default-policy-types-with-egress", _policies(make_policy(
        "np", "x", XA, egress=[egress_rule([ns_peer(ns="y")])])), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   X   X   .   .   .   X   X   X
        x/b  X   .   .   .   .   .   .   .   .
        x/c  X   .   .   .   .   .   .   .   .
        y/a  X   .   .   .   .   .   .   .   .
        y/b  X   .   .   .   .   .   .   .   .
        y/c  X   .   .   .   .   .   .   .   .
        z/a  X   .   .   .   .   .   .   .   .
        z/b  X   .   .   .   .   .   .   .   .
        z/c  X   .   .   .   .   .   .   .   .
    """, ("TCP", 80))
    # policyTypes [Egress]: the ingress rules are ignored, ingress stays open.
    add("egress-only-type-ignores-ingress-rules", _policies(make_policy(
        "np", "x", XA, ingress=[rule([pods_peer(labels_sel(pod="b"))])],
        policy_types=["Egress"])), XA_EGRESS_CLOSED, ("TCP", 80))

    # -- several policies, several namespaces -----------------------------------
    add("policies-union", _policies(
        make_policy("from-y", "x", XA, ingress=[rule([ns_peer(ns="y")])]),
        make_policy("from-c", "x", XA, ingress=[rule([pods_peer(labels_sel(pod="c"), {})])])),
        """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   .   .   .   .   .   .   .   .
        x/b  X   .   .   .   .   .   .   .   .
        x/c  .   .   .   .   .   .   .   .   .
        y/a  .   .   .   .   .   .   .   .   .
        y/b  .   .   .   .   .   .   .   .   .
        y/c  .   .   .   .   .   .   .   .   .
        z/a  X   .   .   .   .   .   .   .   .
        z/b  X   .   .   .   .   .   .   .   .
        z/c  .   .   .   .   .   .   .   .   .
    """, ("TCP", 80))
    add("rules-union-by-port", _policies(make_policy("np", "x", XA, ingress=[
        rule([ns_peer(ns="y")], [port(80)]), rule([ns_peer(ns="z")], [port(81)])])),
        XA_FROM_Y, ("TCP", 80))
    add("rules-union-by-port", _policies(make_policy("np", "x", XA, ingress=[
        rule([ns_peer(ns="y")], [port(80)]), rule([ns_peer(ns="z")], [port(81)])])), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   .   .   .   .   .   .   .   .
        x/b  X   .   .   .   .   .   .   .   .
        x/c  X   .   .   .   .   .   .   .   .
        y/a  X   .   .   .   .   .   .   .   .
        y/b  X   .   .   .   .   .   .   .   .
        y/c  X   .   .   .   .   .   .   .   .
        z/a  .   .   .   .   .   .   .   .   .
        z/b  .   .   .   .   .   .   .   .   .
        z/c  .   .   .   .   .   .   .   .   .
    """, ("TCP", 81))
    add("ingress-peer-on-port", _policies(make_policy("np", "x", XA, ingress=[
        rule([ns_peer(ns="y")], [port(80)])])), XA_FROM_Y, ("TCP", 80))
    add("ingress-peer-on-port", _policies(make_policy("np", "x", XA, ingress=[
        rule([ns_peer(ns="y")], [port(80)])])), XA_INGRESS_CLOSED, ("TCP", 81), ("UDP", 80))
    add("policy-in-other-namespace", _policies(make_policy(
        "from-x", "y", XA, ingress=[rule([ns_peer(ns="x")])])), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   .   .   .   .   .   .   .   .
        x/b  .   .   .   .   .   .   .   .   .
        x/c  .   .   .   .   .   .   .   .   .
        y/a  .   .   .   .   .   .   .   .   .
        y/b  .   .   .   X   .   .   .   .   .
        y/c  .   .   .   X   .   .   .   .   .
        z/a  .   .   .   X   .   .   .   .   .
        z/b  .   .   .   X   .   .   .   .   .
        z/c  .   .   .   X   .   .   .   .   .
    """, ("TCP", 80))
    # x/a may only reach y/b; namespace y only admits x/a.
    add("egress-and-ingress-both-sides", _policies(
        make_policy("xa-to-yb", "x", XA, egress=[
            egress_rule([pods_peer(labels_sel(pod="b"), labels_sel(ns="y"))])],
            policy_types=["Egress"]),
        make_policy("from-xa", "y", {}, ingress=[
            rule([pods_peer(labels_sel(pod="a"), labels_sel(ns="x"))])])), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   X   X   X   .   X   X   X   X
        x/b  .   .   .   X   X   X   .   .   .
        x/c  .   .   .   X   X   X   .   .   .
        y/a  .   .   .   .   X   X   .   .   .
        y/b  .   .   .   X   .   X   .   .   .
        y/c  .   .   .   X   X   .   .   .   .
        z/a  .   .   .   X   X   X   .   .   .
        z/b  .   .   .   X   X   X   .   .   .
        z/c  .   .   .   X   X   X   .   .   .
    """, ("TCP", 80), ("UDP", 81))
    return out


def _x_ports_from(*peers: dict[str, object]) -> str:
    return _policies(make_policy("from", "x", {}, ingress=[rule(list(peers))]))


CASES_2 = _cases()
