"""Semantic diff: which connections one set of manifests allows and the other does not.

Both clusters are mapped (pods and the address ranges either names, cut at
the boundaries of both so their range nodes coincide). Endpoints present in
both are grouped by their pair of classes (class in A, class in B); each
pair of groups is compared once. Then, for each distinct change (gained and
lost services), the pairs that have it are covered by lines "these sources →
these destinations": sources with the same destinations for that change share
a line (or destinations with the same sources, whichever gives fewer lines),
a pod's own loopback pair counting as either. A new default deny reads as one
line, not one line per pod pair. Each line names the policies that were added,
removed or changed and select its destinations (ingress) or its sources
(egress): the edit that explains it.

Pods present on one side only are listed, not diffed: every connection of a
new pod is "new", and a CI gate would fail on every added workload.

>>> report = diff(cluster_a, cluster_b)          # doctest: +SKIP
>>> [c.text for c in report.changes]             # doctest: +SKIP
['gained: dev/* -> prod/db : TCP 5432']
"""

from __future__ import annotations

import csv
import io
import itertools
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from ..engine.connectivity import is_loopback
from ..ir import Cluster, Direction, Endpoint, EndpointKind, ServiceSet
from .external import ExternalConnectivity
from .service_queries import service_ports_reached

__all__ = ["Change", "DiffReport", "describe_group", "diff", "service_rows"]

_ALL = ServiceSet.all()


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # "gained" or "lost"
    sources: tuple[Endpoint, ...]
    destinations: tuple[Endpoint, ...]
    services: ServiceSet
    source_label: str
    destination_label: str
    via_services: tuple[str, ...] = ()  # Service ports whose backends these connections are
    policies: tuple[str, ...] = ()  # "prod/deny-all (added)": the edits that explain it

    @property
    def text(self) -> str:
        via = f" (Service {', '.join(self.via_services)})" if self.via_services else ""
        return (f"{self.kind}: {self.source_label} -> {self.destination_label}{via} : "
                f"{self.services}")

    def record(self) -> dict[str, Any]:
        return {
            "change": self.kind,
            "from": self.source_label,
            "to": self.destination_label,
            "services": self.services.to_json(),
            "text": str(self.services),
            "from_members": [e.key for e in self.sources],
            "to_members": [e.key for e in self.destinations],
            "to_services": list(self.via_services),
            "policies": list(self.policies),
        }


@dataclass(frozen=True, slots=True)
class DiffReport:
    changes: tuple[Change, ...]
    only_in_a: tuple[str, ...]
    only_in_b: tuple[str, ...]
    ranges: tuple[str, ...]

    @property
    def gained(self) -> bool:
        return any(c.kind == "gained" for c in self.changes)

    def to_data(self) -> dict[str, Any]:
        return {
            "summary": {
                "gained": sum(c.kind == "gained" for c in self.changes),
                "lost": sum(c.kind == "lost" for c in self.changes),
                "pods_only_in_a": list(self.only_in_a),
                "pods_only_in_b": list(self.only_in_b),
                "external_ranges": list(self.ranges),
            },
            "changes": [c.record() for c in self.changes],
        }

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["change", "from", "to", "protocol", "ports", "from_members",
                         "to_members", "policies"])
        for c in self.changes:
            for protocol, ports in service_rows(c.services):
                writer.writerow([c.kind, c.source_label, c.destination_label, protocol, ports,
                                 " ".join(e.key for e in c.sources),
                                 " ".join(e.key for e in c.destinations),
                                 "; ".join(c.policies)])
        return out.getvalue()

    def to_markdown(self) -> str:
        lines = [f"**netwarden diff**: {sum(c.kind == 'gained' for c in self.changes)} gained, "
                 f"{sum(c.kind == 'lost' for c in self.changes)} lost", ""]
        if self.changes:
            lines += ["| change | from | to | services | policies |", "|---|---|---|---|---|"]
            for c in self.changes:
                mark = "➕ gained" if c.kind == "gained" else "➖ lost"
                lines.append(f"| {mark} | {_md(c.source_label)} | {_md(c.destination_label)} "
                             f"| {_md(str(c.services))} | {_md(', '.join(c.policies))} |")
        else:
            lines.append("No connection gained or lost.")
        for side, pods in (("A", self.only_in_a), ("B", self.only_in_b)):
            if pods:
                lines += ["", f"Pods only in {side}: " + ", ".join(f"`{p}`" for p in pods)]
        return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def service_rows(services: ServiceSet) -> list[tuple[str, str]]:
    """(protocol, ports) rows: ``("TCP", "80,8000-8100")``, ``("any", "")`` for all."""
    if services.is_all:
        return [("any", "")]
    rows: list[tuple[str, str]] = []
    for entry in services.to_json():
        assert isinstance(entry, dict)
        spans = entry.get("ports") or entry.get("types") or []
        text = ",".join(f"{a}" if a == b else f"{a}-{b}" for a, b in spans)  # type: ignore[attr-defined]
        proto = str(entry["protocol"])
        if "except" in entry:
            proto += " except " + "/".join(entry["except"])  # type: ignore[arg-type]
        rows.append((proto, text))
    return rows


