"""Connections through a Service: the connection to each ready backend, after DNAT.

kube-proxy (and every network plugin's Service implementation) rewrites the
destination of the first packet from a frontend (ClusterIP:port, a NodePort,
a LoadBalancer address) to one ready backend and its target port; network
policy then sees the rewritten packet. So the answer for a Service is the
engine's answer for each backend on its target port, and a Service verdict
lists them: "allowed to 2 of 3 backends; denied to staging/b2 by ...".

Where the connection comes from decides the frontend and the source address
the backend sees:

- A pod connects to the ClusterIP: the backend sees the pod. With
  ``internalTrafficPolicy: Local`` only backends on the client's node take it.
- An address outside the cluster connects to a LoadBalancer address (or an
  external IP) on the Service port, else to a NodePort (a ClusterIP Service
  cannot be reached from outside). The client enters by one node, and the
  answer is per entry node (``EntryVerdict``): a NodePort or an external IP
  may be entered by every node (``Cluster.node_addresses``); a load
  balancer sends to every node with ``Cluster`` and, with ``Local``, only to
  the nodes with a ready backend (the others fail its health check). With
  ``externalTrafficPolicy: Cluster`` the entry node masquerades the
  connection: every backend, wherever it runs, sees the entry node's
  address, not the client's, so one node may be allowed where another is
  not ("allowed via node-2 only"). With ``Local`` the backend sees the
  client, and an entry node sends only to its own backends (a NodePort
  entered by a node without one fails). ``via_node`` pins the entry node.
  ``loadBalancerSourceRanges`` drops other clients at the load balancer.

>>> from netwarden.compile import compile_snapshot
>>> from netwarden.load import load_texts
>>> engine = Engine(compile_snapshot(load_texts([("s.yaml", '''
... apiVersion: v1
... kind: Pod
... metadata: {name: web, namespace: prod, labels: {app: web}}
... spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}
... ---
... apiVersion: v1
... kind: Service
... metadata: {name: web, namespace: prod}
... spec: {selector: {app: web}, ports: [{port: 80, targetPort: http}]}
... ''')])))
>>> (answer,) = check_service(engine, "10.244.9.9", engine.cluster.service("prod", "web"), 80)
>>> answer.summary
'not reachable from outside the cluster: prod/svc/web is a ClusterIP Service'
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..ir import Endpoint, IPAddress
from ..ir.kube_services import DEFAULT_NODE, Backend, Frontend, FrontendKind, KubeService
from ..ir.services import TCP, protocol_name, protocol_number
from .engine import Engine, Subject
from .verdict import Verdict

__all__ = ["BackendVerdict", "EntryVerdict", "ServiceVerdict", "check_service"]


@dataclass(frozen=True, slots=True)
class BackendVerdict:
    """One backend's answer: its target port and the engine's verdict for it."""

    backend: str
    port: int
    verdict: Verdict
    seen_source: str  # the source address the backend sees (a node's, after SNAT)
    via_node: str | None = None  # the node an outside client entered by

    @property
    def allowed(self) -> bool:
        return self.verdict.allowed

    def to_json(self) -> dict[str, Any]:
        decided = [s for s in self.verdict.sides if s.decided_by is not None]
        return {"backend": self.backend, "port": self.port, "allowed": self.allowed,
                "source_seen": self.seen_source, "via_node": self.via_node,
                "reasons": self.verdict.reasons,
                "decided_by": [str(s.decided_by.origin) for s in decided
                               if s.decided_by is not None]}


@dataclass(frozen=True, slots=True)
class EntryVerdict:
    """The answer when an outside client enters by one node: ``address`` is that
    node's, ``backends`` the ones it sends to, ``problem`` why it takes nothing."""

    node: str
    address: str | None
    backends: tuple[BackendVerdict, ...] = ()
    problem: str | None = None

    @property
    def allowed(self) -> bool:
        return self.problem is None and bool(self.backends) and all(
            b.allowed for b in self.backends)

    @property
    def summary(self) -> str:
        return self.problem if self.problem is not None else _backends_summary(self.backends)

    def to_json(self) -> dict[str, Any]:
        return {"node": self.node, "address": self.address, "allowed": self.allowed,
                "summary": self.summary, "backends": [b.to_json() for b in self.backends]}


