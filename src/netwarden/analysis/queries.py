"""Who can reach a pod, and what a pod can reach, read off the connectivity map.

Answers list peers by their key (``prod/web``, also for the endpoint a
workload's template stands for; ``workload`` says ``Deployment/web``); address
ranges outside the cluster that the policies name appear as peers too.

>>> answer = who_can_reach(conn, conn.cluster.endpoint("prod/db"), "TCP", 5432)  # doctest: +SKIP
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from .._errors import LookupFailed
from ..engine import Engine
from ..ir import Endpoint, ServiceSet
from ..ir.services import ECHO_REQUEST, protocol_name, protocol_number
from .external import ExternalConnectivity

__all__ = ["Answer", "Reach", "reachable_from", "resolve", "who_can_reach"]



@dataclass(frozen=True, slots=True)
class Reach:
    """One peer group and the services between it and the subject."""

    name: str
    namespace: str | None
    workload: str | None
    members: tuple[str, ...]
    services: ServiceSet

    def record(self) -> dict[str, Any]:
        return {"peer": self.name, "namespace": self.namespace, "workload": self.workload,
                "pods": list(self.members), "services": self.services.to_json(),
                "text": str(self.services)}


@dataclass(frozen=True, slots=True)
class Answer:
    question: str  # "who-can-reach" or "reachable-from"
    subject: str
    protocol: str | None
    port: int | None
    peers: tuple[Reach, ...]

    def to_data(self) -> dict[str, Any]:
        return {"question": self.question, "subject": self.subject,
                "protocol": self.protocol, "port": self.port,
                "peers": [p.record() for p in self.peers]}


def resolve(conn: ExternalConnectivity, name: str) -> Endpoint:
    """A pod key, ``ns/Kind/name`` of a workload, a pod name in default, or an IP."""
    subject = Engine(conn.cluster).resolve(name)
    if not isinstance(subject, Endpoint) or subject.key not in conn.class_of:
        raise LookupFailed(f"{name!r} is not a pod with an address in this input")
    return subject


def who_can_reach(conn: ExternalConnectivity, target: Endpoint, protocol: str | int | None = None,
                  port: int | None = None) -> Answer:
    return _answer(conn, target, "who-can-reach", protocol, port, incoming=True)


def reachable_from(conn: ExternalConnectivity, source: Endpoint,
                   protocol: str | int | None = None, port: int | None = None) -> Answer:
    return _answer(conn, source, "reachable-from", protocol, port, incoming=False)


def _answer(conn: ExternalConnectivity, subject: Endpoint, question: str,
            protocol: str | int | None, port: int | None, *, incoming: bool) -> Answer:
    proto = protocol_number(protocol) if protocol is not None else None
    value = ECHO_REQUEST.get(proto) if proto is not None and port is None else port
    me = conn.class_of[subject.key]
    n = len(conn.classes)
    column = [conn.class_pair(c, me) if incoming else conn.class_pair(me, c) for c in range(n)]
    groups: dict[tuple[str | None, str], list[Endpoint]] = defaultdict(list)
    services: dict[tuple[str | None, str], ServiceSet] = {}
    for peer in conn.endpoints:
        if peer.key == subject.key and not subject.replicated:
            continue  # loopback; a replicated subject's other replicas are peers
        allowed = column[conn.class_of[peer.key]]
        if proto is not None:
            if not allowed.contains(proto, value) if value is not None else \
                    not (allowed & ServiceSet.protocol(proto)):
                continue
            allowed = allowed & ServiceSet.protocol(proto)
            if value is not None:
                allowed = ServiceSet.ports(proto, [(value, value)])
        elif not allowed:
            continue
        key = (peer.namespace, peer.workload or peer.key)
        groups[key].append(peer)
        services[key] = services.get(key, ServiceSet.none()) | allowed
    peers = []
    for (ns, name), members in sorted(groups.items(), key=lambda kv: (kv[0][0] is None,
                                                                     kv[0][0] or "", kv[0][1])):
        workload = members[0].workload
        # One naming in every command: an endpoint's key (``prod/web``, also for the
        # endpoint a Deployment's template stands for); ``workload`` says its kind.
        label = members[0].key if len(members) == 1 else f"{ns}/{workload}"
        peers.append(Reach(label, ns, workload, tuple(sorted(e.key for e in members)),
                           services[(ns, name)]))
    return Answer(question, subject.key, protocol_name(proto) if proto is not None else None,
                  port, tuple(peers))
