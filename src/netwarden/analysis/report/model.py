"""What the report shows, as data: nodes, bundled edges, the matrix cells and a summary.

A node is a set of endpoints, one row and one column of the matrix: a pod (or workload), an
equivalence class of pods of one namespace when the namespace is big (the
engine's grouped connectivity, split by namespace so that every box sits in
its namespace's cluster), or addresses outside the cluster. Without
``--external`` the outside ranges are merged into one node, "outside the
cluster", whose cells are the union over the ranges (marked when the ranges
differ). How the graph draws them: ``graph``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...engine.connectivity import Connectivity, is_loopback
from ...ir import Cluster, Endpoint, ServiceSet
from ...ir.services import ECHO_REQUEST, protocol_number
from ..matrix import Groups
from ..service_queries import service_groups
from .graph import graph
from .parts import OUTSIDE, Box, Edge, Node, plural
from .text import services_text

__all__ = ["COLLAPSE_ABOVE", "OUTSIDE", "Box", "Edge", "Node", "ReportModel", "build_model",
           "plural", "range_label"]

# A namespace with more pods than this is drawn as its equivalence classes.
COLLAPSE_ABOVE = 10

@dataclass(frozen=True, slots=True)
class ReportModel:
    nodes: tuple[Node, ...]
    boxes: tuple[Box, ...]
    edges: tuple[Edge, ...]
    cells: dict[tuple[str, str], str]   # (source node id, target node id) → services text
    partial: frozenset[tuple[str, str]]
    pods: tuple[Endpoint, ...]
    isolated: tuple[str, ...]            # pods with no connection in or out
    open_outside: tuple[tuple[str, str], ...]  # (pod, services text) reachable from outside
    pairs_allowed: int                   # ordered pairs of distinct pods with any service
    collapsed: tuple[str, ...]           # namespaces drawn by equivalence class
    merged_outside: bool
    title: str
    services: dict[str, tuple[str, str]]  # Service key → (name, type), for those backed here

    def box(self, box_id: str) -> Box:
        return next(b for b in self.boxes if b.id == box_id)


def _restriction(protocol: str, port: int | None, single: bool) -> ServiceSet | None:
    if not single:
        return None
    number = protocol_number(protocol)
    if port is None and number in ECHO_REQUEST:  # ICMP: the echo request, as port_matrix
        return ServiceSet.ports(number, [(ECHO_REQUEST[number], ECHO_REQUEST[number])])
    if port is None:
        return ServiceSet.protocol(number)
    return ServiceSet.ports(number, [(port, port)])


def build_model(conn: Connectivity, *, merge_outside: bool, grouped: bool = False,
                protocol: str = "TCP", port: int | None = None,
                single: bool = False) -> ReportModel:
    """Nodes and edges for ``conn``; ``grouped`` collapses every namespace by class."""
    only = _restriction(protocol, port, single)
    title = ("every protocol and port" if only is None
             else protocol.upper() + (f"/{port}" if port is not None else ""))
    units, collapsed = _units(conn, grouped)
    outside = [e for e in conn.external]
    if outside:
        if merge_outside:
            units.append((OUTSIDE, None, outside))
        else:
            units.extend((range_label(e.key), None, [e]) for e in outside)
    nodes = tuple(Node(f"n{i}", label, ns, tuple(e.key for e in members),
                       _service(conn.cluster, members) if ns is not None else "")
                  for i, (label, ns, members) in enumerate(units))
    matrix = conn.class_matrix()
    classes = [sorted({conn.class_of[e.key] for e in members}) for _, _, members in units]

    # A node of one pod talking to itself is loopback; one replica to another is policed.
    lone = [len(m) == 1 and is_loopback(m[0], m[0]) for _, _, m in units]

    def services(i: int, j: int) -> tuple[ServiceSet, bool]:
        values = {matrix[c][d] for c in classes[i] for d in classes[j]
                  if not (i == j and c == d and lone[i])}
        if not values:
            return ServiceSet.none(), False
        out = ServiceSet.none()
        for v in values:
            out = out | v
        if only is not None:
            out = out & only
            values = {v & only for v in values}
        return out, len(values) > 1

    cells: dict[tuple[str, str], str] = {}
    partial: set[tuple[str, str]] = set()
    raw: dict[tuple[int, int], str] = {}
    for i, a in enumerate(nodes):
        for j, b in enumerate(nodes):
            if i == j and lone[i]:
                cells[(a.id, b.id)] = "loopback"
                continue
            if a.outside and b.outside:
                cells[(a.id, b.id)] = ""   # no policy applies between outside addresses
                continue
            value, mixed = services(i, j)
            text = services_text(value.to_json()) if value else ""
            cells[(a.id, b.id)] = text
            raw[(i, j)] = text
            if mixed and text:
                partial.add((a.id, b.id))
    boxes, edges = graph(nodes, raw, partial)
    isolated, open_outside, pairs = _summary(conn, matrix, only)
    return ReportModel(nodes, boxes, edges, cells, frozenset(partial), conn.pods, isolated,
                       open_outside, pairs, tuple(collapsed), merge_outside and bool(outside),
                       title, _service_names(conn.cluster, nodes))


def _units(conn: Connectivity, grouped: bool) -> tuple[
        list[tuple[str, str | None, list[Endpoint]]], list[str]]:
    by_ns: dict[str, list[Endpoint]] = {}
    for e in conn.pods:
        by_ns.setdefault(e.namespace or "", []).append(e)
    big = {ns for ns, pods in by_ns.items() if grouped or len(pods) > COLLAPSE_ABOVE}
    group_of: dict[str, int] = {}
    if big:
        for g, members in enumerate(Groups(conn).members):
            for e in members:
                group_of[e.key] = g
    units: list[tuple[str, str | None, list[Endpoint]]] = []
    for ns in sorted(by_ns):
        pods = by_ns[ns]
        if ns not in big:
            units.extend((_pod_label(e), ns, [e]) for e in pods)
            continue
        classes: dict[int, list[Endpoint]] = {}
        for e in pods:
            classes.setdefault(group_of[e.key], []).append(e)
        for members in classes.values():
            units.append((_group_label(members), ns, members))
    return units, sorted(big)


def range_label(name: str, shown: int = 2) -> str:
    """An outside range's box: its first intervals, the others counted.

    >>> range_label("10.0.0.0-10.0.4.255, 10.0.6.0-10.0.9.255, 10.0.12.0/22, 10.1.0.0/16")
    '10.0.0.0-10.0.4.255, 10.0.6.0-10.0.9.255 +2 more'
    """
    parts = name.split(", ")
    if len(parts) <= shown + 1:
        return name
    return ", ".join(parts[:shown]) + f" +{len(parts) - shown} more"


def _service_names(cluster: Cluster, nodes: tuple[Node, ...]) -> dict[str, tuple[str, str]]:
    keys = {n.service for n in nodes if n.service}
    return {s.key: (s.name, s.type) for s in cluster.services if s.key in keys}


def _service(cluster: Cluster, members: list[Endpoint]) -> str:
    """The Service every member backs (the first each backs), or ``""``."""
    groups = service_groups(cluster, [e.key for e in members])
    return next(iter(groups)) if len(groups) == 1 else ""


def _pod_label(e: Endpoint) -> str:
    """The name in its namespace's frame; a workload of several replicas says how many."""
    if not e.replicated:
        return e.name
    return f"{e.name} ×{e.replicas}" if e.replicas is not None else f"{e.name} (per node)"


