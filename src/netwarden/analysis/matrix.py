"""Connectivity matrices as plain data (the JSON contract), pod-level or grouped.

Grouping merges pods whose rows and columns are identical, so a cluster of
10,000 pods prints as a few dozen groups. Within a group, the entry from the
group to itself is about two different members; a pod may always talk to
itself, so a one-pod group's own entry is ``all`` — unless that endpoint stands
for several replicas (a Deployment with ``replicas: 3``), whose entry to itself
is one replica to another, policed.
"""

from __future__ import annotations

from typing import Any

from ..engine.connectivity import Connectivity, is_loopback
from ..ir import Endpoint, ServiceSet
from ..ir.services import ECHO_REQUEST, protocol_name, protocol_number

__all__ = ["Groups", "full_matrix", "group_classes", "port_matrix"]



class Groups:
    """Pods merged by identical connectivity, with the group-level matrix."""

    def __init__(self, conn: Connectivity) -> None:
        coarse = conn.coarse_groups()
        matrix = conn.class_matrix([g[0] for g in coarse])
        # Refine exactly: merge coarse groups whose rows and columns are equal.
        ids: dict[ServiceSet, int] = {}
        coded = [[ids.setdefault(cell, len(ids)) for cell in row] for row in matrix]
        n = len(coarse)
        merged: dict[tuple[tuple[int, ...], tuple[int, ...]], list[int]] = {}
        columns = list(zip(*coded, strict=True)) if coded else []
        for i in range(n):
            merged.setdefault((tuple(coded[i]), columns[i]), []).append(i)
        ordered = sorted(
            merged.values(),
            key=lambda gs: min(e.key for g in gs for c in coarse[g]
                               for e in conn.classes[c].members),
        )
        self.members: list[list[Endpoint]] = [
            sorted((e for g in gs for c in coarse[g] for e in conn.classes[c].members),
                   key=lambda e: e.key)
            for gs in ordered
        ]
        reps = [gs[0] for gs in ordered]
        self.names = [f"g{i + 1}" for i in range(len(ordered))]
        self.matrix = [[matrix[s][d] for d in reps] for s in reps]
        for i, members in enumerate(self.members):
            if len(members) == 1 and is_loopback(members[0], members[0]):
                self.matrix[i][i] = ServiceSet.all()  # a lone pod's entry to itself


def group_classes(conn: Connectivity) -> Groups:
    return Groups(conn)


def _port_value(protocol: int, port: int | None) -> int | None:
    if port is None and protocol in ECHO_REQUEST:
        return ECHO_REQUEST[protocol]
    return port


def port_matrix(
    conn: Connectivity, protocol: str | int, port: int | None, *, grouped: bool = False
) -> dict[str, Any]:
    """``{"protocol", "port", "endpoints", "allowed": {src: {dst: bool}}}`` (or grouped)."""
    proto = protocol_number(protocol)
    value = _port_value(proto, port)
    head: dict[str, Any] = {"protocol": protocol_name(proto), "port": port}
    if grouped:
        groups = Groups(conn)
        head["groups"] = {n: [e.key for e in m] for n, m in zip(groups.names, groups.members,
                                                                   strict=True)}
        head["allowed"] = {
            s: {d: groups.matrix[i][j].contains(proto, value)
                for j, d in enumerate(groups.names)}
            for i, s in enumerate(groups.names)
        }
        return head
    keys = [e.key for e in conn.endpoints]
    matrix = conn.class_matrix()
    cells = [[cell.contains(proto, value) for cell in row] for row in matrix]
    class_of = [conn.class_of[k] for k in keys]
    loopback = {e.key for e in conn.endpoints if is_loopback(e, e)}
    allowed: dict[str, dict[str, bool]] = {}
    for src, cs in zip(keys, class_of, strict=True):
        row = cells[cs]
        allowed[src] = {dst: (True if src == dst and src in loopback else row[cd])
                        for dst, cd in zip(keys, class_of, strict=True)}
    head["endpoints"] = keys
    head["allowed"] = allowed
    return head


def full_matrix(conn: Connectivity, *, grouped: bool = False) -> dict[str, Any]:
    """``{"endpoints", "connections": {src: {dst: "all" | [] | [...]}}}`` (or grouped)."""
    if grouped:
        groups = Groups(conn)
        return {
            "groups": {n: [e.key for e in m] for n, m in zip(groups.names, groups.members,
                                                            strict=True)},
            "connections": {
                s: {d: _json(groups.matrix[i][j]) for j, d in enumerate(groups.names)}
                for i, s in enumerate(groups.names)
            },
        }
    keys = [e.key for e in conn.endpoints]
    matrix = conn.class_matrix()
    cells = [[_json(cell) for cell in row] for row in matrix]
    class_of = [conn.class_of[k] for k in keys]
    loopback = {e.key for e in conn.endpoints if is_loopback(e, e)}
    connections: dict[str, dict[str, Any]] = {}
    for src, cs in zip(keys, class_of, strict=True):
        row = cells[cs]
        connections[src] = {dst: ("all" if src == dst and src in loopback else row[cd])
                            for dst, cd in zip(keys, class_of, strict=True)}
    return {"endpoints": keys, "connections": connections}


def _json(services: ServiceSet) -> Any:
    return services.to_json() if services else []
