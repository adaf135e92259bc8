"""Who can reach a Service, and which Services a pod can reach, backend by backend.

A Service is reached when its backends are: ``who_can_reach_service`` asks,
for each Service port and each ready backend, who can reach that backend on
its target port (the connectivity map's column), and says for each peer
group how many of the backends it reaches. Addresses outside the cluster
reach a Service only through its external frontends (NodePort,
LoadBalancer, external IPs); with ``externalTrafficPolicy: Cluster`` a
backend sees the node's address instead (see ``netwarden.engine.services``),
so what decides is whether that address may reach it.

``backed_services`` labels pods with the Services they back, for answers
that speak in Services (``who-can-reach``, ``reachable-from``, ``diff``,
the HTML report's grouping of backends under their Service).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..engine import Engine
from ..engine.services import check_service
from ..ir import Cluster, EndpointKind, KubeService, ServiceSet
from ..ir.services import protocol_name, protocol_number
from .external import ExternalConnectivity
from .queries import who_can_reach

__all__ = [
    "ServiceAnswer",
    "ServiceReach",
    "backed_services",
    "reachable_services",
    "service_groups",
    "service_ports_reached",
    "who_can_reach_service",
]


@dataclass(frozen=True, slots=True)
class ServiceReach:
    """One peer group and the backends of one Service port it reaches."""

    name: str
    members: tuple[str, ...]
    port: str
    reached: tuple[str, ...]
    total: int

    @property
    def text(self) -> str:
        n = len(self.reached)
        return f"all {self.total} backends" if n == self.total and n > 1 else (
            "the backend" if n == self.total else f"{n} of {self.total} backends")

    def record(self) -> dict[str, Any]:
        return {"peer": self.name, "pods": list(self.members), "port": self.port,
                "backends": list(self.reached), "total_backends": self.total,
                "text": self.text}


@dataclass(frozen=True, slots=True)
class ServiceAnswer:
    question: str
    subject: str
    protocol: str | None
    port: int | str | None
    peers: tuple[ServiceReach, ...]
    notes: tuple[str, ...] = ()

    def to_data(self) -> dict[str, Any]:
        return {"question": self.question, "subject": self.subject, "service": True,
                "protocol": self.protocol, "port": self.port,
                "peers": [p.record() for p in self.peers], "notes": list(self.notes)}


def who_can_reach_service(conn: ExternalConnectivity, service: KubeService,
                          protocol: str | int | None = None, port: int | str | None = None
                          ) -> ServiceAnswer:
    """Per Service port (the one ``port`` names, or all), who reaches how many backends."""
    proto = protocol_number(protocol) if protocol is not None else None
    indexes = _indexes(service, proto, port)
    notes: list[str] = []
    if not indexes:
        notes.append(f"{service.key} has no such port (its ports: "
                     f"{', '.join(str(p) for p in service.ports) or 'none'})")
    rows: list[ServiceReach] = []
    engine = Engine(conn.cluster)
    for index in indexes:
        mapping = service.ports[index]
        destinations = service.destinations(index)
        if not destinations:
            notes.append(f"{service.key} has no ready backend for {mapping}")
            continue
        reached: dict[str, set[str]] = {}
        members: dict[str, tuple[str, ...]] = {}
        for backend, target in destinations:
            endpoint = conn.cluster.endpoint(backend.key)
            if endpoint is None or endpoint.key not in conn.class_of:
                notes.append(f"{backend.key} is outside the cluster: only its clients' "
                             "egress policies apply")
                continue
            answer = who_can_reach(conn, endpoint, mapping.protocol, target)
            for peer in answer.peers:
                external = all(_outside(conn.cluster, m) for m in peer.members)
                if external and not (service.external
                                     and service.external_traffic_policy == "Local"):
                    continue  # no way in from outside, or seen as a node (below)
                reached.setdefault(peer.name, set()).add(backend.key)
                members[peer.name] = peer.members
        if service.external and service.external_traffic_policy != "Local":
            _external_rows(engine, service, index, reached, members)
        total = len(destinations)
        for name in sorted(reached):
            rows.append(ServiceReach(name, members[name], str(mapping),
                                     tuple(sorted(reached[name])), total))
    return ServiceAnswer("who-can-reach", service.key,
                         protocol_name(proto) if proto is not None else None, port,
                         tuple(rows), tuple(notes))


def _indexes(service: KubeService, proto: int | None, port: int | str | None) -> list[int]:
    """The Service ports asked: all (of ``proto``), or the one ``port`` names."""
    if port is None:
        return [i for i, p in enumerate(service.ports) if proto is None or p.protocol == proto]
    found = service.port_index(port, proto)
    return [] if found is None else [found]


_OUTSIDE = "any address outside the cluster"


def _outside(cluster: Cluster, key: str) -> bool:
    endpoint = cluster.endpoint(key)
    return endpoint is None or endpoint.kind is EndpointKind.NETWORK_SET


def _external_rows(engine: Engine, service: KubeService, index: int,
                   reached: dict[str, set[str]], members: dict[str, tuple[str, ...]]) -> None:
    """Outside clients with externalTrafficPolicy Cluster, as one peer: the backends see a
    node's address whoever the client is, so one client (TEST-NET-1) stands for all."""
    mapping = service.ports[index]
    (answer,) = check_service(engine, "192.0.2.1", service, mapping.port, mapping.protocol)
    got = {b.backend for b in answer.backends if b.allowed}
    if got:
        name = f"{_OUTSIDE} (seen as a node's address)"
        reached[name] = got
        members[name] = (name,)


