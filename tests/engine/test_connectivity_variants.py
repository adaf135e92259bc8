"""``Connectivity``'s public variants: without one rule, and with places outside the cluster."""

from __future__ import annotations

import ipaddress
import textwrap

import pytest

from netwarden.compile import compile_snapshot
from netwarden.engine import Connectivity
from netwarden.ir import Cluster, Endpoint, EndpointKind
from netwarden.ir.services import TCP
from netwarden.load import load_texts

MANIFESTS = textwrap.dedent("""\
    apiVersion: v1
    kind: Pod
    metadata: {name: web, namespace: app, labels: {app: web}}
    spec: {containers: [{name: c}]}
    status: {podIP: 10.0.1.1}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: client, namespace: app, labels: {app: client}}
    spec: {containers: [{name: c}]}
    status: {podIP: 10.0.1.2}
    ---
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: web, namespace: app}
    spec:
      podSelector: {matchLabels: {app: web}}
      ingress:
      - from: [{podSelector: {matchLabels: {app: client}}}]
        ports: [{port: 80}]
      - from: [{ipBlock: {cidr: 192.168.0.0/16}}]
        ports: [{port: 443}]
    """)


@pytest.fixture
def cluster() -> Cluster:
    return compile_snapshot(load_texts([("m.yaml", MANIFESTS)]))


def ends(conn: Connectivity) -> tuple[Endpoint, Endpoint]:
    client, web = conn.cluster.endpoint("app/client"), conn.cluster.endpoint("app/web")
    assert client is not None and web is not None
    return client, web


def test_without_rule_equals_the_map_of_the_cluster_without_it(cluster: Cluster) -> None:
    conn = Connectivity(cluster)
    client, web = ends(conn)
    assert conn.between(client, web).contains(TCP, 80)
    first = cluster.policies[0].ingress[0]
    variant = conn.without_rule(first)
    assert not variant.between(client, web).contains(TCP, 80)
    assert variant.class_of == conn.class_of
    (policy,) = variant.cluster.policies
    assert policy.ingress == cluster.policies[0].ingress[1:]
    fresh = Connectivity(variant.cluster)
    assert variant.class_matrix() == fresh.class_matrix()


def test_without_rule_leaves_the_original_alone(cluster: Cluster) -> None:
    conn = Connectivity(cluster)
    client, web = ends(conn)
    conn.without_rule(cluster.policies[0].ingress[0]).between(client, web)
    assert conn.between(client, web).contains(TCP, 80)
    assert conn.cluster is cluster


def test_without_a_rule_of_another_cluster_is_an_error(cluster: Cluster) -> None:
    other = compile_snapshot(load_texts([("m.yaml", MANIFESTS)]))
    with pytest.raises(ValueError, match=r"app/web ingress\[0\] from\[0\] ports\[0\]: not a "
                                         "rule of this cluster"):
        Connectivity(cluster).without_rule(other.policies[0].ingress[0])


def outside(name: str, address: str) -> Endpoint:
    return Endpoint(name, EndpointKind.NETWORK_SET, name, ips=(ipaddress.ip_address(address),))


def test_external_nodes_are_classes_after_the_pods(cluster: Cluster) -> None:
    office, internet = outside("office", "192.168.1.1"), outside("internet", "8.8.8.8")
    conn = Connectivity(cluster, external=(office, internet))
    client, web = ends(conn)
    assert conn.pods == (web, client) and conn.external == (office, internet)
    assert conn.endpoints == conn.pods + conn.external
    assert [conn.class_of[e.key] for e in conn.external] == [len(conn.classes) - 2,
                                                            len(conn.classes) - 1]
    assert conn.is_external(office) and not conn.is_external(web)
    assert str(conn.between(office, web)) == "TCP 443"
    assert not conn.between(internet, web)
    assert conn.between(web, internet).is_all  # web's egress is not isolated


def test_an_external_node_needs_an_address_and_no_policies(cluster: Cluster) -> None:
    web = cluster.endpoint("app/web")
    assert web is not None
    with pytest.raises(ValueError, match="app/web: an external node is a network set with an "
                                         "address"):
        Connectivity(cluster, external=(web,))
