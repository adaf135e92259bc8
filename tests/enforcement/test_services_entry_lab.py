"""NodePorts entered by another node than the backend's, with real packets.

A two-node lab: the only backend, ``default/web``, runs on node-2; the
outside ``LabHost`` sits on node-1. Dialing a node's address enters by that
node (its edge namespace DNATs the NodePort and, for
``externalTrafficPolicy: Cluster``, source-NATs to that node's address),
as in a cluster. The backend admits node-2's address and the client's range
only, so with ``Cluster`` entering by node-1 is denied (the backend sees
node-1's address) and by node-2 allowed; with ``Local`` node-1 has no backend
and takes nothing, node-2 keeps the client's address. The engine answers per
entry node (``check_service``'s ``entries``), and both must agree.
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
APP = f"""
apiVersion: v1
kind: Pod
metadata: {{name: web, namespace: default, labels: {{app: web}}}}
spec: {{nodeName: node-2, containers: [{{name: c, ports: [{{containerPort: 8080, name: http}}]}}]}}
---
apiVersion: v1
kind: Pod
metadata: {{name: other, namespace: default, labels: {{app: other}}}}
spec: {{nodeName: node-1, containers: [{{name: c}}]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: web, namespace: default}}
spec:
  podSelector: {{matchLabels: {{app: web}}}}
  ingress:
  - from: [{{ipBlock: {{cidr: 172.18.0.3/32}}}}, {{ipBlock: {{cidr: 203.0.113.0/24}}}}]
    ports: [{{port: http}}]
---
apiVersion: v1
kind: Service
metadata: {{name: web-cluster, namespace: default}}
spec:
  type: NodePort
  externalTrafficPolicy: Cluster
  selector: {{app: web}}
  ports: [{{port: 80, targetPort: http, nodePort: 30080}}]
---
apiVersion: v1
kind: Service
metadata: {{name: web-local, namespace: default}}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  selector: {{app: web}}
  ports: [{{port: 80, targetPort: http, nodePort: 30081}}]
---
apiVersion: netwarden.dev/v1
kind: LabHost
metadata: {{name: client}}
spec: {{ip: {CLIENT}, node: node-1}}
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    path = tmp_path_factory.mktemp("entry") / "app.yaml"
    path.write_text(APP)
    with lab_up([path], nodes=2, dns=False) as built:
        yield built


def test_the_lab_places_the_client_on_node_1_and_the_backend_on_node_2(lab: Lab) -> None:
    placed = {a.key: a.node for a in lab.topology.attachments}
    assert (placed["client"], placed["default/web"]) == ("node-1", "node-2")
    assert {n.name: str(n.ips[0]) for n in lab.topology.nodes} == {
        name: str(ip) for name, ip in cluster_of(lab).node_addresses.items()}


@pytest.mark.parametrize(("service", "port", "want"), [
    ("web-cluster", 30080, [("node-1", False), ("node-2", True)]),
    ("web-local", 30081, [("node-1", False), ("node-2", True)]),
], ids=["cluster-policy", "local-policy"])
def test_engine_and_lab_agree_per_entry_node(lab: Lab, service: str, port: int,
                                             want: list[tuple[str, bool]]) -> None:
    engine = Engine(cluster_of(lab))
    (answer,) = check_service(engine, CLIENT, engine.cluster.service("default", service), port)
    assert [(e.node, e.allowed) for e in answer.entries] == want
    for entry in answer.entries:
        assert entry.address is not None
        got = connect_greeting(lab, "client", entry.address, port)
        if entry.allowed and got is None:  # an allowed connection may be retried once
            got = connect_greeting(lab, "client", entry.address, port)
        assert got == ("nw default/web" if entry.allowed else None), (
            f"entering by {entry.node}: engine says {entry.summary!r}, lab got {got!r}")


def test_with_cluster_policy_the_backend_sees_the_entry_node_not_its_own(lab: Lab) -> None:
    engine = Engine(cluster_of(lab))
    (answer,) = check_service(engine, CLIENT, engine.cluster.service("default", "web-cluster"),
                              30080, via_node="node-1")
    assert [b.seen_source for b in answer.backends] == ["172.18.0.2 (node node-1)"]
    assert not answer.allowed