def reachable_services(engine: Engine, source: str) -> list[dict[str, Any]]:
    """Every Service port ``source`` may connect to, with the backends it reaches."""
    out: list[dict[str, Any]] = []
    for service in engine.cluster.services:
        if service.type == "ExternalName":
            continue
        for proto in dict.fromkeys(p.protocol for p in service.ports):
            for answer in check_service(engine, source, service, None, proto):
                if answer.allowed_backends:
                    out.append({"service": service.key, "port": answer.port,
                                "backends": [b.backend for b in answer.allowed_backends],
                                "total_backends": len(answer.backends)})
    return out


def service_ports_reached(clusters: Iterable[Cluster], destinations: Iterable[str],
                          services: ServiceSet) -> tuple[str, ...]:
    """``staging/svc/backend 80/TCP (http)`` for each Service port whose backend among
    ``destinations`` receives it on a port of ``services``: a change of those
    connections is a change of that Service (``diff`` names it)."""
    keys = set(destinations)
    out: list[str] = []
    for cluster in clusters:
        for svc in cluster.services:
            for index, mapping in enumerate(svc.ports):
                if any(b.key in keys and services.contains(mapping.protocol, port)
                       for b, port in svc.destinations(index)):
                    label = f"{svc.key} {mapping}"
                    if label not in out:
                        out.append(label)
    return tuple(out)


def backed_services(cluster: Cluster) -> dict[str, tuple[str, ...]]:
    """Endpoint key → the keys of the Services it backs (ready or not), for labelling."""
    return {key: tuple(s.key for s in found)
            for key, found in ((e.key, cluster.services_of(e.key)) for e in cluster.endpoints)
            if found}


def service_groups(cluster: Cluster, keys: Iterable[str]) -> dict[str, list[str]]:
    """Group endpoint keys under the first Service each backs; the others under ``""``.

    The public hook for the HTML report and other grouped views: backends
    listed under their Service, pods that back none on their own.

    >>> service_groups(Cluster(), ["prod/a"])
    {'': ['prod/a']}
    """
    out: dict[str, list[str]] = {}
    for key in keys:
        found = cluster.services_of(key)
        out.setdefault(found[0].key if found else "", []).append(key)
    return out
