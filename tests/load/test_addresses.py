"""Addresses for pods that declare none: the documented, deterministic rule."""

from __future__ import annotations

import ipaddress

from netwarden.load.addresses import assign_addresses
from netwarden.resources.k8s import Meta, Pod

from .load_helpers import load


def pod(name: str, ns: str = "default", node: str | None = None, *ips: str) -> Pod:
    return Pod(Meta(name, ns), tuple(ipaddress.ip_address(i) for i in ips), node=node)


def addresses(pods: list[Pod]) -> list[str]:
    assigned, errors = assign_addresses(pods)
    assert errors == []
    return [", ".join(str(ip) for ip in p.ips) for p in assigned]


def test_hosts_from_2_in_namespace_then_name_order_keeping_input_order() -> None:
    pods = [pod("b", "x"), pod("a", "y"), pod("a", "x")]
    assert addresses(pods) == ["10.244.1.3", "10.244.1.4", "10.244.1.2"]


def test_each_node_gets_the_subnet_of_its_rank_among_sorted_node_names() -> None:
    pods = [pod("a", node="worker-b"), pod("b", node="worker-a"), pod("c")]
    # sorted nodes: node-1 (unscheduled), worker-a, worker-b
    assert addresses(pods) == ["10.244.3.2", "10.244.2.2", "10.244.1.2"]


def test_declared_addresses_are_kept_and_never_given_out_again() -> None:
    pods = [pod("a"), pod("z", "default", None, "10.244.1.2", "fd00::2"), pod("b")]
    assert addresses(pods) == ["10.244.1.3", "10.244.1.2, fd00::2", "10.244.1.4"]


def test_the_same_input_always_gets_the_same_addresses() -> None:
    pods = [pod(f"p{i}", f"ns{i % 3}", f"n{i % 2}") for i in range(20)]
    assert addresses(pods) == addresses(list(pods))
    assert sorted(addresses(pods)) == sorted(addresses(list(reversed(pods))))


def test_a_full_node_subnet_continues_in_the_next_unowned_block() -> None:
    pods = [pod(f"p{i:03}") for i in range(254)] + [pod("other", "default", "zz")]
    assigned, errors = assign_addresses(pods)
    assert errors == []
    assert str(assigned[252].ips[0]) == "10.244.1.254"
    assert str(assigned[253].ips[0]) == "10.244.3.2"  # node-1 owns 1.0/24, zz owns 2.0/24
    assert str(assigned[254].ips[0]) == "10.244.2.2"


def test_an_exhausted_pod_cidr_is_reported() -> None:
    pods = [pod(f"p{i:05}") for i in range(255 * 253 + 1)]
    _, errors = assign_addresses(pods)
    assert [str(e) for e in errors] == [
        "status.podIP: no free address left in 10.244.0.0/16; declare status.podIP"
    ]


def test_the_loader_assigns_addresses_to_pods_and_workloads() -> None:
    snap = load("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec: {template: {metadata: {labels: {app: web}}}}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: api}
    """)
    assert [str(p.ips[0]) for p in snap.pods] == ["10.244.1.3", "10.244.1.2"]