def _group_label(members: list[Endpoint]) -> str:
    if len(members) == 1:
        return _pod_label(members[0])
    names = ", ".join(e.name for e in members[:2])
    more = f" +{len(members) - 2}" if len(members) > 2 else ""
    return f"{plural(len(members), 'pod')}: {names}{more}"


def _summary(conn: Connectivity, matrix: list[list[ServiceSet]],
             only: ServiceSet | None) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...], int]:
    def cell(c: int, d: int) -> ServiceSet:
        return matrix[c][d] if only is None else matrix[c][d] & only

    pod_classes = {conn.class_of[e.key] for e in conn.pods}
    ext = [conn.class_of[e.key] for e in conn.external]
    count = {c: 0 for c in range(len(conn.classes))}
    for e in conn.endpoints:
        count[conn.class_of[e.key]] += 1
    pairs = 0
    for c in pod_classes:
        for d in pod_classes:
            n = count[c] * (count[d] - (1 if c == d else 0))
            if n and cell(c, d):
                pairs += n
    isolated = []
    open_outside = []
    for e in sorted(conn.pods, key=lambda e: e.key):
        c = conn.class_of[e.key]
        others = [d for d in pod_classes | set(ext) if d != c or count[c] > 1 or e.replicated]
        if not any(cell(c, d) or cell(d, c) for d in others):
            isolated.append(e.key)
        reach = ServiceSet.none()
        for d in ext:
            reach = reach | cell(d, c)
        if reach:
            open_outside.append((e.key, services_text(reach.to_json())))
    return tuple(isolated), tuple(open_outside), pairs
