"""Lint checks about Services (NW019-NW021) and the Services NW005 says no longer resolve."""

from __future__ import annotations

from netwarden.analysis.findings import Finding
from netwarden.analysis.lint import lint

from .svc_helpers import EXTERNAL, cluster, lb, pod, service

API = (pod("api", labels="{app: api}", ports="[{name: http, containerPort: 5000}]")
       + pod("client", labels="{app: client}")
       + service("apiserver", "selector: {app: api}\nports: [{port: 5001, targetPort: 5000}]"))


def _policy(ingress: str, selector: str = "{app: api}", name: str = "api") -> str:
    return (f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
            f"metadata: {{name: {name}, namespace: staging}}\n"
            f"spec:\n  podSelector: {{matchLabels: {selector}}}\n  ingress:\n{ingress}---\n")


def _found(text: str, check: str) -> list[Finding]:
    return [f for f in lint(cluster(text)) if f.id == check]


def test_nw019_a_rule_allowing_the_service_port_instead_of_the_target_port() -> None:
    text = API + _policy("  - ports: [{port: 5001}]\n")
    (finding,) = _found(text, "NW019")
    assert finding.message == (
        "staging/api ingress[0] ports[0] allows TCP 5001, the port of Service "
        "staging/svc/apiserver, but its backends staging/api receive it on TCP 5000 "
        "(targetPort 5000): policies see the packet after DNAT, so the allowed port is never "
        "used")
    assert finding.fix == "allow TCP 5000 (the targetPort) instead of the Service port"
    assert finding.location is not None and finding.location.line > 0


def test_nw019_is_quiet_when_the_target_port_is_allowed() -> None:
    assert not _found(API + _policy("  - ports: [{port: 5000}]\n"), "NW019")
    assert not _found(API + _policy("  - ports: [{port: http}]\n"), "NW019")


def test_nw020_an_ipblock_naming_a_cluster_ip() -> None:
    text = API + _policy("  - from: [{ipBlock: {cidr: 10.96.1.0/32}}]\n", "{app: client}",
                         "client")
    (finding,) = _found(text, "NW020")
    assert finding.message == (
        "staging/client ingress[0] from[0]: ipBlock 10.96.1.0/32 names the ClusterIP of "
        "staging/svc/apiserver; Service traffic is DNATed to the backend pods before policy "
        "sees it, so it never matches")


def test_nw020_an_ipblock_of_the_service_cidr() -> None:
    egress = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
              "metadata: {name: out, namespace: staging}\nspec:\n"
              "  podSelector: {matchLabels: {app: client}}\n  policyTypes: [Egress]\n"
              "  egress:\n  - to: [{ipBlock: {cidr: 10.96.0.0/12}}]\n---\n")
    (finding,) = _found(API + egress, "NW020")
    assert "names addresses of the service CIDR 10.96.0.0/12" in finding.message


def test_nw020_is_quiet_for_ranges_outside_the_service_cidr() -> None:
    assert not _found(API + _policy("  - from: [{ipBlock: {cidr: 0.0.0.0/0}}]\n"), "NW020")


def test_nw021_an_ingress_ipblock_behind_a_cluster_traffic_policy() -> None:
    (finding,) = _found(lb("Cluster"), "NW021")
    assert finding.message == (
        "default/frontend ingress[0] from[0] admits 203.0.113.0/24, but default/frontend "
        "back(s) default/svc/frontend-external (LoadBalancer, externalTrafficPolicy: Cluster): "
        "clients coming through it reach the pods from a node's address, which this ipBlock "
        "does not admit")


def test_nw021_is_quiet_with_local_or_an_internal_service() -> None:
    assert not _found(lb("Local"), "NW021")
    internal = EXTERNAL + service("web", "selector: {app: frontend}\nports: [{port: 80}]",
                                  ns="default")
    assert not _found(internal, "NW021")


def test_nw005_names_the_services_the_pods_can_no_longer_resolve() -> None:
    deny_egress = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                   "metadata: {name: client, namespace: staging}\nspec:\n"
                   "  podSelector: {matchLabels: {app: client}}\n  policyTypes: [Egress]\n"
                   "  egress:\n  - to: [{podSelector: {matchLabels: {app: api}}}]\n---\n")
    dns = (pod("coredns", ns="kube-system", labels="{k8s-app: kube-dns}",
               ports="[{name: dns, containerPort: 53, protocol: UDP}]")
           + service("kube-dns", "selector: {k8s-app: kube-dns}\nports: [{name: dns, port: 53, "
                                 "protocol: UDP, targetPort: dns}]", ns="kube-system"))
    (finding,) = _found(API + dns + deny_egress, "NW005")
    assert finding.message.endswith(
        "; the Services they may connect to do not resolve by name: "
        "apiserver.staging.svc.cluster.local")


def test_nw019_names_each_backends_port_for_a_named_target_port() -> None:
    text = (pod("api-1", labels="{app: api}", ports="[{name: http, containerPort: 5000}]")
            + pod("api-2", labels="{app: api}", ports="[{name: http, containerPort: 6000}]")
            + service("api", "selector: {app: api}\nports: [{port: 80, targetPort: http}]")
            + _policy("  - ports: [{port: 80}]\n"))
    (finding,) = _found(text, "NW019")
    assert "backends staging/api-1, staging/api-2 receive it on TCP 5000, 6000 (targetPort " \
           "http)" in finding.message
    assert finding.fix == ("allow TCP 5000, 6000 (the targetPort, or the port name http) "
                           "instead of the Service port")
