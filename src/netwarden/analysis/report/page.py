"""The report page: summary, graph, matrix, lint findings and policies, in one HTML file.

Everything is inline (style, script, SVG), so the page works offline and in
CI artefacts. The matrix is written twice: one table for the screen and, for
print, the same table cut into column slices that fit an A4 landscape page.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape

from ...engine import describe_policy, speaks_calico
from ...ir import Cluster
from ..findings import Finding
from .assets import CSS, JS
from .layout import svg
from .model import Node, ReportModel, plural

__all__ = ["PRINT_COLUMNS", "document"]

# Columns of one printed slice of the matrix (A4 landscape at the print font size).
PRINT_COLUMNS = 10


def document(model: ReportModel, cluster: Cluster, findings: Sequence[Finding],
             exposure: str = "") -> str:
    """The whole HTML document; ``exposure`` is the exposure section, when computed."""
    graph, missing = svg(model)
    if graph is None:
        graph = (f'<p class="note">No graph: {escape(missing)}. '
                 "The matrix below is complete.</p>")
    data = json.dumps({
        "nodes": [{"id": n.id, "label": n.label, "namespace": n.namespace,
                   "members": list(n.members)} for n in model.nodes],
        "boxes": [{"id": b.id, "node": b.node.id, "role": b.role} for b in model.boxes],
        "edges": [{"id": e.id, "from": e.source, "to": e.target, "forward": e.forward,
                   "backward": e.backward} for e in model.edges],
    }).replace("<", "\\u003c")  # a script element's text is not entity-decoded
    policies = [p for _, ps in cluster.evaluation_order for p in ps]
    subtitle = (f"{plural(len(model.pods), 'pod')} in "
                f"{plural(len({p.namespace for p in model.pods}), 'namespace')}, "
                f"{plural(len(policies), 'policy')} · {model.title}")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>netwarden connectivity report</title><style>{CSS}</style></head>
<body><header><h1>netwarden connectivity report</h1><p>{escape(subtitle)}</p></header>
<main>
{_summary(model, cluster, findings)}
<section id="graph-section"><h2>Allowed connections: {escape(plural(len(model.boxes), 'node'))},
<span id="edgecount">{escape(plural(len(model.edges), 'edge'))}</span></h2>
{_graph_legend(model)}
{graph}</section>
<section id="matrix-section"><h2>Matrix (row = source, column = destination)</h2>
<p class="legend"><span>all: every protocol and port</span><span>ports written in the cell: only
those</span><span>·: nothing</span><span>self: a pod to itself (loopback, never blocked)</span>
<span>a workload's own cell (×N): one replica to another</span>
</p>
<div class="scroll screen-only">{_matrix(model, model.nodes)}</div>
<div class="print-only">{_matrix_slices(model)}</div></section>
{_lint(findings)}
{exposure}
<section id="policies-section"><h2>Policies in plain words</h2>{_policies(cluster)}</section>
</main><script type="application/json" id="report-data">{data}</script>
<script>{JS}</script></body></html>
"""


def _summary(model: ReportModel, cluster: Cluster, findings: Sequence[Finding]) -> str:
    n = len(model.pods)
    namespaces = {p.namespace for p in model.pods}
    by_severity = {sev: sum(1 for f in findings if f.severity.value == sev)
                   for sev in ("error", "warning", "info")}
    worded = ", ".join(plural(count, sev) for sev, count in by_severity.items() if count)
    cards = [
        ("", str(n), f"{'pod' if n == 1 else 'pods'} in "
         f"{plural(len(namespaces), 'namespace')}"),
        ("", str(len(cluster.policies)), "policy" if len(cluster.policies) == 1 else "policies"),
        ("", f"{model.pairs_allowed} of {n * (n - 1)}",
         f"pod pairs allowed (source → destination, {model.title})"),
        ("warn" if model.isolated else "", str(len(model.isolated)),
         "isolated (no connection in or out)"),
        ("warn" if model.open_outside else "", str(len(model.open_outside)),
         "open to addresses outside the cluster"),
        ("warn" if by_severity["error"] + by_severity["warning"] else "", str(len(findings)),
         ("lint finding" if len(findings) == 1 else "lint findings")
         + (f" ({worded})" if worded else "")),
    ]
    html = "".join(f'<div class="card {cls}"><b>{escape(big)}</b>{escape(small)}</div>'
                   for cls, big, small in cards)
    lists = []
    if model.open_outside:
        items = "".join(f"<li>{escape(pod)}: {escape(services)}</li>"
                        for pod, services in model.open_outside)
        lists.append(f"<h3>Open to outside addresses</h3><ul class=\"names\">{items}</ul>")
    if model.isolated:
        items = "".join(f"<li>{escape(pod)}</li>" for pod in model.isolated)
        lists.append(f"<h3>Isolated</h3><ul class=\"names\">{items}</ul>")
    return (f'<section id="summary-section"><h2>Summary</h2><div class="cards">{html}</div>'
            + "".join(lists) + "</section>")


