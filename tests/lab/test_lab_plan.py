"""Lab planning and manifests: pure, no root needed."""

from __future__ import annotations

import ipaddress
import re

import pytest

from netwarden._errors import LabError
from netwarden.ir import Cluster, Endpoint, EndpointKind, NamedPort
from netwarden.ir.services import TCP, UDP
from netwarden.lab import DEFAULT_PORTS, LabHost, parse_host_arg, parse_lab_hosts
from netwarden.lab.topology import Topology, plan


def make_pod(ns: str, name: str, *ips: str, node: str | None = None,
             ports: tuple[NamedPort, ...] = ()) -> Endpoint:
    return Endpoint(f"{ns}/{name}", EndpointKind.POD, name, ns,
                    ips=tuple(ipaddress.ip_address(i) for i in ips), node=node, ports=ports)


def test_names_fit_the_kernel_and_carry_the_lab_prefix() -> None:
    pods = [make_pod("ns", f"p{i}", f"10.0.{i // 250}.{i % 250 + 1}") for i in range(300)]
    topo = plan(Cluster(endpoints=tuple(pods)), [parse_host_arg("db=192.168.5.10")],
                nodes=3, lab_id="abcd")
    assert [n.netns for n in topo.nodes] == ["nwabcd-n1", "nwabcd-n2", "nwabcd-n3"]
    names = [a.netns for a in topo.attachments]
    assert len(set(names)) == len(names)
    for a in topo.attachments:
        assert a.netns.startswith("nwabcd-") and len(a.netns) <= 15
        assert a.veth is not None and a.veth.startswith("nwabcd") and len(a.veth) <= 15
    assert topo.by_key["db"].veth == "nwabcdh0"
    assert {a.node for a in topo.attachments} == {"node-1", "node-2", "node-3"}


def test_nodes_come_from_the_pods_then_padding() -> None:
    topo = plan(Cluster(endpoints=(make_pod("a", "x", "10.0.0.1", node="w2"),
                                   make_pod("a", "y", "10.0.0.2", node="w1"))),
                nodes=3, lab_id="abcd")
    assert [n.name for n in topo.nodes] == ["w1", "w2", "node-1"]
    assert topo.by_key["a/x"].node == "w2"


def test_ports_default_or_declared_on_both_tcp_and_udp() -> None:
    topo = plan(Cluster(endpoints=(
        make_pod("a", "plain", "10.0.0.1"),
        make_pod("a", "db", "10.0.0.2", ports=(NamedPort(5432, TCP, "pg"),)),
    )), lab_id="abcd")
    assert topo.by_key["a/plain"].ports == DEFAULT_PORTS
    assert set(topo.by_key["a/db"].ports) == {(5432, TCP), (5432, UDP)}


@pytest.mark.parametrize("pods, message", [
    ((make_pod("a", "x"),), "no IP"),
    ((make_pod("a", "x", "10.0.0.1"), make_pod("a", "y", "10.0.0.1")), "used by both"),
], ids=["no-ip", "same-ip"])
def test_bad_clusters_are_refused(pods: tuple[Endpoint, ...], message: str) -> None:
    with pytest.raises(LabError, match=message):
        plan(Cluster(endpoints=pods), lab_id="abcd")


def test_state_round_trip() -> None:
    topo = plan(Cluster(endpoints=(make_pod("a", "x", "10.0.0.1", "fd00::1"),)),
                [LabHost("ext", (ipaddress.ip_address("192.168.5.10"),))], lab_id="abcd")
    assert Topology.from_json(topo.to_json()) == topo


def test_lab_host_manifests() -> None:
    (host,) = parse_lab_hosts(["""
apiVersion: netwarden.dev/v1
kind: LabHost
metadata: {name: backup}
spec:
  ips: [192.168.5.10, "fd00:5::10"]
  ports: [{port: 873, protocol: TCP, name: rsync}]
---
kind: NetworkPolicy
"""])
    assert host.name == "backup"
    assert [str(i) for i in host.ips] == ["192.168.5.10", "fd00:5::10"]
    assert host.ports == (NamedPort(873, TCP, "rsync"),)
    with pytest.raises(LabError, match="apiVersion"):
        parse_lab_hosts(["kind: LabHost\nmetadata: {name: x}\nspec: {ip: 1.2.3.4}\n"])
    with pytest.raises(LabError, match="name=ip"):
        parse_host_arg("192.168.5.10")


def test_not_root_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from netwarden.lab import Lab

    monkeypatch.setattr("os.geteuid", lambda: 1000)
    with pytest.raises(LabError, match="needs root"):
        Lab.up(Cluster(endpoints=(make_pod("a", "x", "10.0.0.1"),)))


def test_missing_ip_tool_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from netwarden.lab import _ns

    monkeypatch.setattr("os.geteuid", lambda: 0)
    monkeypatch.setattr("shutil.which", lambda tool: None)
    with pytest.raises(LabError, match="needs ip"):
        _ns.require_root_and_tools("ip")


def _balanced(ingress: str) -> Cluster:
    from netwarden.compile import compile_snapshot
    from netwarden.load import load_texts

    return compile_snapshot(load_texts([("lb.yaml", f"""
apiVersion: v1
kind: Pod
metadata: {{name: web, namespace: a, labels: {{app: web}}}}
spec: {{containers: [{{name: c}}]}}
status: {{podIP: 10.0.0.1}}
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: a}}
spec: {{type: LoadBalancer, selector: {{app: web}}, ports: [{{port: 80}}]}}
status: {{loadBalancer: {{ingress: [{{ip: {ingress}}}]}}}}
""")]))


def test_load_balancer_addresses_are_routed_to_the_edges_and_kept_in_the_state() -> None:
    topo = plan(_balanced("198.51.100.10"), lab_id="abcd")
    assert [str(ip) for ip in topo.entry_ips] == ["198.51.100.10"]
    assert all(n.edge for n in topo.nodes)
    assert Topology.from_json(topo.to_json()) == topo


def test_a_load_balancer_address_a_pod_has_is_refused() -> None:
    with pytest.raises(LabError, match=re.escape("address 10.0.0.1 of a/svc/web is also a/web's")):
        plan(_balanced("10.0.0.1"), lab_id="abcd")
