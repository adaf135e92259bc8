"""who-can-reach a Service, reachable-from a pod in Services, and the grouping hook."""

from __future__ import annotations

from netwarden.analysis.diff import diff
from netwarden.analysis.external import ExternalConnectivity
from netwarden.analysis.service_queries import (
    reachable_services,
    service_groups,
    who_can_reach_service,
)
from netwarden.engine import Engine

from .svc_helpers import ADMIN, BACKENDS, EXTERNAL, ONLY_PORT_80, SVC, cluster, lb, pod, service


def _who(text: str, ns: str, name: str, port: int | str | None = None) -> list[tuple[str, str]]:
    c = cluster(text)
    svc = c.service(ns, name)
    assert svc is not None
    answer = who_can_reach_service(ExternalConnectivity(c), svc, None, port)
    return [(p.name, p.text) for p in answer.peers]


def test_who_can_reach_a_service_counts_the_backends_each_peer_reaches() -> None:
    assert _who(ADMIN + BACKENDS + SVC + ONLY_PORT_80, "staging", "backend", 80) == [
        ("admin/curl", "2 of 3 backends")]


def test_who_can_reach_takes_a_service_port_name() -> None:
    assert _who(ADMIN + BACKENDS + SVC + ONLY_PORT_80, "staging", "backend", "web") == [
        ("admin/curl", "2 of 3 backends")]


def test_outside_clients_reach_a_local_policy_service_as_themselves() -> None:
    assert _who(lb("Local"), "default", "frontend-external") == [
        ("203.0.113.0/24", "the backend")]


def test_outside_clients_of_a_cluster_policy_service_are_seen_as_a_node() -> None:
    assert _who(lb("Cluster"), "default", "frontend-external") == []
    opened = lb("Cluster").replace("cidr: 203.0.113.0/24", "cidr: 172.18.0.0/16")
    assert _who(opened, "default", "frontend-external") == [
        ("any address outside the cluster (seen as a node's address)", "the backend")]


def test_a_cluster_ip_service_is_not_reached_from_outside() -> None:
    text = EXTERNAL + service("web", "selector: {app: frontend}\nports: [{port: 80, "
                                     "targetPort: 8080}]", ns="default")
    assert _who(text, "default", "web") == []


def test_reachable_services_lists_the_service_ports_a_pod_reaches() -> None:
    engine = Engine(cluster(ADMIN + BACKENDS + SVC + ONLY_PORT_80))
    assert reachable_services(engine, "admin/curl") == [
        {"service": "staging/svc/backend", "port": "80/TCP (web)",
         "backends": ["staging/backend-1", "staging/backend-3"], "total_backends": 3}]


def test_service_groups_put_backends_under_their_service() -> None:
    c = cluster(ADMIN + BACKENDS + SVC + pod("lonely", labels="{app: x}"))
    assert service_groups(c, [e.key for e in c.pods]) == {
        "": ["admin/curl", "staging/lonely"],
        "staging/svc/backend": ["staging/backend-1", "staging/backend-2", "staging/backend-3"]}


def test_diff_names_the_service_port_of_a_changed_connection() -> None:
    before = cluster(ADMIN + BACKENDS + SVC)
    after = cluster(ADMIN + BACKENDS + SVC + ONLY_PORT_80)
    # backend-2 receives the Service's port 80 on 8080, which admin/curl lost
    assert diff(before, after).changes[0].text == (
        "lost: admin/curl -> staging/* (Service staging/svc/backend 80/TCP (web)) : "
        "TCP 1-79, 81-65535; every other protocol than TCP")
