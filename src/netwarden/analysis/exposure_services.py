"""Exposure through Services that take traffic from outside (NodePort, LoadBalancer, externalIPs).

Such a Service makes its ready backends reachable from addresses outside the
cluster, on each backend's target port, as far as the backends' ingress
policies let the connection in. Which source those policies see is the
engine's rule (``engine.services``): with ``externalTrafficPolicy: Cluster``
the entry node masquerades the client, so any outside address gets in when
the policies admit that node's address (the line names the entry nodes when
not every node lets it in); with ``Local`` the client's own address decides,
range by range, on the nodes that have a backend. ``loadBalancerSourceRanges`` limits the clients of
a load balancer.

Each answer comes from ``check_service`` from one address of every range
the policies (and the Service's source ranges) tell apart outside the
cluster, so the line says no more than the engine allows.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from ..engine import Engine
from ..engine.services import check_service
from ..ir import IPAddress, KubeService, ServiceSet
from ..ir.addresses import AddressSet
from .external import OTHER_V4, ranges

__all__ = ["service_lines"]

OUTSIDE = "any address outside the cluster"


def service_lines(engine: Engine, space: AddressSet) -> dict[str, list[ServiceLine]]:
    """Per backend pod key, the exposure lines its external Services give it.

    ``space`` holds the cluster's own addresses (pods, nodes, the pod CIDR);
    only ranges outside it are clients.
    """
    out: dict[str, list[ServiceLine]] = {}
    for service in engine.cluster.services:
        if not service.external or service.type == "ExternalName":
            continue
        sources = _sources(engine, service, space)
        everyone = [name for name, _ in sources]
        lines: dict[tuple[str, str], ServiceLine] = {}
        for mapping in service.ports:
            # (backend, target port) -> client range -> the entry nodes that let it in
            allowed: dict[tuple[str, int], dict[str, list[str]]] = {}
            how = ""
            for name, ip in sources:
                for answer in check_service(engine, ip, service, mapping.port,
                                            mapping.protocol):
                    if answer.frontend is None:
                        continue
                    how = f"{answer.frontend.kind} {answer.frontend}" + (
                        f" ({'; '.join(answer.notes)})" if answer.notes else "")
                    for backend in answer.backends:
                        if backend.allowed:
                            nodes = allowed.setdefault((backend.backend, backend.port),
                                                       {}).setdefault(name, [])
                            if backend.via_node is not None:
                                nodes.append(backend.via_node)
            every_node = sorted(engine.cluster.node_addresses)
            for (key, port), by_client in allowed.items():
                names = list(by_client)
                who = OUTSIDE if names == everyone else ", ".join(names)
                line = lines.setdefault((key, who), ServiceLine(service, who))
                line.services = line.services | ServiceSet.ports(mapping.protocol,
                                                                 [(port, port)])
                line.rules += (f"{service.key} port {mapping} via {how}"
                               + _entry_nodes(by_client, every_node),)
        for (key, _), line in lines.items():
            out.setdefault(key, []).append(line)
    return out


def _entry_nodes(by_client: dict[str, list[str]], every_node: list[str]) -> str:
    """`` entering by node-2 only`` when some node does not let the clients in."""
    nodes = sorted({n for ns in by_client.values() for n in ns})
    return "" if not nodes or nodes == every_node else \
        f", entering by {', '.join(nodes)} only"


class ServiceLine:
    """One Service's outside clients for one backend, on its target ports."""

    __slots__ = ("rules", "service", "services", "who")

    def __init__(self, service: KubeService, who: str) -> None:
        self.service, self.who = service, who
        self.services = ServiceSet.none()
        self.rules: tuple[str, ...] = ()

    @property
    def peer(self) -> str:
        return f"{self.who} through {self.service.type} Service {self.service.key}"


def _sources(engine: Engine, service: KubeService, space: AddressSet
             ) -> list[tuple[str, IPAddress]]:
    """One address per range outside the cluster that the policies tell apart."""
    out = []
    for node in ranges(engine.cluster.named_nets, service.source_ranges):
        outside = AddressSet(tuple(node.spans), ()) if node.version == 4 else \
            AddressSet((), tuple(node.spans))
        outside = outside - space
        first = _first(outside, node.version)
        if first is not None:
            name = "any other address outside the cluster" if node.name == OTHER_V4 \
                else node.name
            out.append((name, first))
    return out


def _first(addresses: AddressSet, version: int) -> IPAddress | None:
    spans: Iterable[tuple[int, int]] = addresses.family(version)
    for lo, _ in spans:
        return ipaddress.ip_address(lo) if version == 4 else ipaddress.IPv6Address(lo)
    return None