def diff(a: Cluster, b: Cluster) -> DiffReport:
    """Connections gained (allowed in ``b`` only) and lost (allowed in ``a`` only)."""
    ca = ExternalConnectivity(a, extra_nets=b.named_nets)
    cb = ExternalConnectivity(b, extra_nets=a.named_nets)
    keys_a = {e.key: e for e in ca.endpoints}
    keys_b = {e.key: e for e in cb.endpoints}
    common = sorted(keys_a.keys() & keys_b.keys(), key=lambda k: (k in _names(ca), k))
    joint: dict[tuple[int, int], list[Endpoint]] = defaultdict(list)
    for key in common:
        joint[(ca.class_of[key], cb.class_of[key])].append(keys_b[key])
    pairs = list(joint)
    ma = ca.class_matrix([p[0] for p in pairs])
    mb = cb.class_matrix([p[1] for p in pairs])
    n = len(pairs)
    codes: dict[tuple[ServiceSet, ServiceSet], int] = {}
    cells: list[list[int]] = []
    for i in range(n):
        row_a, row_b, row = ma[i], mb[i], []
        for j in range(n):
            x, y = row_a[j], row_b[j]
            if x is y or x == y or (i == j and _loopback_only(joint[pairs[i]])):
                row.append(0)
            else:
                row.append(codes.setdefault((y - x, x - y), len(codes) + 1))
        cells.append(row)
    decode = {code: value for value, code in codes.items()}
    universe = _universe(common, keys_b, ca)
    loop = [_loopback_only(joint[p]) and joint[p][0].kind is not EndpointKind.NETWORK_SET
            for p in pairs]
    edits = _Edits(a, b, ca, cb)
    changes: list[Change] = []
    for code, (gained, lost) in sorted(decode.items()):
        for src_groups, dst_groups in _lines(cells, code, loop):
            sources = tuple(sorted((e for g in src_groups for e in joint[pairs[g]]),
                                   key=lambda e: e.key))
            dests = tuple(sorted((e for g in dst_groups for e in joint[pairs[g]]),
                                 key=lambda e: e.key))
            labels = (describe_group(sources, universe), describe_group(dests, universe))
            keys = [e.key for e in dests]
            why = edits.explaining(sources, dests)
            if gained:
                changes.append(Change("gained", sources, dests, gained, *labels,
                                      service_ports_reached((b,), keys, gained), why))
            if lost:
                changes.append(Change("lost", sources, dests, lost, *labels,
                                      service_ports_reached((a,), keys, lost), why))
    changes.sort(key=lambda c: (c.kind != "gained", c.policies, c.source_label,
                                c.destination_label))
    pods_a = {e.key for e in ca.pods}
    pods_b = {e.key for e in cb.pods}
    return DiffReport(tuple(changes), tuple(sorted(pods_a - pods_b)),
                      tuple(sorted(pods_b - pods_a)), tuple(r.name for r in cb.ranges))


def _lines(cells: list[list[int]], code: int, loop: list[bool]
           ) -> list[tuple[list[int], list[int]]]:
    """Lines covering exactly the cells holding ``code`` (a loopback cell, which never
    changes, may be covered too): sources grouped by their destinations, or
    destinations by their sources, whichever takes fewer lines."""
    n = len(cells)

    def by(first_is_source: bool) -> list[tuple[list[int], list[int]]]:
        groups: dict[tuple[int, ...], list[int]] = {}
        for i in range(n):
            hits = [j for j in range(n)
                    if (cells[i][j] if first_is_source else cells[j][i]) == code]
            if hits:
                key = tuple(sorted({*hits, *((i,) if loop[i] else ())}))
                groups.setdefault(key, []).append(i)
        lines = []
        for key, members in groups.items():
            others = list(key)
            if len(members) == 1 and loop[members[0]]:  # a lone pod: its self is no change
                others = [j for j in others if j != members[0]]
            lines.append((members, others) if first_is_source else (others, members))
        return lines

    rows, columns = by(True), by(False)
    return rows if len(rows) <= len(columns) else columns