@dataclass(frozen=True, slots=True)
class ServiceVerdict:
    """The answer for one Service port: every ready backend's verdict.

    ``allowed`` is true when the connection is allowed to every backend it
    may be sent to (and there is at least one); ``backends`` is empty when no
    backend takes the connection, and ``summary`` says why. From outside,
    ``entries`` holds the answer per entry node (``backends`` is all of
    theirs): allowed when every node that takes the connection allows it.
    """

    service: str
    source: str
    frontend: Frontend | None
    port: str
    protocol: int
    backends: tuple[BackendVerdict, ...] = ()
    not_ready: tuple[str, ...] = ()
    unresolved: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    problem: str | None = None  # why no backend takes the connection
    entries: tuple[EntryVerdict, ...] = ()

    @property
    def allowed(self) -> bool:
        if self.entries:
            taking = [e for e in self.entries if e.problem is None]
            return bool(taking) and all(e.allowed for e in taking)
        return bool(self.backends) and all(b.allowed for b in self.backends)

    @property
    def allowed_backends(self) -> tuple[BackendVerdict, ...]:
        return tuple(b for b in self.backends if b.allowed)

    @property
    def summary(self) -> str:
        """``allowed to 2 of 3 backends; denied to staging/b2 by ...``."""
        if self.problem is not None:
            return self.problem
        if self.entries:
            return _entries_summary(self.entries)
        return _backends_summary(self.backends)

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service, "from": self.source,
            "frontend": str(self.frontend) if self.frontend else None,
            "frontend_kind": self.frontend.kind if self.frontend else None,
            "port": self.port, "protocol": protocol_name(self.protocol),
            "allowed": self.allowed, "summary": self.summary,
            "allowed_backends": len(self.allowed_backends), "total_backends": len(self.backends),
            "backends": [b.to_json() for b in self.backends],
            "not_ready": list(self.not_ready), "without_target_port": list(self.unresolved),
            "notes": list(self.notes),
            "via_nodes": [e.to_json() for e in self.entries] if self.entries else None,
        }


def _backends_summary(backends: tuple[BackendVerdict, ...]) -> str:
    """``allowed to 2 of 3 backends; denied to staging/b2 on port 80: ...``."""
    n, total = sum(1 for b in backends if b.allowed), len(backends)
    if n == total:
        return f"allowed to {'the' if total == 1 else 'all'} {_backends(total)}"
    denied = "; ".join(f"denied to {b.backend} on port {b.port}: {_why(b.verdict)}"
                       for b in backends if not b.allowed)
    head = "denied to every backend" if n == 0 else f"allowed to {n} of {_backends(total)}"
    return f"{head}; {denied}"


def _entries_summary(entries: tuple[EntryVerdict, ...]) -> str:
    """``allowed via every node``, ``allowed via node-2 only; via node-1 (172.18.0.2): ...``."""
    good = [e.node for e in entries if e.allowed]
    rest = [f"via {e.node}{f' ({e.address})' if e.address else ''}: {e.summary}"
            for e in entries if not e.allowed or len(entries) == 1]
    if len(entries) == 1:
        return rest[0]
    if len(good) == len(entries):
        head = "allowed via every node"
    elif good:
        head = f"allowed via {', '.join(good)} only"
    else:
        head = "denied via every node"
    return "; ".join([head, *rest])


def _backends(n: int) -> str:
    return f"{n} backend" if n == 1 else f"{n} backends"


def _why(verdict: Verdict) -> str:
    for side in verdict.sides:
        if not side.allowed:
            return side.reason.removeprefix("denied: ")
    return ""


