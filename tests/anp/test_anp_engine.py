"""Cluster-wide policies on the engine: traces, hostNetwork pods, nodes and domainNames
peers, and the order of the admin and baseline tiers among Calico's."""

from __future__ import annotations

import pytest

from netwarden._errors import InvalidManifests
from netwarden.compile import compile_snapshot
from netwarden.engine import Engine
from netwarden.ir import Action, Direction, EntityMatch, Origin, Peer, Rule
from netwarden.load import load_texts

PODS = """
apiVersion: v1
kind: Namespace
metadata: {name: tenant-a, labels: {tenant: a}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: tenant-a, labels: {app: web}}
status: {podIP: 10.0.1.1}
---
apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: tenant-a, labels: {app: agent}}
spec: {hostNetwork: true}
status: {podIP: 192.168.50.10}
---
apiVersion: v1
kind: Pod
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
status: {podIP: 10.0.9.1}
"""

DENY_TENANT_A = """
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: cluster-wide-deny}
spec:
  priority: 10
  subject: {namespaces: {matchLabels: {tenant: a}}}
  egress:
  - name: no-dns
    action: Deny
    to: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}]
  ingress:
  - action: Deny
    from: [{namespaces: {matchLabels: {tenant: a}}}]
"""


def _engine(*texts: str) -> Engine:
    return Engine(compile_snapshot(load_texts([(f"f{i}.yaml", t)
                                               for i, t in enumerate(texts)])))


def test_trace_names_tier_policy_priority_and_rule() -> None:
    verdict = _engine(PODS, DENY_TENANT_A).check("tenant-a/web", "kube-system/coredns",
                                                 "UDP", 53)
    assert not verdict.allowed and verdict.egress is not None
    texts = [step.text for step in verdict.egress.steps]
    # Kubernetes kinds only: no Calico tier in the words (docs: README, vocabulary)
    assert texts[0] == "anp:cluster-wide-deny selects tenant-a/web for egress"
    assert texts[1].startswith("denied by anp:cluster-wide-deny egress[0] to[0] (priority 10): "
                               "Deny to pods in namespaces where ")


def test_host_network_pod_is_never_a_subject() -> None:
    verdict = _engine(PODS, DENY_TENANT_A).check("tenant-a/agent", "kube-system/coredns",
                                                 "UDP", 53)
    assert verdict.allowed


def test_host_network_pod_never_matches_a_namespaces_peer() -> None:
    # tenant-a's ingress denies tenant-a's pods; the hostNetwork pod of tenant-a is not one
    engine = _engine(PODS, DENY_TENANT_A)
    assert engine.check("tenant-a/agent", "tenant-a/web", "TCP", 80).allowed


NODE = """
apiVersion: v1
kind: Node
metadata: {name: cp-1, labels: {node-role.kubernetes.io/control-plane: ""}}
status:
  addresses:
  - {type: InternalIP, address: 192.168.50.10}
  - {type: Hostname, address: cp-1}
"""

DENY_NODES = """
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: no-control-plane}
spec:
  tier: Admin
  priority: 5
  subject: {namespaces: {}}
  egress:
  - action: Deny
    to: [{nodes: {matchExpressions: [{key: node-role.kubernetes.io/control-plane,
                                      operator: Exists}]}}]
    protocols: [{tcp: {destinationPort: {number: 6443}}}]
"""


def test_nodes_peer_matches_the_addresses_of_matching_nodes() -> None:
    engine = _engine(PODS, NODE, DENY_NODES)
    assert not engine.check("tenant-a/web", "192.168.50.10", "TCP", 6443).allowed
    assert engine.check("tenant-a/web", "192.168.50.11", "TCP", 6443).allowed
    assert engine.check("tenant-a/web", "192.168.50.10", "TCP", 443).allowed


def test_nodes_peer_without_a_matching_node_matches_nothing() -> None:
    assert _engine(PODS, DENY_NODES).check("tenant-a/web", "192.168.50.10", "TCP",
                                           6443).allowed


ALLOW_DOMAINS = """
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: egress-allowlist}
spec:
  priority: 20
  subject: {namespaces: {matchLabels: {tenant: a}}}
  egress:
  - action: Allow
    to: [{domainNames: ['*.example.com']}]
  - action: Deny
    to: [{networks: [0.0.0.0/0]}]
"""


def test_domain_names_warn_and_never_match_an_address() -> None:
    engine = _engine(PODS, ALLOW_DOMAINS)
    assert not engine.check("tenant-a/web", "203.0.113.7", "TCP", 443).allowed
    (warning,) = engine.cluster.warnings
    assert warning.startswith("f1.yaml:10: anp:egress-allowlist egress[0] to[0]: domainNames "
                              "(*.example.com) match connections by the DNS name they were "
                              "made to; netwarden has no DNS")


def test_domain_names_match_a_peer_known_by_name() -> None:
    rule = Rule(Action.ALLOW, Origin("anp:x", Direction.EGRESS, 0),
                destination=EntityMatch(domains=("*.example.com",)))
    cluster = _engine(PODS).cluster
    assert rule.destination.matches_peer(Peer(None, name="api.example.com"), cluster.ns_labels)
    assert not rule.destination.matches_peer(Peer(None, name="example.com"), cluster.ns_labels)
    assert not cluster.peer_addresses(rule.destination)  # no address carries a name


CALICO_TIER = """
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 500}
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: late}
spec: {order: 2000000}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.a}
spec: {tier: security, selector: all(), types: [Ingress]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: late.b}
spec: {tier: late, selector: all(), types: [Ingress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: tenant-a}
spec: {podSelector: {}}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress: [{action: Allow, from: [{namespaces: {}}]}]
"""


def test_admin_and_baseline_tiers_sit_among_calico_tiers_by_calicos_orders() -> None:
    cluster = _engine(PODS, DENY_TENANT_A, CALICO_TIER).cluster
    assert [t.name for t, _ in cluster.evaluation_order] == [
        "security", "kube-admin", "default", "late", "kube-baseline"]


def test_two_objects_of_one_kind_and_name_are_an_error() -> None:
    banp = ("apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\n"
            "metadata: {name: default}\nspec: {subject: {namespaces: {}}}\n")
    with pytest.raises(InvalidManifests) as info:
        _engine(PODS, banp, banp)
    assert [str(e) for e in info.value.errors] == [
        "f2.yaml:1: metadata.name: BaselineAdminNetworkPolicy 'default' is defined more than "
        "once (first at f1.yaml:1)"]
