"""Checks shared by the report tests: the drawn graph says what the JSON matrix says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netwarden import load_cluster
from netwarden.analysis.external import ExternalConnectivity
from netwarden.analysis.matrix import full_matrix
from netwarden.analysis.report import ReportModel, model_for, services_text
from netwarden.analysis.report.model import Edge
from netwarden.engine import Connectivity
from netwarden.ir import Cluster

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shop-twelve"


def shop() -> Cluster:
    return load_cluster([EXAMPLE])


def _ends(model: ReportModel, edge: Edge) -> tuple[set[str], set[str]]:
    def members(box_id: str, ns: str | None) -> set[str]:
        if ns is not None:
            return {m for b in model.boxes if b.node.namespace == ns for m in b.node.members}
        return set(model.box(box_id).node.members)
    return members(edge.source, edge.tail_ns), members(edge.target, edge.head_ns)


def check_graph_matches_matrix(cluster: Cluster, model: ReportModel) -> int:
    """Every allowed pair is drawn by exactly one edge, every edge by allowed pairs only.

    Returns the number of allowed pairs checked. Pairs inside one node (a
    collapsed class talking to itself) and between two outside nodes are not
    drawn; the matrix shows the first, no policy applies to the second.
    """
    data = full_matrix(ExternalConnectivity(cluster))
    cells: dict[str, dict[str, Any]] = data["connections"]
    node_of = {m: n.id for n in model.nodes for m in n.members}
    outside = {m for n in model.nodes if n.outside for m in n.members}
    covered: dict[tuple[str, str], int] = {}
    for edge in model.edges:
        tails, heads = _ends(model, edge)
        for text, srcs, dsts in ((edge.forward, tails, heads), (edge.backward, heads, tails)):
            if not text:
                continue
            texts = {services_text(cells[s][d]) for s in srcs for d in dsts}
            assert texts - {""}, f"{edge}: draws pairs the matrix denies"
            if not edge.partial:
                assert texts == {text}, f"{edge}: matrix says {texts}"
            for s in srcs:
                for d in dsts:
                    if cells[s][d]:
                        covered[(s, d)] = covered.get((s, d), 0) + 1
    allowed = [(s, d) for s in cells for d in cells[s]
               if cells[s][d] and s != d and node_of[s] != node_of[d]
               and not (s in outside and d in outside)]
    for pair in allowed:
        assert covered.get(pair) == 1, f"{pair}: drawn {covered.get(pair, 0)} times"
    assert set(covered) == set(allowed)
    return len(allowed)


def report_model(cluster: Cluster, external: bool = False, **options: Any) -> ReportModel:
    conn = ExternalConnectivity(cluster) if external else Connectivity(cluster)
    return model_for(cluster, conn, **options)