def check_service(
    engine: Engine, src: str | Subject, service: KubeService | None,
    port: int | str | None = None, protocol: str | int = TCP, via_node: str | None = None,
) -> tuple[ServiceVerdict, ...]:
    """The answer for each Service port that ``port`` names (every port of ``protocol``
    when None): a number is a Service port (or, from outside, a node port), a
    name a Service port's name. From outside, the answer is per entry node, or
    for ``via_node`` alone (a node of ``Cluster.node_addresses``; ValueError
    for another, or for a client inside the cluster)."""
    assert service is not None
    source = engine.resolve(src)
    proto = protocol_number(protocol)
    shown = _name(source)
    if via_node is not None:
        if isinstance(source, Endpoint):
            raise ValueError(f"--via-node {via_node}: {shown} is inside the cluster; only a "
                             "client outside it enters by a node")
        if via_node not in _node_names(engine):
            raise ValueError(f"--via-node {via_node}: no such node (the cluster's nodes: "
                             f"{', '.join(_node_names(engine))})")
    if service.type == "ExternalName":
        return (ServiceVerdict(service.key, shown, None, str(port or ""), proto, problem=(
            f"{service.key} is an ExternalName Service ({service.external_name}): a DNS "
            "alias that no policy sees; check the address that name resolves to")),)
    indexes = _port_indexes(service, port, proto, external=not isinstance(source, Endpoint))
    if not indexes:
        have = ", ".join(str(p) for p in service.ports) or "none"
        return (ServiceVerdict(service.key, shown, None, str(port or ""), proto, problem=(
            f"{service.key} has no {protocol_name(proto)} port"
            f"{'' if port is None else f' {port}'} (its ports: {have})")),)
    return tuple(_one(engine, source, service, i, via_node) for i in indexes)


def _node_names(engine: Engine) -> list[str]:
    return sorted(engine.cluster.node_addresses) or [DEFAULT_NODE]


def _port_indexes(service: KubeService, port: int | str | None, proto: int, *,
                  external: bool) -> list[int]:
    if port is None:
        return [i for i, p in enumerate(service.ports) if p.protocol == proto]
    index = service.port_index(port, proto)
    if index is None and external and isinstance(port, int):
        index = service.node_port_index(port, proto)
    return [] if index is None else [index]


def _one(engine: Engine, source: Subject, service: KubeService, index: int,
         via_node: str | None = None) -> ServiceVerdict:
    mapping = service.ports[index]
    label = str(mapping)
    not_ready = tuple(b.key for b in service.backends if not b.ready)
    unresolved = tuple(b.key for b in service.unresolved(index))
    destinations = service.destinations(index)
    notes: list[str] = []
    if unresolved:
        notes.append(f"{', '.join(unresolved)} declare(s) no {protocol_name(mapping.protocol)} "
                     f"container port named {mapping.target!r}: not a backend for {label}")
    if not_ready:
        notes.append(f"not ready, so not a backend: {', '.join(not_ready)}")
    external = not isinstance(source, Endpoint)
    frontend = _frontend(service, index, external)
    answer = ServiceVerdict(service.key, _name(source), frontend, label, mapping.protocol,
                            not_ready=not_ready, unresolved=unresolved)
    if frontend is None:
        return replace(answer, notes=tuple(notes), problem=(
            f"not reachable from outside the cluster: {service.key} is a {service.type} "
            "Service"))
    if (not isinstance(source, Endpoint) and frontend.kind == FrontendKind.LOAD_BALANCER
            and service.source_ranges
            and not any(source in net for net in service.source_ranges)):
        ranges = ", ".join(str(n) for n in service.source_ranges)
        return replace(answer, notes=tuple(notes), problem=(
            f"denied by the load balancer: {source} is outside loadBalancerSourceRanges "
            f"({ranges})"))
    if frontend.kind == FrontendKind.HEADLESS:
        # No DNAT: the name resolves to the pods, and the client connects on its own port.
        destinations = tuple((b, mapping.port) for b in service.ready_backends)
        notes.append(f"headless: clients connect to the pods' addresses on port "
                     f"{mapping.port} themselves; no targetPort mapping applies")
    local_node = None
    if isinstance(source, Endpoint) and service.internal_traffic_policy == "Local":
        local_node = source.node or DEFAULT_NODE
        destinations = tuple((b, p) for b, p in destinations
                             if (b.node or DEFAULT_NODE) == local_node)
        notes.append(f"internalTrafficPolicy: Local: only backends on {local_node} take it")
    if not destinations:
        why = f"no ready backend on {local_node}" if local_node is not None else "no ready backend"
        return replace(answer, notes=tuple(notes),
                       problem=f"{service.key} has {why} for {label}: the connection fails")
    if not external:
        verdicts = tuple(_backend(engine, source, b, port, mapping.protocol, None)
                         for b, port in destinations)
        return replace(answer, backends=verdicts, notes=tuple(notes))
    local = service.external_traffic_policy == "Local"
    notes.append("externalTrafficPolicy: Local: an entry node sends only to its own "
                 "backends, which see the client's address" if local else
                 "externalTrafficPolicy: Cluster: the entry node masquerades the client, so "
                 "every backend sees that node's address")
    nodes = [via_node] if via_node is not None else _node_names(engine)
    if local and frontend.kind == FrontendKind.LOAD_BALANCER and via_node is None:
        with_backend = {b.node or DEFAULT_NODE for b, _ in destinations}
        skipped = [n for n in nodes if n not in with_backend]
        nodes = [n for n in nodes if n in with_backend] or nodes
        if skipped:
            notes.append(f"the load balancer sends to nodes with a ready backend only "
                         f"(not to {', '.join(skipped)})")
    entries = tuple(_entry(engine, source, node, destinations, mapping.protocol, local)
                    for node in nodes)
    return replace(answer, backends=tuple(b for e in entries for b in e.backends),
                   entries=entries, notes=tuple(notes))


