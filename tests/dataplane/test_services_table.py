"""The kube-proxy table (``dataplane.services``): IR Services → DNAT rules, pure rendering."""

from __future__ import annotations

import io
from ipaddress import ip_address, ip_network

from netwarden import load_cluster
from netwarden.dataplane.services import (
    Backend,
    Frontend,
    cluster_frontends,
    external_frontends,
    frontend_chain,
    render_services,
)
from netwarden.ir.services import TCP, UDP

APP = """
apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: prod, labels: {app: web}}
spec: {nodeName: n1, containers: [{name: c, image: i, ports: [{containerPort: 8080, name: http}]}]}
status: {podIP: 10.244.1.2}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: prod, labels: {app: web}}
spec: {nodeName: n2, containers: [{name: c, image: i, ports: [{containerPort: 9090, name: http}]}]}
status: {podIP: 10.244.2.2}
---
apiVersion: v1
kind: Pod
metadata: {name: other, namespace: prod}
spec: {nodeName: n1, containers: [{name: c, image: i}]}
status: {podIP: 10.244.1.9}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: prod}
spec:
  clusterIP: 10.96.5.5
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web-local, namespace: prod}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  internalTrafficPolicy: Local
  clusterIP: 10.96.5.6
  selector: {app: web}
  ports: [{port: 80, targetPort: http, nodePort: 30081}]
---
apiVersion: v1
kind: Service
metadata: {name: nobody, namespace: prod}
spec: {clusterIP: 10.96.5.7, selector: {app: none}, ports: [{port: 53, protocol: UDP}]}
"""
CLUSTER = load_cluster(["-"], stdin=io.StringIO(APP))
ON_N1 = {"prod/web-0", "prod/other"}.__contains__


def dnat_rules(frontends: list[Frontend]) -> dict[str, str]:
    table = render_services(frontends)
    return {f"{f.ip}:{f.port}": table.chain(frontend_chain(f)).rules[-1].body
            for f in frontends if f.backends}


def test_each_backend_gets_its_own_target_port() -> None:
    rules = dnat_rules(cluster_frontends(CLUSTER, ON_N1))
    assert rules["10.96.5.5:80"] == ("meta l4proto tcp dnat ip to numgen random mod 2 map "
                                     "{ 0 : 10.244.1.2 . 8080, 1 : 10.244.2.2 . 9090 }")


def test_internal_traffic_policy_local_keeps_the_nodes_own_backends() -> None:
    rules = dnat_rules(cluster_frontends(CLUSTER, ON_N1))
    assert rules["10.96.5.6:80"] == "meta l4proto tcp dnat ip to 10.244.1.2:8080"


def test_a_frontend_without_ready_backends_is_left_out_of_the_map() -> None:
    table = render_services(cluster_frontends(CLUSTER, ON_N1))
    keys = [k for k, _ in table.set("front4").entries]  # type: ignore[attr-defined]
    assert "10.96.5.7 . udp . 53" not in keys
    assert "10.96.5.5 . tcp . 80" in keys


def test_external_local_frontends_keep_the_client_and_reach_local_backends_only() -> None:
    fronts = external_frontends(CLUSTER, [ip_address("172.18.0.2")], ON_N1)
    (node_port,) = [f for f in fronts if f.port == 30081]
    assert not node_port.masquerade
    assert [b.key for b in node_port.backends] == ["prod/web-0"]


def test_cluster_policy_frontends_masquerade_to_the_node_address() -> None:
    front = Frontend("a/svc/b", TCP, ip_address("172.18.0.2"), 30080,
                     (Backend("a/b", ip_address("10.244.1.2"), 80),), masquerade=True)
    text = render_services([front], snat4="172.18.0.2").text()
    assert "meta mark set meta mark | 0x4000" in text
    assert "meta nfproto ipv4 meta mark & 0x4000 != 0 snat ip to 172.18.0.2" in text


def test_without_masquerading_frontends_no_source_is_rewritten_but_hairpin() -> None:
    text = render_services(cluster_frontends(CLUSTER, ON_N1), snat4="172.18.0.2").text()
    assert "snat ip to 172.18.0.2" not in text
    assert ("ct status dnat ip saddr . ip daddr @hairpin4 snat ip to 169.254.1.1" in text)


def test_dnat_runs_before_the_policy_table() -> None:
    table = render_services(cluster_frontends(CLUSTER, ON_N1))
    hooks = {c.name: (c.type, c.hook, c.priority) for c in table.chains if c.is_base}
    assert hooks["prerouting"] == ("nat", "prerouting", -100)
    assert hooks["output"] == ("nat", "output", -100)
    assert hooks["postrouting"] == ("nat", "postrouting", 100)
    assert hooks["hairpin"][2] > -100  # after DNAT, still before forward (policy: 0)


def test_ipv6_frontends_use_the_ip6_forms() -> None:
    front = Frontend("a/svc/b", UDP, ip_address("fd00::5"), 53,
                     (Backend("a/b", ip_address("fd01::2"), 5353),
                      Backend("a/c", ip_address("10.244.1.3"), 5353)))
    table = render_services([front])
    assert table.chain(frontend_chain(front)).rules[0].body == (
        "meta l4proto udp dnat ip6 to [fd01::2]:5353")  # the IPv4 backend is not its family
    assert table.set("front6").entries == (  # type: ignore[attr-defined]
        ("fd00::5 . udp . 53", f"goto {frontend_chain(front)}"),)


def test_a_changed_backend_renames_only_its_frontends_chain() -> None:
    a = Frontend("s", TCP, ip_address("10.96.0.1"), 80, (Backend("x", ip_address("10.0.0.1"), 80),))
    b = Frontend("t", TCP, ip_address("10.96.0.2"), 80, (Backend("y", ip_address("10.0.0.2"), 80),))
    moved = Frontend("t", TCP, ip_address("10.96.0.2"), 80,
                     (Backend("y", ip_address("10.0.0.2"), 81),))
    assert frontend_chain(a) == frontend_chain(a)
    assert frontend_chain(b) != frontend_chain(moved)


def test_load_balancer_source_ranges_drop_other_clients_before_dnat() -> None:
    front = Frontend("a/svc/b", TCP, ip_address("198.51.100.10"), 80,
                     (Backend("a/b", ip_address("10.244.1.2"), 8080),),
                     source_ranges=(ip_network("203.0.113.0/24"), ip_network("fd00::/64")))
    table = render_services([front])
    firewall = table.chain("firewall")
    assert (firewall.type, firewall.hook, firewall.priority) == ("filter", "prerouting", -110)
    assert [r.body for r in firewall.rules] == [
        "ip daddr . meta l4proto . th dport @ranged4 ip daddr . meta l4proto . th dport . "
        "ip saddr != @allowed4 drop"]
    assert table.set("allowed4").elements == (  # type: ignore[attr-defined]
        "198.51.100.10 . tcp . 80 . 203.0.113.0/24",)  # the IPv6 range is not its family


def test_without_source_ranges_there_is_no_firewall() -> None:
    table = render_services(cluster_frontends(CLUSTER, ON_N1))
    assert "firewall" not in {c.name for c in table.chains}