class _Edits:
    """Policies added, removed or changed between A and B, and which lines they explain."""

    def __init__(self, a: Cluster, b: Cluster, ca: ExternalConnectivity,
                 cb: ExternalConnectivity) -> None:
        before, after = {p.id: p for p in a.policies}, {p.id: p for p in b.policies}
        self.what = {pid: ("added" if pid not in before else "removed" if pid not in after
                           else "changed")
                     for pid in before.keys() | after.keys()
                     if before.get(pid) != after.get(pid)}
        self.maps = (ca, cb)
        self.indexes = (ca.index, cb.index)
        self._cache: dict[tuple[str, Direction], frozenset[str]] = {}

    def _governing(self, endpoint: Endpoint, direction: Direction) -> frozenset[str]:
        key = (endpoint.key, direction)
        if key not in self._cache:
            ids = {p.id for index in self.indexes
                   for _, policies in index.layers(endpoint, direction) for p in policies}
            self._cache[key] = frozenset(ids & self.what.keys())
        return self._cache[key]

    def _side_changed(self, sources: tuple[Endpoint, ...], dests: tuple[Endpoint, ...],
                      direction: Direction) -> bool:
        """Whether the sources' egress (the destinations' ingress) allows something else in
        B than in A for some pair of the line: only then can that side's policies explain
        it."""
        egress = direction is Direction.EGRESS
        ca, cb = self.maps
        # endpoints by their pair of classes (in A, in B): each pair of those is compared once
        src = {(ca.class_of[e.key], cb.class_of[e.key]) for e in sources}
        dst = {(ca.class_of[e.key], cb.class_of[e.key]) for e in dests}
        for (s_a, s_b), (d_a, d_b) in itertools.product(src, dst):
            (la, pa), (lb, pb) = ((s_a, d_a), (s_b, d_b)) if egress else ((d_a, s_a), (d_b, s_b))
            sa, sb = ca.side(la, direction), cb.side(lb, direction)
            if (sa.get(pa) if sa is not None else _ALL) != (sb.get(pb) if sb is not None
                                                             else _ALL):
                return True
        return False

    def explaining(self, sources: tuple[Endpoint, ...], dests: tuple[Endpoint, ...]
                   ) -> tuple[str, ...]:
        if not self.what:
            return ()
        ids: set[str] = set()
        for endpoints, direction in ((sources, Direction.EGRESS), (dests, Direction.INGRESS)):
            if not self._side_changed(sources, dests, direction):
                continue
            for e in endpoints:
                if e.kind is not EndpointKind.NETWORK_SET:
                    ids |= self._governing(e, direction)
        return tuple(f"{pid} ({self.what[pid]})" for pid in sorted(ids))


def _loopback_only(members: list[Endpoint]) -> bool:
    """A group of one pod: its cell to itself is loopback, never a change (a replicated
    endpoint's is one replica to another, compared like any pair)."""
    return len(members) == 1 and is_loopback(members[0], members[0])


def _names(conn: ExternalConnectivity) -> set[str]:
    return {e.key for e in conn.external}


def _group(items: range, signature: Any) -> list[list[int]]:
    out: dict[object, list[int]] = {}
    for i in items:
        out.setdefault(signature(i), []).append(i)
    return list(out.values())


def _universe(common: list[str], by_key: dict[str, Endpoint],
              conn: ExternalConnectivity) -> dict[str | None, set[str]]:
    """Common endpoint keys per namespace, for ``ns/*`` labels."""
    out: dict[str | None, set[str]] = defaultdict(set)
    external = _names(conn)
    for key in common:
        if key not in external:
            out[by_key[key].namespace].add(key)
    return out


def describe_group(members: tuple[Endpoint, ...], universe: dict[str | None, set[str]],
                   limit: int = 4) -> str:
    """``*`` for every pod, ``prod/*`` for a whole namespace, else the names.

    Past ``limit`` pod names the rest is counted (``+3 more pods``; the JSON lists
    every member); address ranges outside the cluster are always named.

    >>> describe_group((), {})
    'nothing'
    """
    pods = [e for e in members if e.kind.value == "pod"]
    other = sorted(e.key for e in members if e.kind.value != "pod")
    total = sum(len(v) for v in universe.values())
    parts: list[str] = []
    if pods and len(pods) == total:
        parts.append("* (every pod)")
    else:
        by_ns: dict[str | None, list[Endpoint]] = defaultdict(list)
        for e in pods:
            by_ns[e.namespace].append(e)
        for ns, group in sorted(by_ns.items(), key=lambda kv: kv[0] or ""):
            if len(group) == len(universe.get(ns, ())) and len(group) > 1:
                parts.append(f"{ns}/*")
            else:
                parts.extend(_pod_name(e) for e in sorted(group, key=lambda e: e.key))
    if not parts and not other:
        return "nothing"
    hidden = len(parts) - limit if len(parts) > limit else 0
    shown = parts[:limit] + ([f"+{hidden} more pod{'s' if hidden > 1 else ''}"] if hidden else [])
    return ", ".join(shown + other)


def _pod_name(e: Endpoint) -> str:
    return e.key  # the one naming of every command (a workload's endpoint too)