def _entry(engine: Engine, source: Subject, node: str,
           destinations: tuple[tuple[Backend, int], ...], protocol: int,
           local: bool) -> EntryVerdict:
    """Entering by ``node``: with Local its own backends see the client, with Cluster
    every backend sees the node's address."""
    address = engine.cluster.node_address(node)
    if local:
        destinations = tuple((b, p) for b, p in destinations
                             if (b.node or DEFAULT_NODE) == node)
        if not destinations:
            return EntryVerdict(node, _opt(address), problem=(
                f"{node} has no ready backend (externalTrafficPolicy: Local): the "
                "connection fails"))
    seen_from = None if local else (node, address)
    return EntryVerdict(node, _opt(address), tuple(
        replace(_backend(engine, source, b, port, protocol, seen_from), via_node=node)
        for b, port in destinations))


def _opt(address: object | None) -> str | None:
    return None if address is None else str(address)


def _frontend(service: KubeService, index: int, external: bool) -> Frontend | None:
    """The frontend a client uses: the ClusterIP inside; from outside, a load
    balancer address, an external IP, else a NodePort."""
    fronts = [f for f in service.frontends if f.port_index == index]
    if not external:
        inside = [f for f in fronts if f.kind == FrontendKind.CLUSTER_IP]
        return inside[0] if inside else _headless(service, index)
    for kind in (FrontendKind.LOAD_BALANCER, FrontendKind.EXTERNAL_IP, FrontendKind.NODE_PORT):
        found = [f for f in fronts if f.kind == kind]
        if found:
            return found[0]
    return None


def _headless(service: KubeService, index: int) -> Frontend | None:
    """A headless Service: clients resolve the pods' addresses and connect to them."""
    mapping = service.ports[index]
    return Frontend(FrontendKind.HEADLESS, None, mapping.port, mapping.protocol, index) \
        if service.headless else None


def _backend(engine: Engine, source: Subject, backend: Backend, port: int, protocol: int,
             snat: tuple[str, IPAddress | None] | None) -> BackendVerdict:
    """``snat``: the entry node and its address, which the backend sees instead of the
    client's."""
    target: Subject = engine.cluster.endpoint(backend.key) or backend.ip
    src: Subject = source
    seen = _name(source)
    node, ip = snat if snat is not None else ("", None)
    if ip is not None:
        src = engine.cluster.endpoint_at(ip) or ip
        seen = f"{_name(src)} (node {node})"
    verdict = engine.check(src, target, protocol, port)
    return BackendVerdict(backend.key, port, verdict, seen)


def _name(subject: Subject) -> str:
    return subject.key if isinstance(subject, Endpoint) else str(subject)

