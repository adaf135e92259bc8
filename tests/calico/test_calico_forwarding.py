"""Traffic forwarded through host endpoints meets their applyOnForward policies.

Scenario: pods on two nodes, each node with an all-interfaces host endpoint.
A pre-DNAT policy on node b's endpoint denies TCP 6379 coming in; a normal
applyOnForward policy on node a's endpoint lets only TCP leave. Pods on the
same node cross no host interface.
"""

from __future__ import annotations

import pytest

from netwarden import Engine, compile_snapshot
from netwarden.ir.services import TCP, UDP
from netwarden.load import load_texts

CLUSTER = """\
apiVersion: v1
kind: Pod
metadata: {name: a1, namespace: default, labels: {app: a1}}
spec: {nodeName: node-a}
status: {podIP: 10.244.1.2}
---
apiVersion: v1
kind: Pod
metadata: {name: a2, namespace: default, labels: {app: a2}}
spec: {nodeName: node-a}
status: {podIP: 10.244.1.3}
---
apiVersion: v1
kind: Pod
metadata: {name: b1, namespace: default, labels: {app: b1}}
spec: {nodeName: node-b}
status: {podIP: 10.244.2.2}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node-a-all, labels: {node: a}}
spec: {node: node-a, interfaceName: "*", expectedIPs: [192.168.1.1]}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node-b-all, labels: {node: b}}
spec: {node: node-b, interfaceName: "*", expectedIPs: [192.168.1.2]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: b-no-redis}
spec:
  selector: node == 'b'
  preDNAT: true
  applyOnForward: true
  ingress: [{action: Deny, protocol: TCP, destination: {ports: [6379]}}]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: a-tcp-out}
spec:
  selector: node == 'a'
  applyOnForward: true
  types: [Egress]
  egress: [{action: Allow, protocol: TCP}]
"""


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(compile_snapshot(load_texts([("c.yaml", CLUSTER)])))


@pytest.mark.parametrize(("src", "dst", "protocol", "port", "allowed"), [
    ("default/a1", "default/b1", TCP, 6379, False),   # pre-DNAT deny entering node b
    ("default/a1", "default/b1", TCP, 80, True),
    ("default/a1", "default/b1", UDP, 53, False),     # node a lets only TCP leave
    ("default/a1", "default/a2", UDP, 53, True),      # same node: no host interface
    ("default/a1", "default/a2", TCP, 6379, True),
    ("default/b1", "default/a1", UDP, 53, True),      # b's endpoint has no egress policy
    ("192.0.2.7", "default/b1", TCP, 6379, False),    # from outside, into node b
    ("192.0.2.7", "default/a1", TCP, 6379, True),
], ids=["a-b-redis", "a-b-http", "a-b-udp", "a-a-udp", "a-a-redis", "b-a-udp",
        "outside-b-redis", "outside-a-redis"])
def test_forwarded_verdicts(engine: Engine, src: str, dst: str, protocol: int, port: int,
                            allowed: bool) -> None:
    assert engine.check(src, dst, protocol, port).allowed is allowed


def test_the_denial_names_the_host_endpoint_crossed(engine: Engine) -> None:
    verdict = engine.check("default/a1", "default/b1", TCP, 6379)
    assert any(r.startswith("forwarded through host/node-b/*: denied by global:b-no-redis")
               for r in verdict.reasons)


def test_the_connectivity_map_agrees_with_check(engine: Engine) -> None:
    conn = engine.connectivity
    pods = engine.cluster.pods
    for src in pods:
        for dst in pods:
            services = conn.between(src, dst)
            for protocol, port in ((TCP, 6379), (TCP, 80), (UDP, 53)):
                expected = engine.check(src.key, dst.key, protocol, port).allowed
                assert services.contains(protocol, port) is expected, (src.key, dst.key, port)


NODE_LOCAL = """\
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: default, labels: {app: db}}
spec: {nodeName: node-a}
status: {podIP: 10.244.1.2}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: default}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node-a-eth0, labels: {node: a}}
spec: {node: node-a, interfaceName: eth0, expectedIPs: [192.168.1.1]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: node-a-open}
spec:
  selector: node == 'a'
  types: [Ingress, Egress]
  ingress: [{action: Allow}]
  egress: [{action: Allow}]
"""


@pytest.mark.parametrize(("src", "dst"), [("host/node-a/eth0", "default/db"),
                                          ("default/db", "host/node-a/eth0")],
                         ids=["node-to-own-pod", "pod-to-own-node"])
def test_a_pods_policy_does_not_police_its_own_node(src: str, dst: str) -> None:
    engine = Engine(compile_snapshot(load_texts([("c.yaml", NODE_LOCAL)])))
    verdict = engine.check(src, dst, TCP, 8080)
    assert verdict.allowed
    assert any("its own node is always allowed" in r for r in verdict.reasons)