def _graph_legend(model: ReportModel) -> str:
    notes = []
    if model.merged_outside:
        notes.append("All addresses outside the cluster are one node; "
                     "<code>--external</code> splits it by the ranges the policies name "
                     "(a dashed edge: some of those addresses only). It is drawn twice: "
                     "at the top for connections it opens, at the bottom for those it "
                     "receives.")
    if model.collapsed:
        notes.append("Namespaces drawn by equivalence class (pods with identical "
                     "connectivity in one box): " + escape(", ".join(model.collapsed)) + ".")
    cut = [n for n in model.nodes
           if n.outside and not model.merged_outside and n.label not in n.members]
    if cut:
        notes.append("Address ranges in full: " + "; ".join(
            f"<b>{escape(n.label)}</b> = {escape(n.members[0])}" for n in cut) + ".")
    extra = "".join(f"<p class=\"legend\">{n}</p>" for n in notes)
    return ('<p class="legend"><span><i class="sw" style="background:#2e9d5b"></i>every port'
            '</span><span><i class="sw" style="background:#d0731f"></i>the ports written on '
            'it</span><span><i class="sw" style="background:#c25a00"></i>from outside</span>'
            '<span>two arrowheads: both directions</span>'
            '<input id="filter" class="screen-only" placeholder="filter edges: name or port">'
            f"</p>{extra}")


def _name(node: Node) -> str:
    ns = f'<span class="ns-tag">{escape(node.namespace)}/</span>' if node.namespace else ""
    return f"{ns}{escape(node.label)}"


def _matrix(model: ReportModel, columns: Sequence[Node]) -> str:
    head = "".join(f'<th class="col" scope="col"><span>{_name(n)}</span></th>' for n in columns)
    rows = []
    for src in model.nodes:
        cells = []
        for dst in columns:
            text = model.cells[(src.id, dst.id)]
            cls = {"all": "full", "": "none", "loopback": "self"}.get(text, "part")
            shown = {"": "·", "loopback": "self"}.get(text, text)
            if (src.id, dst.id) in model.partial:
                cls += " partial"
            cells.append(f'<td class="{cls}">{escape(shown)}</td>')
        rows.append(f'<tr><th class="rowh" scope="row">{_name(src)}</th>{"".join(cells)}</tr>')
    return (f'<table class="matrix"><thead><tr><th>from \\ to</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _matrix_slices(model: ReportModel) -> str:
    nodes = list(model.nodes)
    count = max(1, -(-len(nodes) // PRINT_COLUMNS))
    out = []
    for i in range(count):
        part = nodes[i * PRINT_COLUMNS:(i + 1) * PRINT_COLUMNS]
        caption = (f"<p class=\"legend\">columns {i * PRINT_COLUMNS + 1}–"
                   f"{i * PRINT_COLUMNS + len(part)} of {len(nodes)}</p>") if count > 1 else ""
        out.append(caption + _matrix(model, part))
    return "".join(out)


def _lint(findings: Sequence[Finding]) -> str:
    if not findings:
        return ('<section id="lint-section"><h2>Lint findings</h2>'
                "<p>No findings.</p></section>")
    rows = []
    for f in findings:
        loc = f'<div class="loc">{escape(str(f.location))}</div>' if f.location else ""
        rows.append(f'<tr><td><span class="sev {f.severity.value}">{f.severity.value}</span>'
                    f"</td><td>{escape(f.id)}<div class=\"loc\">{escape(f.check.name)}</div>"
                    f"</td><td>{escape(f.message)}{loc}</td>"
                    f'<td class="fix">{escape(f.fix)}</td></tr>')
    title = escape(plural(len(findings), "finding"))
    return (f'<section id="lint-section"><h2>Lint findings ({title})</h2>'
            '<table class="findings"><thead><tr><th>severity</th><th>check</th>'
            "<th>finding</th><th>fix</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></section>")


def _policies(cluster: Cluster) -> str:
    out = []
    order = cluster.evaluation_order
    tiers = speaks_calico(cluster)  # Kubernetes-only input: no Calico tiers in the words
    for tier, policies in order:
        if len(order) > 1:
            out.append(f'<h3 class="tier">tier {escape(tier.name)}</h3>')
        for policy in policies:
            lines = describe_policy(policy, tiers=tiers)
            where = (f'<span class="where">{escape(str(policy.position))}</span>'
                     if policy.position else "")
            items = "".join(f"<li>{escape(line.strip())}</li>" for line in lines[1:])
            out.append(f'<div class="policy"><h3>{escape(policy.id)} {where}</h3>'
                       f"<p>{escape(lines[0])}</p><ul>{items}</ul></div>")
    return "".join(out) or "<p>No policies: every pod can reach every other pod.</p>"
