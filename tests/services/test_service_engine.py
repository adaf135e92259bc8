"""Connections through a Service: each ready backend on its targetPort, after DNAT.

Policy semantics stay on pods; a Service only decides which pods, on which
ports, and (from outside) which source address the backend sees.
"""

from __future__ import annotations

import pytest

from netwarden.engine import Engine
from netwarden.engine.service_names import find_service
from netwarden.engine.services import ServiceVerdict, check_service

from .svc_helpers import ADMIN, BACKENDS, EXTERNAL, ONLY_PORT_80, SVC, cluster, lb, pod, service


def _check(text: str, src: str, name: str, port: int | str | None = 80,
           protocol: str = "TCP") -> ServiceVerdict:
    engine = Engine(cluster(text))
    ns, _, svc_name = name.partition("/svc/")
    (answer,) = check_service(engine, src, engine.cluster.service(ns, svc_name), port, protocol)
    return answer


def test_a_verdict_through_a_service_lists_each_backend_on_its_target_port() -> None:
    answer = _check(ADMIN + BACKENDS + SVC + ONLY_PORT_80, "admin/curl", "staging/svc/backend")
    assert [(b.backend, b.port, b.allowed) for b in answer.backends] == [
        ("staging/backend-1", 80, True), ("staging/backend-2", 8080, False),
        ("staging/backend-3", 80, True)]
    assert not answer.allowed
    assert answer.summary == (
        "allowed to 2 of 3 backends; denied to staging/backend-2 on port 8080: "
        "staging/backend-2 is isolated for ingress by staging/backend and no "
        "rule there allows TCP/8080")


def test_a_service_port_name_selects_the_port() -> None:
    answer = _check(ADMIN + BACKENDS + SVC, "admin/curl", "staging/svc/backend", "web")
    assert answer.port == "80/TCP (web)" and answer.allowed
    assert answer.summary == "allowed to all 3 backends"


def test_a_policy_on_the_service_port_does_not_open_a_different_target_port() -> None:
    """The classic mistake: the policy allows 5001, the pod listens on 5000."""
    text = (pod("api", ports="[{name: http, containerPort: 5000}]")
            + pod("client", labels="{app: client}")
            + service("apiserver", "selector: {role: backend}\nports: [{port: 5001, "
                                   "targetPort: 5000}]")
            + ONLY_PORT_80.replace("port: 80", "port: 5001").replace(
                "namespaceSelector: {matchLabels: {role: admin}}", "podSelector: {}"))
    answer = _check(text, "staging/client", "staging/svc/apiserver", 5001)
    assert [(b.backend, b.port, b.allowed) for b in answer.backends] == [
        ("staging/api", 5000, False)]


def test_a_connection_to_the_service_port_reaches_the_target_port_the_policy_allows() -> None:
    text = (pod("api", ports="[{name: http, containerPort: 5000}]")
            + pod("client", labels="{app: client}")
            + service("apiserver", "selector: {role: backend}\nports: [{port: 5001, "
                                   "targetPort: 5000}]")
            + ONLY_PORT_80.replace("port: 80", "port: 5000").replace(
                "namespaceSelector: {matchLabels: {role: admin}}", "podSelector: {}"))
    assert _check(text, "staging/client", "staging/svc/apiserver", 5001).allowed


def test_udp_service_ports_are_checked_as_udp() -> None:
    text = (pod("dns", labels="{role: dns}", ports="[{name: dns, containerPort: 5353, "
                                                  "protocol: UDP}]")
            + pod("client", labels="{app: client}")
            + service("dns", "selector: {role: dns}\nports: [{name: dns, port: 53, "
                             "protocol: UDP, targetPort: dns}]")
            + ONLY_PORT_80.replace("{role: backend}", "{role: dns}").replace(
                "ports: [{port: 80}]", "ports: [{port: 5353, protocol: UDP}]").replace(
                "namespaceSelector: {matchLabels: {role: admin}}", "podSelector: {}"))
    answer = _check(text, "staging/client", "staging/svc/dns", 53, "UDP")
    assert [(b.backend, b.port, b.allowed) for b in answer.backends] == [
        ("staging/dns", 5353, True)]
    assert answer.backends[0].verdict.packet.describe() == "UDP/5353"


def test_a_service_with_no_ready_backend_says_so() -> None:
    text = (ADMIN + pod("b1", status="{conditions: [{type: Ready, status: 'False'}]}") + SVC)
    answer = _check(text, "admin/curl", "staging/svc/backend")
    assert not answer.allowed and answer.backends == ()
    assert answer.summary == ("staging/svc/backend has no ready backend for 80/TCP (web): "
                              "the connection fails")
    assert answer.notes == ("not ready, so not a backend: staging/b1",)


