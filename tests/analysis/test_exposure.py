"""Exposure lines: a table of policies → what prod/db is open to, in selector terms.

The cluster is ``analysis_manifests.base()``: prod (db, api, web) and dev
(api), addresses in the default pod CIDR 10.244.0.0/16. Each case gives the
policies and the ingress (or egress) lines of prod/db as ``str(line)`` with
the existing workloads each line lists.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from netwarden import load_cluster
from netwarden.analysis.exposure import exposure
from netwarden.ir import Direction

from .analysis_manifests import base, netpol, ns, pod

DB = {"matchLabels": {"role": "db"}}
Lines = list[tuple[str, list[str]]]


def _ingress(*rules: dict[str, Any]) -> dict[str, Any]:
    return netpol("db", "prod", {"podSelector": DB, "policyTypes": ["Ingress"],
                                 "ingress": list(rules)})


def _egress(*rules: dict[str, Any]) -> dict[str, Any]:
    return netpol("db-out", "prod", {"podSelector": DB, "policyTypes": ["Egress"],
                                     "egress": list(rules)})


def _labelled_base() -> list[dict[str, Any]]:
    docs = base()
    docs[1] = ns("dev", team="payments")
    return docs


def _lines(load: Any, docs: list[dict[str, Any]], direction: Direction) -> Lines:
    report = exposure(load(*docs))
    side = report.workload("prod/db").side(direction)
    return [(str(line), list(line.existing)) for line in side.lines]


K8S_CASES: list[tuple[str, list[dict[str, Any]], Direction, Lines]] = [
    ("no policy: not isolated", [], Direction.INGRESS,
     [("entire cluster and outside : all ports", ["dev/api", "prod/api", "prod/web"])]),
    ("default deny: no line", [netpol("deny", "prod", {
        "podSelector": {}, "policyTypes": ["Ingress"]})], Direction.INGRESS, []),
    ("an empty rule admits every peer", [_ingress({})], Direction.INGRESS,
     [("entire cluster and outside : all ports", ["dev/api", "prod/api", "prod/web"])]),
    ("all namespaces, all pods: the entire cluster",
     [_ingress({"from": [{"namespaceSelector": {}}], "ports": [{"port": 5432}]})],
     Direction.INGRESS, [("entire cluster : TCP 5432", ["dev/api", "prod/api", "prod/web"])]),
    ("pod selector in its own namespace",
     [_ingress({"from": [{"podSelector": {"matchLabels": {"app": "api"}}}]})],
     Direction.INGRESS, [("pods with app=api in namespace prod : all ports", ["prod/api"])]),
    ("pod selector in other namespaces by label",
     [_ingress({"from": [{"namespaceSelector": {"matchLabels": {"team": "payments"}},
                          "podSelector": {"matchLabels": {"app": "api"}}}]})],
     Direction.INGRESS,
     [("pods with app=api in namespaces with team=payments : all ports", ["dev/api"])]),
    ("a namespace by name reads as the namespace",
     [_ingress({"from": [{"namespaceSelector": {"matchLabels": {
         "kubernetes.io/metadata.name": "dev"}}}]})],
     Direction.INGRESS, [("all pods in namespace dev : all ports", ["dev/api"])]),
    ("matchExpressions",
     [_ingress({"from": [{"namespaceSelector": {"matchExpressions": [
         {"key": "team", "operator": "Exists"}]}, "podSelector": {"matchExpressions": [
             {"key": "app", "operator": "NotIn", "values": ["web", "x"]},
             {"key": "canary", "operator": "DoesNotExist"}]}}]})],
     Direction.INGRESS,
     [("pods with app notin (web,x), !canary in namespaces with team : all ports",
       ["dev/api"])]),
    ("ipBlock with except, listing the pods inside it",
     [_ingress({"from": [{"ipBlock": {"cidr": "10.244.0.0/16",
                                      "except": ["10.244.2.0/24"]}}]})],
     Direction.INGRESS,
     [("10.244.0.0/16 except 10.244.2.0/24 : all ports", ["prod/api", "prod/web"])]),
    ("0.0.0.0/0 minus the pod range: outside the cluster",
     [_ingress({"from": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.244.0.0/16"]}}],
                "ports": [{"port": 443}]})],
     Direction.INGRESS, [("any IPv4 address outside the cluster : TCP 443", [])]),
    ("0.0.0.0/0 admits the cluster's IPv4 pods too",
     [_ingress({"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]})], Direction.INGRESS,
     [("any IPv4 address (the cluster's included) : all ports",
       ["dev/api", "prod/api", "prod/web"])]),
    ("ports, ranges and protocols merge on one line",
     [_ingress({"from": [{"podSelector": {}}], "ports": [
         {"port": 80}, {"port": 8000, "endPort": 8100}, {"protocol": "UDP", "port": 53}]})],
     Direction.INGRESS,
     [("all pods in namespace prod : TCP 80, 8000-8100; UDP 53", ["prod/api", "prod/web"])]),
    ("a named port resolves on the workload itself",
     [_ingress({"from": [{"podSelector": {}}], "ports": [{"port": "postgres"}]})],
     Direction.INGRESS, [("all pods in namespace prod : TCP 5432", ["prod/api", "prod/web"])]),
    ("a narrower line is folded into a wider one on the same ports",
     [_ingress({"from": [{"podSelector": {"matchLabels": {"app": "api"}}},
                         {"namespaceSelector": {}}]})],
     Direction.INGRESS, [("entire cluster : all ports", ["dev/api", "prod/api", "prod/web"])]),
    ("egress: a named port is the peer's",
     [_egress({"to": [{"namespaceSelector": {}}], "ports": [{"port": "dns"}]})],
     Direction.EGRESS,
     [("entire cluster : TCP port named dns", ["dev/api", "prod/api", "prod/web"])]),
]


@pytest.mark.parametrize("docs, direction, expected",
                         [c[1:] for c in K8S_CASES], ids=[c[0] for c in K8S_CASES])
def test_kubernetes_exposure_lines(load: Any, docs: list[dict[str, Any]],
                                   direction: Direction, expected: Lines) -> None:
    assert _lines(load, _labelled_base() + docs, direction) == expected


def _gnp(name: str, order: int, ingress: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
            "metadata": {"name": name},
            "spec": {"order": order, "selector": "role == 'db'", "types": ["Ingress"],
                     "ingress": ingress}}


def _anp(name: str, priority: int, ingress: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
            "metadata": {"name": name},
            "spec": {"priority": priority,
                     "subject": {"pods": {"namespaceSelector": {},
                                          "podSelector": {"matchLabels": {"role": "db"}}}},
                     "ingress": ingress}}


ALLOW_CLUSTER = _ingress({"from": [{"namespaceSelector": {}}]})

DENY_CASES: list[tuple[str, list[dict[str, Any]], Lines]] = [
    ("Calico: a Deny of one namespace before an Allow of all is an exception",
     [_gnp("deny-dev", 10, [
         {"action": "Deny", "source": {"namespaceSelector": "team == 'payments'"}},
         {"action": "Allow", "source": {"selector": "all()", "namespaceSelector": "all()"}}])],
     [("all endpoints in all namespaces, except all endpoints in namespaces with "
       "team=payments (denied by global:deny-dev ingress[0]) : all ports",
       ["prod/api", "prod/web"])]),
    ("Calico: a Deny of an address range is subtracted from the range",
     [_gnp("deny-net", 10, [
         {"action": "Deny", "source": {"nets": ["10.0.0.0/8"]}},
         {"action": "Allow", "source": {"nets": ["0.0.0.0/0"]}}])],
     [("0.0.0.0-9.255.255.255, 11.0.0.0-255.255.255.255 : all ports", [])]),
    ("Calico: a Deny on one port leaves the other ports whole",
     [_gnp("deny-5432", 10, [
         {"action": "Deny", "protocol": "TCP", "source": {"selector": "app == 'web'"},
          "destination": {"ports": [5432]}},
         {"action": "Allow", "source": {"selector": "app == 'web'"}}])],
     [("endpoints with app=web in any namespace or none : TCP 1-5431, 5433-65535; "
       "every other protocol than TCP", ["prod/web"])]),
    ("Calico: a Deny of what the Allow admits leaves nothing",
     [_gnp("deny-all-web", 10, [
         {"action": "Deny", "source": {"selector": "all()"}},
         {"action": "Allow", "source": {"selector": "app == 'web'"}}])],
     []),
    ("Calico: an Allow before the Deny wins for what it matches",
     [_gnp("web-first", 10, [
         {"action": "Allow", "source": {"selector": "app == 'web'"}},
         {"action": "Deny", "source": {"selector": "all()"}}])],
     [("endpoints with app=web in any namespace or none : all ports", ["prod/web"])]),
    ("ANP: Deny a namespace, NetworkPolicy allows the cluster",
     [_anp("no-dev", 10, [{"name": "d", "action": "Deny", "from": [
         {"namespaces": {"matchLabels": {"team": "payments"}}}]}]), ALLOW_CLUSTER],
     [("entire cluster, except all pods in namespaces with team=payments "
       "(denied by anp:no-dev ingress[0] from[0]) : all ports", ["prod/api", "prod/web"])]),
    ("ANP: a Deny of every pod takes the pods' addresses out of an ipBlock",
     [_anp("no-pods", 10, [{"name": "d", "action": "Deny", "from": [{"namespaces": {}}]}]),
      _ingress({"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]})],
     [("any IPv4 address outside the cluster : all ports", [])]),
    ("ANP: Allow beats a NetworkPolicy default deny",
     [_anp("api-in", 10, [{"name": "a", "action": "Allow", "from": [
         {"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "api"}}}}],
         "ports": [{"portNumber": {"protocol": "TCP", "port": 5432}}]}]),
      netpol("deny", "prod", {"podSelector": {}, "policyTypes": ["Ingress"]})],
     [("pods with app=api in all namespaces : TCP 5432", ["dev/api", "prod/api"])]),
    ("ANP: Pass hands a namespace to NetworkPolicy, which does not allow it",
     [_anp("pass-dev", 10, [
         {"name": "p", "action": "Pass", "from": [{"namespaces": {"matchLabels": {
             "team": "payments"}}}]},
         {"name": "a", "action": "Allow", "from": [{"namespaces": {}}]}]),
      _ingress({"from": [{"podSelector": {}}]})],
     [("entire cluster, except all pods in namespaces with team=payments (handed to later "
       "tiers by anp:pass-dev ingress[0] from[0]) : all ports", ["prod/api", "prod/web"])]),
]


@pytest.mark.parametrize("docs, expected", [c[1:] for c in DENY_CASES],
                         ids=[c[0] for c in DENY_CASES])
def test_deny_and_pass_take_their_peers_out(load: Any, docs: list[dict[str, Any]],
                                            expected: Lines) -> None:
    assert _lines(load, _labelled_base() + docs, Direction.INGRESS) == expected


def test_a_host_network_pod_is_open_because_no_policy_applies(load: Any) -> None:
    docs = [*base(), pod("agent", "prod", "10.244.1.20", host_network=True, role="db"),
            netpol("deny", "prod", {"podSelector": {}, "policyTypes": ["Ingress"]})]
    side = exposure(load(*docs)).workload("prod/agent").ingress
    assert not side.isolated
    assert [(str(line), line.rules) for line in side.lines] == [
        ("entire cluster and outside : all ports",
         ("not isolated: hostNetwork, so no policy applies to it",))]


def test_a_lone_pod_is_not_listed_as_its_own_peer(load: Any) -> None:
    docs = [*base(), netpol("api", "prod", {"podSelector": {"matchLabels": {"app": "api"}},
                                            "ingress": [{"from": [{"podSelector": {}}]}]})]
    (line,) = exposure(load(*docs)).workload("prod/api").ingress.lines
    assert line.existing == ("prod/db", "prod/web")


def test_a_rule_on_source_ports_clients_do_not_use_admits_nothing(load: Any) -> None:
    gnp = _gnp("low-ports", 10, [
        {"action": "Allow", "protocol": "TCP", "source": {"ports": ["1:1023"]}},
        {"action": "Allow", "protocol": "UDP", "source": {"ports": ["32768:60999"]}}])
    assert _lines(load, [*_labelled_base(), gnp], Direction.INGRESS) == [
        ("entire cluster and outside from source ports 32768-60999 : UDP",
         ["dev/api", "prod/api", "prod/web"])]


def test_an_address_line_whose_only_address_is_an_excepted_pod_is_dropped() -> None:
    """10.0.0.2 is a pod of a denied namespace: the nets rule admits nobody."""
    docs = [
        {"apiVersion": "v1", "kind": "Namespace",
         "metadata": {"name": "n0", "labels": {"env": "q"}}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p0", "namespace": "n0"},
         "spec": {"containers": [{"name": "c", "image": "x"}]},
         "status": {"podIP": "10.0.0.1"}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p1", "namespace": "n0"},
         "spec": {"containers": [{"name": "c", "image": "x"}]},
         "status": {"podIP": "10.0.0.2"}},
        {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
         "metadata": {"name": "calico"},
         "spec": {"order": 10, "selector": "all()", "types": ["Ingress"],
                  "ingress": [
                      {"action": "Deny", "source": {"namespaceSelector": "env == 'q'"}},
                      {"action": "Allow", "source": {"nets": ["10.0.0.2/32"]}}]}},
    ]
    cluster = load_cluster(["-"], stdin=io.StringIO(
        "".join(f"---\n{json.dumps(d)}\n" for d in docs)))
    ingress = exposure(cluster).workload("n0/p0").side(Direction.INGRESS)
    assert [line.peer for line in ingress.lines] == []


# -- egress on named ports: a name counts where its number is still undecided ---------
def _anp_out(*egress: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
            "metadata": {"name": "out"},
            "spec": {"priority": 10, "egress": list(egress),
                     "subject": {"pods": {"namespaceSelector": {},
                                          "podSelector": {"matchLabels": {"role": "db"}}}}}}


def _gnp_out(*egress: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
            "metadata": {"name": "out"},
            "spec": {"order": 10, "selector": "role == 'db'", "types": ["Egress"],
                     "egress": list(egress)}}


PASS_DNS = {"name": "p", "action": "Pass", "to": [{"namespaces": {}}],
            "ports": [{"namedPort": "dns"}]}
DENY_PODS = {"name": "d", "action": "Deny", "to": [{"namespaces": {}}]}
EVERYONE = ["dev/api", "prod/api", "prod/web"]

NAMED_CASES: list[tuple[str, list[dict[str, Any]], Lines]] = [
    ("a Deny of a number first: the name counts where it is another number",
     [_anp_out({"name": "d", "action": "Deny", "to": [{"namespaces": {}}],
                "ports": [{"portNumber": {"protocol": "UDP", "port": 53}}]}),
      _egress({"to": [{"namespaceSelector": {}}], "ports": [{"port": "dns", "protocol": "UDP"}]})],
     [("entire cluster : UDP port named dns unless it is UDP 53", EVERYONE)]),
    ("a Pass of a named port, then a NetworkPolicy allowing every port: all ports",
     [_anp_out(PASS_DNS), _egress({"to": [{"namespaceSelector": {}}]})],
     [("entire cluster : all ports", EVERYONE)]),
    ("a Pass of a named port, then a NetworkPolicy on the same name",
     [_anp_out(PASS_DNS, DENY_PODS),
      _egress({"to": [{"namespaceSelector": {}}], "ports": [{"port": "dns", "protocol": "UDP"}]})],
     [("entire cluster : UDP port named dns", EVERYONE)]),
    ("a Pass of a named port, then a Calico Deny of a number and an Allow",
     [_anp_out(PASS_DNS, DENY_PODS),
      _gnp_out({"action": "Deny", "protocol": "TCP", "destination": {"ports": [53]}},
               {"action": "Allow"})],
     [("entire cluster : TCP port named dns unless it is TCP 53", EVERYONE),
      ("entire cluster : UDP port named dns", EVERYONE),
      ("entire cluster : SCTP port named dns", EVERYONE),
      ("any IPv4 address outside the cluster; any IPv6 address : TCP 1-52, 54-65535; every "
       "other protocol than TCP", [])]),
]


@pytest.mark.parametrize("docs, expected", [c[1:] for c in NAMED_CASES],
                         ids=[c[0] for c in NAMED_CASES])
def test_egress_named_ports_are_followed_through_tiers(load: Any, docs: list[dict[str, Any]],
                                                      expected: Lines) -> None:
    report = exposure(load(*_labelled_base(), *docs))
    assert [(str(line), list(line.existing))
            for line in report.workload("prod/db").egress.lines] == expected
    assert report.notes == ()


def test_a_passed_name_meeting_rules_on_other_names_is_a_note(load: Any) -> None:
    docs = [_anp_out(PASS_DNS, DENY_PODS),
            _egress({"to": [{"namespaceSelector": {}}], "ports": [{"port": "http"}]})]
    assert exposure(load(*_labelled_base(), *docs)).notes == (
        "an egress Pass on named ports hands those ports to later tiers, whose rules on "
        "other port names the lines do not follow (two names may stand for one number on "
        "some peer): they may show less than is allowed",)
