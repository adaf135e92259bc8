"""Exposure gained and lost between two versions of the manifests (``diff --exposure``).

Lines are compared by workload, direction and peer text (the peer with its
exceptions): a line of B that A does not have is gained with all its ports,
a line both have gains the ports B adds and loses the ports it drops. A
line of B whose peers and ports a line of A without exceptions already
covers is not a gain, however it is worded (``entire cluster`` in A covers
``pods with app=api in namespace prod`` in B). Workloads only one side has
are listed, not compared, as ``diff`` does for pods.

>>> from netwarden import load_cluster
>>> a = exposure(load_cluster(["examples/seed-prod-dev"]))  # doctest: +SKIP
>>> exposure_diff(a, a).gained  # doctest: +SKIP
False
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..ir import Cluster, Direction, ServiceSet
from .exposure import Exposure, ExposureLine, WorkloadExposure
from .exposure_terms import covers, disjoint

__all__ = ["ExposureChange", "ExposureDiff", "exposure_diff"]


@dataclass(frozen=True, slots=True)
class ExposureChange:
    """One workload's line gained or lost, on ``services`` (and ``port_names``)."""

    kind: str  # "gained" | "lost"
    workload: str
    direction: Direction
    line: ExposureLine
    services: ServiceSet
    port_names: tuple[tuple[str, str], ...] = ()

    @property
    def ports(self) -> str:
        shown = ExposureLine(self.direction, self.line.kind, self.line.peer, self.services,
                             port_names=self.port_names, names_within=self.line.names_within)
        return shown.ports

    def __str__(self) -> str:
        arrow = "←" if self.direction is Direction.INGRESS else "→"
        caveat = f" ({self.line.caveat})" if self.line.caveat else ""
        return f"{self.workload} {arrow} {self.line.text} : {self.ports}{caveat}"

    def to_data(self) -> dict[str, Any]:
        return {"kind": self.kind, "workload": self.workload,
                "direction": self.direction.lower, "peer": self.line.peer,
                "line_kind": self.line.kind, "except": list(self.line.except_),
                "services": self.services.to_json() if self.services else [],
                "port_names": [{"protocol": p, "name": n} for p, n in self.port_names],
                "ports": self.ports, "existing": list(self.line.existing),
                "rules": list(self.line.rules), "via": self.line.via,
                "caveat": self.line.caveat}


@dataclass(frozen=True, slots=True)
class ExposureDiff:
    changes: tuple[ExposureChange, ...]
    only_in_a: tuple[str, ...] = ()
    only_in_b: tuple[str, ...] = ()

    @property
    def gained(self) -> bool:
        return any(c.kind == "gained" for c in self.changes)

    def to_data(self) -> dict[str, Any]:
        return {"gained": [c.to_data() for c in self.changes if c.kind == "gained"],
                "lost": [c.to_data() for c in self.changes if c.kind == "lost"],
                "only_in_a": list(self.only_in_a), "only_in_b": list(self.only_in_b)}

    def grouped(self) -> list[tuple[tuple[str, ...], ExposureChange]]:
        """Changes equal but for the workload, once, with every workload they concern."""
        groups: dict[tuple[str, Direction, str, str, str | None], list[ExposureChange]] = {}
        for c in self.changes:
            groups.setdefault((c.kind, c.direction, c.line.text, c.ports, c.line.caveat),
                              []).append(c)
        return [(tuple(c.workload for c in members), members[0])
                for members in groups.values()]

    def to_markdown(self) -> str:
        out = ["## Exposure changes", ""]
        if not self.changes:
            out.append("No exposure gained or lost.")
        else:
            out += ["| | workload | direction | peers | ports | existing |",
                    "|---|---|---|---|---|---|"]
            for workloads, c in self.grouped():
                mark = "**+ gained**" if c.kind == "gained" else "− lost"
                existing = ", ".join(f"`{n}`" for n in c.line.existing) or "none today"
                shown = ", ".join(f"`{w}`" for w in workloads)
                peer = _cell(c.line.text) + (f" *({_cell(c.line.caveat)})*"
                                             if c.line.caveat else "")
                out.append(f"| {mark} | {shown} | {c.direction.lower} | "
                           f"{peer} | {_cell(c.ports)} | {existing} |")
        for side, names in (("A", self.only_in_a), ("B", self.only_in_b)):
            if names:
                out += ["", f"Workloads only in {side} (not compared): "
                        + ", ".join(f"`{n}`" for n in names)]
        return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def exposure_diff(before: Exposure, after: Exposure,
                  clusters: tuple[Cluster, Cluster] | None = None) -> ExposureDiff:
    """What ``after`` exposes that ``before`` did not (gained), and the reverse (lost).

    ``clusters`` (those ``before`` and ``after`` were computed on) let a line
    that a broader line of the other version covers count as no change;
    without them lines are compared by text only.
    """
    a = {w.name: w for w in before.workloads}
    b = {w.name: w for w in after.workloads}
    changes: list[ExposureChange] = []
    for name in sorted(a.keys() & b.keys()):
        for direction in Direction:
            changes += _side_changes(a[name], b[name], direction, "gained",
                                     clusters[1] if clusters else None)
            changes += _side_changes(b[name], a[name], direction, "lost",
                                     clusters[0] if clusters else None)
    changes.sort(key=lambda c: (c.kind != "gained", c.workload, c.direction.value,
                                c.line.text))
    return ExposureDiff(tuple(changes), tuple(sorted(a.keys() - b.keys())),
                        tuple(sorted(b.keys() - a.keys())))


def _side_changes(old: WorkloadExposure, new: WorkloadExposure, direction: Direction,
                  kind: str, cluster: Cluster | None) -> list[ExposureChange]:
    """What ``new`` has that ``old`` has not: ``kind`` is "gained" (new is B) or "lost"."""
    before = {line.text: line for line in old.side(direction).lines}
    out = []
    for line in new.side(direction).lines:
        was = before.get(line.text)
        services = line.services - (was.services if was else ServiceSet.none())
        # A name gains where it may now resolve to numbers it could not before.
        names = tuple(n for n in line.port_names if not was or n not in was.port_names
                      or line.names_within - was.names_within)
        if was is None and cluster is not None:
            for wider in before.values():
                if _covers(wider, line, cluster):
                    services = services - wider.services
                    names = tuple(n for n in names if n not in wider.port_names
                                  or line.names_within - wider.names_within)
        if services or names:
            out.append(ExposureChange(kind, new.name, direction, line, services, names))
    return out


def _covers(wide: ExposureLine, narrow: ExposureLine, cluster: Cluster) -> bool:
    """Every peer of ``narrow`` is a peer of ``wide`` (which has no exception that
    could apply to them); a line of the other version is read on ``cluster``."""
    if not narrow.terms or not wide.terms:
        return False
    if wide.kind == "any" and not wide.except_:
        return True
    for term in narrow.terms:
        if not any(not t.partial and len(t.pos) == 1
                   and all(disjoint(n, term.pos, term.direction, cluster) for n in t.neg)
                   and covers(t.pos[0], term.pos, term.direction, cluster)
                   for t in wide.terms):
            return False
    return True