def test_a_service_without_that_port_says_which_ports_it_has() -> None:
    answer = _check(ADMIN + BACKENDS + SVC, "admin/curl", "staging/svc/backend", 443)
    assert answer.summary == "staging/svc/backend has no TCP port 443 (its ports: 80/TCP (web))"


def test_internal_traffic_policy_local_keeps_to_backends_on_the_clients_node() -> None:
    text = (pod("client", labels="{app: client}").replace("spec:\n", "spec:\n  nodeName: n2\n")
            + pod("b1").replace("spec:\n", "spec:\n  nodeName: n1\n")
            + pod("b2").replace("spec:\n", "spec:\n  nodeName: n2\n")
            + service("backend", "selector: {role: backend}\ninternalTrafficPolicy: Local\n"
                                 "ports: [{port: 80}]"))
    answer = _check(text, "staging/client", "staging/svc/backend")
    assert [b.backend for b in answer.backends] == ["staging/b2"]


def test_from_outside_with_cluster_policy_the_backend_sees_a_node_address() -> None:
    answer = _check(lb("Cluster"), "203.0.113.7", "default/svc/frontend-external")
    assert str(answer.frontend) == "198.51.100.10:80/TCP"
    (backend,) = answer.backends
    assert backend.seen_source == "172.18.0.2 (node node-1)"
    assert not answer.allowed  # the ipBlock names the client's range, not the node's


def test_from_outside_with_local_policy_the_backend_sees_the_client() -> None:
    answer = _check(lb("Local"), "203.0.113.7", "default/svc/frontend-external")
    (backend,) = answer.backends
    assert backend.seen_source == "203.0.113.7" and answer.allowed


def test_a_node_port_service_is_entered_on_the_node_port() -> None:
    text = EXTERNAL + service("web", "type: NodePort\nexternalTrafficPolicy: Local\n"
                                     "selector: {app: frontend}\n"
                                     "ports: [{port: 80, targetPort: http, nodePort: 30080}]",
                              ns="default")
    answer = _check(text, "203.0.113.7", "default/svc/web", 30080)
    assert str(answer.frontend) == "<node>:30080/TCP" and answer.allowed


def test_a_cluster_ip_service_cannot_be_reached_from_outside() -> None:
    text = EXTERNAL + service("web", "selector: {app: frontend}\nports: [{port: 80}]",
                              ns="default")
    answer = _check(text, "203.0.113.7", "default/svc/web")
    assert answer.summary == ("not reachable from outside the cluster: default/svc/web is a "
                              "ClusterIP Service")


def test_load_balancer_source_ranges_drop_other_clients() -> None:
    text = lb("Local").replace("type: LoadBalancer\n",
                                "type: LoadBalancer\n  loadBalancerSourceRanges: [192.0.2.0/24]\n")
    answer = _check(text, "203.0.113.7", "default/svc/frontend-external")
    assert answer.summary == ("denied by the load balancer: 203.0.113.7 is outside "
                              "loadBalancerSourceRanges (192.0.2.0/24)")


def test_an_external_name_service_has_no_policy_effect_and_says_so() -> None:
    text = ADMIN + service("ext", "type: ExternalName\nexternalName: db.example.com")
    answer = _check(text, "admin/curl", "staging/svc/ext")
    assert not answer.allowed
    assert answer.summary == ("staging/svc/ext is an ExternalName Service (db.example.com): a "
                              "DNS alias that no policy sees; check the address that name "
                              "resolves to")


@pytest.mark.parametrize("name", ["backend.staging.svc.cluster.local", "backend.staging.svc",
                                  "backend.staging", "staging/svc/backend",
                                  "backend.staging.svc.cluster.local."])
def test_service_names_resolve(name: str) -> None:
    found = find_service(cluster(SVC), name)
    assert found is not None and found.key == "staging/svc/backend"


def test_a_headless_service_is_its_pods_addresses() -> None:
    text = ADMIN + BACKENDS + service("backend", "clusterIP: None\nselector: {role: backend}\n"
                                                 "ports: [{port: 80, targetPort: http}]")
    answer = _check(text, "admin/curl", "staging/svc/backend")
    assert str(answer.frontend) == "the pods' addresses:80/TCP" and answer.allowed
    # no DNAT: the client's port 80 on every pod, whatever targetPort says
    assert [b.port for b in answer.backends] == [80, 80, 80]


def test_a_target_port_name_names_an_unnamed_service_port() -> None:
    text = ADMIN + BACKENDS + service("backend", "selector: {role: backend}\n"
                                                 "ports: [{port: 80, targetPort: http}]")
    assert _check(text, "admin/curl", "staging/svc/backend", "http").port == "80/TCP"
