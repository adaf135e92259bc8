"""What the loader fills in that a manifest leaves out, and what each kind becomes."""

from __future__ import annotations

import ipaddress

import pytest

from netwarden.load import load_texts
from netwarden.resources.k8s import (
    ContainerPort,
    LabelSelector,
    LabelSelectorRequirement,
    NetworkPolicyPort,
)

from .load_helpers import errors, load, load_policy, np_yaml


def test_a_namespaced_object_without_namespace_is_in_default() -> None:
    snap = load("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n")
    assert snap.pods[0].meta.namespace == "default"


def test_a_namespace_always_has_its_metadata_name_label_even_if_written_otherwise() -> None:
    snap = load("""\
    apiVersion: v1
    kind: Namespace
    metadata:
      name: prod
      labels: {team: a, kubernetes.io/metadata.name: other}
    """)
    (ns,) = snap.namespaces
    assert ns.meta.namespace is None
    assert dict(ns.meta.labels) == {"team": "a", "kubernetes.io/metadata.name": "prod"}


def test_policy_types_default_to_ingress_only_without_egress_rules() -> None:
    assert load_policy("podSelector: {}\negress: []").policy_types == ("Ingress",)


def test_policy_types_default_to_both_when_egress_rules_exist() -> None:
    assert load_policy("egress: [{}]").policy_types == ("Ingress", "Egress")


def test_explicit_policy_types_are_kept() -> None:
    assert load_policy("policyTypes: [Egress]\ningress: [{}]").policy_types == ("Egress",)


def test_absent_pod_selector_selects_every_pod() -> None:
    assert load_policy("ingress: []").pod_selector.is_empty


@pytest.mark.parametrize("ingress", ["", "ingress: null", "ingress: []"],
                         ids=["absent", "null", "empty"])
def test_absent_or_null_ingress_means_no_rules(ingress: str) -> None:
    assert load_policy(f"podSelector: {{}}\n{ingress}").ingress == ()


def test_an_empty_rule_has_no_peers_and_no_ports() -> None:
    (rule,) = load_policy("ingress: [{}]").ingress
    assert (rule.peers, rule.ports) == ((), ())


def test_an_empty_port_means_every_tcp_port() -> None:
    (rule,) = load_policy("ingress: [{ports: [{}]}]").ingress
    assert rule.ports == (NetworkPolicyPort("TCP", None, None),)


def test_ports_keep_numbers_names_and_ranges() -> None:
    (rule,) = load_policy(
        "egress: [{ports: [{port: 53, protocol: UDP}, {port: http}, {port: 8000, endPort: 8100}]}]"
    ).egress
    assert rule.ports == (
        NetworkPolicyPort("UDP", 53),
        NetworkPolicyPort("TCP", "http"),
        NetworkPolicyPort("TCP", 8000, 8100),
    )


def test_peers_keep_selectors_and_ip_blocks() -> None:
    (rule,) = load_policy("""
        ingress:
        - from:
          - namespaceSelector: {matchLabels: {team: a}}
            podSelector:
              matchExpressions: [{key: tier, operator: In, values: [web, api]}]
          - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
        """).ingress
    selectors, block = rule.peers
    assert selectors.namespace_selector == LabelSelector((("team", "a"),))
    assert selectors.pod_selector == LabelSelector(
        (), (LabelSelectorRequirement("tier", "In", ("web", "api")),)
    )
    assert block.ip_block is not None
    assert block.ip_block.cidr == ipaddress.ip_network("10.0.0.0/8")
    assert block.ip_block.except_ == (ipaddress.ip_network("10.1.0.0/16"),)


def test_a_cidr_with_host_bits_is_read_as_its_network_with_a_warning() -> None:
    snap = load_texts([("np.yaml", np_yaml("ingress: [{from: [{ipBlock: {cidr: 10.0.0.1/24}}]}]"))])
    block = snap.network_policies[0].ingress[0].peers[0].ip_block
    assert block is not None and block.cidr == ipaddress.ip_network("10.0.0.0/24")
    assert snap.warnings == (
        'np.yaml:7: spec.ingress[0].from[0].ipBlock.cidr: CIDR value "10.0.0.1/24" has bits set '
        "beyond the prefix length; read as 10.0.0.0/24 (the API server accepts it with a "
        "warning: 10.0.0.0/24 or 10.0.0.1/32?)",
    )


def test_a_pod_keeps_its_fields_and_declared_addresses() -> None:
    snap = load("""\
    apiVersion: v1
    kind: Pod
    metadata: {name: web, namespace: shop, labels: {app: web}}
    spec:
      nodeName: worker-2
      hostNetwork: false
      serviceAccountName: web-sa
      containers:
      - ports: [{containerPort: 8080, name: http}, {containerPort: 53, protocol: UDP}]
    status:
      podIP: 10.1.2.3
      podIPs: [{ip: 10.1.2.3}, {ip: "fd00::3"}]
    """)
    (pod,) = snap.pods
    assert dict(pod.meta.labels) == {"app": "web"}
    assert pod.ports == (ContainerPort(8080, "TCP", "http"), ContainerPort(53, "UDP"))
    assert (pod.node, pod.host_network, pod.service_account) == ("worker-2", False, "web-sa")
    assert pod.ips == (ipaddress.ip_address("10.1.2.3"), ipaddress.ip_address("fd00::3"))
    assert pod.workload is None


TEMPLATE = """
    template:
      metadata: {labels: {app: web}}
      spec:
        serviceAccountName: web-sa
        containers: [{ports: [{containerPort: 80, name: http}]}]
"""


@pytest.mark.parametrize(
    ("api", "kind", "spec"),
    [
        ("apps/v1", "Deployment", TEMPLATE),
        ("apps/v1", "ReplicaSet", TEMPLATE),
        ("apps/v1", "StatefulSet", TEMPLATE),
        ("apps/v1", "DaemonSet", TEMPLATE),
        ("batch/v1", "Job", TEMPLATE),
        ("batch/v1", "CronJob", "\n    jobTemplate:\n      spec:"
         + TEMPLATE.replace("\n", "\n    ")),
    ],
    ids=["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob"],
)
def test_a_workload_becomes_one_pod_from_its_template(api: str, kind: str, spec: str) -> None:
    snap = load(f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: web, namespace: shop}}\n"
                f"spec:{spec}")
    (pod,) = snap.pods
    assert (pod.meta.name, pod.meta.namespace, pod.workload) == ("web", "shop", f"{kind}/web")
    assert dict(pod.meta.labels) == {"app": "web"}
    assert pod.ports == (ContainerPort(80, "TCP", "http"),)
    assert pod.service_account == "web-sa"


def test_a_workload_without_template_is_an_error() -> None:
    assert errors("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {}\n") == [
        "test.yaml:4: spec.template: is required"
    ]
