"""``matrix --services``: the connectivity matrix with Services for nodes.

Rows and columns are the Services (each stands for its ready backends) and
the pods that back none. A cell says, for each Service port of the
destination (or, for a pod, the port asked, or what is allowed), whether the
connection is allowed from every source member to every backend on its
target port (``all``), from or to some of them (``some``), or none.

JSON contract (``-o json``)::

    {"services": true, "protocol": "TCP" | null, "port": 80 | "http" | null,
     "nodes": ["staging/svc/backend", "admin/curl", ...],
     "members": {"staging/svc/backend": ["staging/backend-1", ...], ...},
     "connections": {SRC: {DST: [{"port": "80/TCP (http)" | "TCP 80" | ...,
                                  "allowed": "all" | "some" | "none",
                                  "pairs": [allowed, total]}]}}}

A pair is (source member, backend); for a pod destination, (source member, the pod).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..engine.connectivity import Connectivity, is_loopback
from ..ir import Endpoint, KubeService, ServiceSet
from ..ir.services import ECHO_REQUEST, protocol_name, protocol_number

__all__ = ["service_matrix", "service_nodes"]


def service_nodes(conn: Connectivity) -> list[tuple[str, list[Endpoint], KubeService | None]]:
    """(name, members, the Service or None): Services with ready backends, then the pods
    of the map that back none."""
    cluster = conn.cluster
    nodes: list[tuple[str, list[Endpoint], KubeService | None]] = []
    backing: set[str] = set()
    for service in sorted(cluster.services, key=lambda s: s.key):
        members = [e for b in service.ready_backends
                   if (e := cluster.endpoint(b.key)) is not None and e.key in conn.class_of]
        backing.update(b.key for b in service.backends)
        if members and service.ports:
            nodes.append((service.key, members, service))
    for e in conn.endpoints:
        if e.key not in backing:
            nodes.append((e.key, [e], None))
    return nodes


def _pair(conn: Connectivity, src: Endpoint, dst: Endpoint) -> ServiceSet:
    if src.key == dst.key and is_loopback(src, dst):
        return ServiceSet.all()
    return conn.class_pair(conn.class_of[src.key], conn.class_of[dst.key])


def _share(allowed: int, total: int) -> str:
    return "none" if allowed == 0 else ("all" if allowed == total else "some")


def service_matrix(conn: Connectivity, protocol: str | int | None = None,
                   port: int | str | None = None) -> dict[str, Any]:
    """The matrix of ``service_nodes`` (see the module's JSON contract).

    Pairs are counted per equivalence class: a Service of 100 replicas in one
    class costs one lookup per destination class, not 100.
    """
    proto = protocol_number(protocol) if protocol is not None else None
    nodes = service_nodes(conn)
    classes = [Counter(conn.class_of[e.key] for e in members) for _, members, _ in nodes]
    loopers = [{e.key for e in members if is_loopback(e, e)} for _, members, _ in nodes]
    targets = [_targets(conn, service, proto, port) if service is not None else None
               for _, _, service in nodes]
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for i, (src_name, src_members, _) in enumerate(nodes):
        row: dict[str, list[dict[str, Any]]] = {}
        for j, (dst_name, dst_members, _service) in enumerate(nodes):
            found = targets[j]
            if found is not None:
                row[dst_name] = [_cell(conn, classes[i], label, protocol_, spots, loopers[i])
                                 for label, protocol_, spots in found]
            else:
                row[dst_name] = _to_pod(conn, src_members, dst_members[0], proto, port)
        out[src_name] = row
    return {"services": True, "protocol": protocol_name(proto) if proto is not None else None,
            "port": port, "nodes": [n for n, _, _ in nodes],
            "members": {n: [e.key for e in m] for n, m, _ in nodes}, "connections": out}


_Spots = Counter[tuple[int, int, str]]  # (class, target port, backend key) -> 1


def _targets(conn: Connectivity, service: KubeService, proto: int | None,
             port: int | str | None) -> list[tuple[str, int, _Spots]]:
    """Per Service port asked: its label, protocol and backends as (class, target, key)."""
    out = []
    asked = service.port_index(port, proto) if port is not None else None
    for index, mapping in enumerate(service.ports):
        if proto is not None and mapping.protocol != proto:
            continue
        if port is not None and index != asked:
            continue
        spots: _Spots = Counter()
        for b, target in service.destinations(index):
            if b.key in conn.class_of:
                spots[(conn.class_of[b.key], target, b.key)] += 1
        out.append((str(mapping), mapping.protocol, spots))
    return out


def _cell(conn: Connectivity, sources: Counter[int], label: str, proto: int, spots: _Spots,
          loopback: set[str]) -> dict[str, Any]:
    total = sum(sources.values()) * len(spots)
    allowed = 0
    by_class: Counter[tuple[int, int]] = Counter((c, t) for c, t, _ in spots)
    for src, n in sources.items():
        for (dst, target), m in by_class.items():
            if conn.class_pair(src, dst).contains(proto, target):
                allowed += n * m
    # a backend reaching itself through its own Service is loopback, always allowed
    for dst, target, key in spots:
        if key in loopback and not conn.class_pair(conn.class_of[key], dst).contains(
                proto, target):
            allowed += 1
    return {"port": label, "allowed": _share(allowed, total), "pairs": [allowed, total]}


def _to_pod(conn: Connectivity, sources: list[Endpoint], pod: Endpoint, proto: int | None,
            port: int | str | None) -> list[dict[str, Any]]:
    sets = [_pair(conn, s, pod) for s in sources]
    if proto is not None and (isinstance(port, int) or (port is None and proto in ECHO_REQUEST)):
        value = port if isinstance(port, int) else ECHO_REQUEST.get(proto)
        allowed = sum(1 for s in sets if s.contains(proto, value))
        shown = f"{protocol_name(proto)} {value}" if value is not None else protocol_name(proto)
        return [{"port": shown, "allowed": _share(allowed, len(sets)),
                 "pairs": [allowed, len(sets)]}]
    if isinstance(port, str):
        return []  # a Service port name: pods have none
    union = ServiceSet.none()
    for s in sets:
        union = union | s
    if proto is not None:
        union = union & ServiceSet.protocol(proto)
        sets = [s & ServiceSet.protocol(proto) for s in sets]
    if not union:
        return [{"port": "nothing", "allowed": "none", "pairs": [0, len(sets)]}]
    same = sum(1 for s in sets if s == union)
    text = "every port" if union == ServiceSet.all() else str(union)
    return [{"port": text, "allowed": _share(same, len(sets)), "pairs": [same, len(sets)]}]
