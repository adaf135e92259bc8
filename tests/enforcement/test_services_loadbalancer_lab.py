"""LoadBalancer ingress addresses reached from outside the cluster, with real packets.

A two-node lab: ``default/far`` runs on node-2, ``default/near`` on node-1, and
the outside ``LabHost`` sits on node-1. Each node routes the Services'
``status.loadBalancer.ingress`` addresses to its edge namespace, so the lab's
load balancer hands the client's connection to node-1, which DNATs it (and,
with ``externalTrafficPolicy: Cluster``, source-NATs it to its own address).
``far`` admits node-1's address only and ``near`` the client's range only, so
with ``Cluster`` ``far`` is reached and ``near`` is not; with ``Local`` node-1
keeps the client's address and sends only to its own backend: ``near`` is
reached, ``far`` is not (node-1 has none). The engine's answer entering by
node-1 (``check_service(..., via_node="node-1")``) and the lab agree; and a
client outside ``loadBalancerSourceRanges`` is dropped before any of that, as
kube-proxy does.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from netwarden.engine import Engine
from netwarden.engine.services import check_service
from netwarden.lab import Lab

from ..lab_fixtures import lab_up
from .test_services_lab import cluster_of, connect_greeting

pytestmark = pytest.mark.lab

CLIENT = "203.0.113.7"


def _balancer(name: str, app: str, policy: str, ip: str, ranges: str = "") -> str:
    only = f"\n  loadBalancerSourceRanges: [{ranges}]" if ranges else ""
    return f"""
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: default}}
spec:
  type: LoadBalancer
  externalTrafficPolicy: {policy}{only}
  selector: {{app: {app}}}
  ports: [{{port: 80, targetPort: http}}]
status: {{loadBalancer: {{ingress: [{{ip: {ip}}}]}}}}
"""


APP = f"""
apiVersion: v1
kind: Pod
metadata: {{name: far, namespace: default, labels: {{app: far}}}}
spec: {{nodeName: node-2, containers: [{{name: c, ports: [{{containerPort: 8080, name: http}}]}}]}}
---
apiVersion: v1
kind: Pod
metadata: {{name: near, namespace: default, labels: {{app: near}}}}
spec: {{nodeName: node-1, containers: [{{name: c, ports: [{{containerPort: 8080, name: http}}]}}]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: far, namespace: default}}
spec:
  podSelector: {{matchLabels: {{app: far}}}}
  ingress:
  - from: [{{ipBlock: {{cidr: 172.18.0.2/32}}}}]
    ports: [{{port: http}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: near, namespace: default}}
spec:
  podSelector: {{matchLabels: {{app: near}}}}
  ingress:
  - from: [{{ipBlock: {{cidr: 203.0.113.0/24}}}}]
    ports: [{{port: http}}]
---
apiVersion: netwarden.dev/v1
kind: LabHost
metadata: {{name: client}}
spec: {{ip: {CLIENT}, node: node-1}}
""" + "".join((
    _balancer("far-cluster", "far", "Cluster", "198.51.100.10"),
    _balancer("far-local", "far", "Local", "198.51.100.11"),
    _balancer("near-cluster", "near", "Cluster", "198.51.100.12"),
    _balancer("near-local", "near", "Local", "198.51.100.13"),
    _balancer("near-ranged-in", "near", "Local", "198.51.100.14", "203.0.113.0/24"),
    _balancer("near-ranged-out", "near", "Local", "198.51.100.15", "192.0.2.0/24"),
))


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    path = tmp_path_factory.mktemp("balancer") / "app.yaml"
    path.write_text(APP)
    with lab_up([path], nodes=2, dns=False, record_flows=False) as built:
        yield built


def test_node_1_has_the_address_the_policies_name(lab: Lab) -> None:
    placed = {a.key: a.node for a in lab.topology.attachments}
    assert (placed["client"], placed["default/far"], placed["default/near"]) == (
        "node-1", "node-2", "node-1")
    assert str(lab.topology.node("node-1").ips[0]) == "172.18.0.2"


@pytest.mark.parametrize(("service", "address", "allowed"), [
    ("far-cluster", "198.51.100.10", True),
    ("far-local", "198.51.100.11", False),
    ("near-cluster", "198.51.100.12", False),
    ("near-local", "198.51.100.13", True),
], ids=["cluster-remote-backend", "local-no-backend", "cluster-snat-denied", "local-client"])
def test_engine_and_lab_agree_on_a_load_balancer_address(
        lab: Lab, service: str, address: str, allowed: bool) -> None:
    engine = Engine(cluster_of(lab))
    svc = engine.cluster.service("default", service)
    assert svc is not None and [str(ip) for ip in svc.load_balancer_ips] == [address]
    (answer,) = check_service(engine, CLIENT, svc, 80, via_node="node-1")
    assert [(e.node, e.allowed) for e in answer.entries] == [("node-1", allowed)]
    got = connect_greeting(lab, "client", address, 80)
    if allowed and got is None:  # an allowed connection may be retried once
        got = connect_greeting(lab, "client", address, 80)
    backend = "default/" + service.split("-")[0]
    assert got == (f"nw {backend}" if allowed else None), (
        f"engine says {answer.entries[0].summary!r}, lab got {got!r}")


@pytest.mark.parametrize(("service", "address", "allowed"), [
    ("near-ranged-in", "198.51.100.14", True),
    ("near-ranged-out", "198.51.100.15", False),
], ids=["client-in-range", "client-outside-range"])
def test_load_balancer_source_ranges_admit_only_their_clients_in_the_lab_too(
        lab: Lab, service: str, address: str, allowed: bool) -> None:
    engine = Engine(cluster_of(lab))
    svc = engine.cluster.service("default", service)
    assert svc is not None
    (answer,) = check_service(engine, CLIENT, svc, 80, via_node="node-1")
    assert answer.allowed is allowed
    if not allowed:
        assert answer.problem is not None and "loadBalancerSourceRanges" in answer.problem
    got = connect_greeting(lab, "client", address, 80)
    if allowed and got is None:  # an allowed connection may be retried once
        got = connect_greeting(lab, "client", address, 80)
    assert got == ("nw default/near" if allowed else None)
