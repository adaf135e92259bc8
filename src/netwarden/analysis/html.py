"""A one-file HTML report: graph, matrix and policies, with no network dependency.

The graph is inline SVG laid out here (namespaces as boxes in a flowing grid,
endpoints on a grid inside them), so the page renders the same offline, in
CI artefacts and in a headless browser. A few lines of inline JavaScript
highlight an endpoint's edges on hover and filter edges by text.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass

from ..engine import describe_policy
from ..engine.connectivity import Connectivity
from ..ir import Cluster
from .render import MatrixView, namespace_of

__all__ = ["to_html"]

_NODE_W, _NODE_H, _PAD, _TITLE, _MAX_W = 150, 96, 18, 30, 1100
_R = 16


@dataclass(frozen=True, slots=True)
class _Box:
    name: str
    x: float
    y: float
    w: float
    h: float


def _layout(v: MatrixView, cluster: Cluster) -> tuple[dict[str, tuple[float, float]],
                                                      list[_Box], float, float]:
    by_ns: dict[str, list[str]] = {}
    for name in v.names:
        by_ns.setdefault(namespace_of(name, v, cluster) or "outside / mixed", []).append(name)
    order = sorted(by_ns, key=lambda n: (n == "outside / mixed", n))
    pos: dict[str, tuple[float, float]] = {}
    boxes: list[_Box] = []
    x = y = row_h = 0.0
    width = 0.0
    for ns in order:
        names = by_ns[ns]
        cols = max(1, min(len(names), math.ceil(math.sqrt(len(names)))))
        rows = math.ceil(len(names) / cols)
        w, h = cols * _NODE_W + 2 * _PAD, rows * _NODE_H + _TITLE + _PAD
        if x > 0 and x + w > _MAX_W:
            x, y, row_h = 0.0, y + row_h + _PAD * 2, 0.0
        boxes.append(_Box(ns, x + 10, y + 10, w, h))
        for i, name in enumerate(names):
            cx = x + 10 + _PAD + (i % cols) * _NODE_W + _NODE_W / 2
            cy = y + 10 + _TITLE + (i // cols) * _NODE_H + _NODE_H / 2 - 8
            pos[name] = (cx, cy)
        x += w + _PAD * 2
        row_h = max(row_h, h)
        width = max(width, x)
    return pos, boxes, width + 20, y + row_h + 40


def _svg(v: MatrixView, cluster: Cluster) -> tuple[str, int]:
    pos, boxes, width, height = _layout(v, cluster)
    outside = {n for n in v.names if not v.grouped and cluster.endpoint(n) is None}
    parts = [f'<svg id="graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} '
             f'{height:.0f}" width="{width:.0f}" height="{height:.0f}">',
             '<defs><marker id="arr" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
             'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" '
             'fill="context-stroke"/></marker></defs>']
    for b in boxes:
        parts.append(f'<g class="ns"><rect x="{b.x:.0f}" y="{b.y:.0f}" width="{b.w:.0f}" '
                     f'height="{b.h:.0f}" rx="12"/><text x="{b.x + 12:.0f}" y="{b.y + 20:.0f}">'
                     f'{html.escape(b.name)}</text></g>')
    edges: list[tuple[str, str, str, bool]] = []
    for src in v.names:
        for dst in v.names:
            if src == dst or not v.allowed(src, dst) or (src in outside and dst in outside):
                continue
            text = v.text(src, dst)
            both = v.allowed(dst, src) and v.text(dst, src) == text
            if both and v.names.index(dst) < v.names.index(src):
                continue  # drawn once, with two arrowheads
            edges.append((src, dst, text, both))
    show_labels = sum(1 for e in edges if e[2] not in ("all", "yes")) <= 40
    for src, dst, text, both in edges:
        (x1, y1), (x2, y2) = pos[src], pos[dst]
        dx, dy = x2 - x1, y2 - y1
        dist = math.hypot(dx, dy) or 1.0
        ux, uy = dx / dist, dy / dist
        start = _R + 2 if both else _R
        sx, sy, ex, ey = x1 + ux * start, y1 + uy * start, x2 - ux * (_R + 2), y2 - uy * (_R + 2)
        bend = 0.0 if both else min(40.0, dist * 0.15)
        cx, cy = (sx + ex) / 2 - uy * bend, (sy + ey) / 2 + ux * bend
        kind = "full" if text in ("all", "yes") else "part"
        mx, my = 0.25 * sx + 0.5 * cx + 0.25 * ex, 0.25 * sy + 0.5 * cy + 0.25 * ey
        arrow = ' marker-start="url(#arr)"' if both else ""
        attrs = (f'class="edge {kind}" data-from="{html.escape(src)}" '
                 f'data-to="{html.escape(dst)}" data-services="{html.escape(text)}"'
                 + (' data-both="1"' if both else ""))
        sign = "↔" if both else "→"
        body = (f'<title>{html.escape(src)} {sign} {html.escape(dst)}: {html.escape(text)}'
                f'</title><path d="M{sx:.1f},{sy:.1f} Q{cx:.1f},{cy:.1f} {ex:.1f},{ey:.1f}" '
                f'marker-end="url(#arr)"{arrow}/>')
        if show_labels and kind == "part":
            short = text if len(text) <= 22 else text[:21] + "…"
            body += (f'<text class="elabel" x="{mx:.1f}" y="{my:.1f}">'
                     f'{html.escape(short)}</text>')
        parts.append(f"<g {attrs}>{body}</g>")
    for name in v.names:
        x, y = pos[name]
        kind = "ext" if name in outside else "pod"
        label = v.label(name)
        short = label.split("/", 1)[-1] if not v.grouped and kind == "pod" else label
        short = short if len(short) <= 24 else short[:23] + "…"
        parts.append(f'<g class="node {kind}" data-name="{html.escape(name)}">'
                     f'<title>{html.escape(label)}</title>'
                     f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{_R}"/>'
                     f'<text x="{x:.1f}" y="{y + _R + 14:.1f}">{html.escape(short)}</text></g>')
    parts.append("</svg>")
    return "".join(parts), sum(2 if e[3] else 1 for e in edges)


def _matrix_table(v: MatrixView) -> str:
    head = "".join(f'<th title="{html.escape(v.label(n))}"><span>{i}</span></th>'
                   for i, n in enumerate(v.names, 1))
    rows = []
    for i, src in enumerate(v.names, 1):
        cells = []
        for dst in v.names:
            text = v.text(src, dst)
            cls = "full" if text in ("all", "yes") else ("none" if text in ("", "no")
                                                          else "part")
            shown = {"all": "●", "yes": "✓", "": "·", "no": "·"}.get(text, "◐")
            cells.append(f'<td class="{cls}" title="{html.escape(src)} → {html.escape(dst)}: '
                         f'{html.escape(text or "nothing")}">{shown}</td>')
        rows.append(f'<tr><th class="rowh">{i}. {html.escape(v.label(src))}</th>'
                    + "".join(cells) + "</tr>")
    return (f'<table class="matrix"><thead><tr><th>from \\ to</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _policies(cluster: Cluster) -> str:
    out = []
    for _, policies in cluster.evaluation_order:
        for policy in policies:
            lines = describe_policy(policy)
            where = f'<span class="where">{html.escape(str(policy.position))}</span>' \
                if policy.position else ""
            items = "".join(f"<li>{html.escape(line.strip())}</li>" for line in lines[1:])
            out.append(f'<div class="policy"><h3>{html.escape(policy.id)} {where}</h3>'
                       f"<p>{html.escape(lines[0])}</p><ul>{items}</ul></div>")
    return "".join(out) or "<p>No policies: every pod can reach every other pod.</p>"


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0;
color:#1d2330;background:#f6f7fb}
header{background:#1f3b63;color:#fff;padding:16px 28px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.85}main{padding:18px 28px}
section{background:#fff;border-radius:10px;box-shadow:0 1px 3px #0002;padding:14px 18px;
margin-bottom:18px;overflow:auto}h2{margin:0 0 10px;font-size:17px;color:#1f3b63}
.ns rect{fill:#f1f5fc;stroke:#b5c3dc}.ns text{font-weight:600;fill:#44557a;font-size:13px}
.node circle{fill:#3d7dd8;stroke:#fff;stroke-width:2}.node.ext circle{fill:#e08a2c}
.node text{font-size:11px;text-anchor:middle;fill:#1d2330}
.edge path{fill:none;stroke-width:1.6;opacity:.75}.edge.full path{stroke:#2e9d5b}
.edge.part path{stroke:#d9822b}.elabel{font-size:10px;fill:#8a4b0f;text-anchor:middle;
paint-order:stroke;stroke:#fff;stroke-width:3px}
svg.focus .edge{opacity:.08}svg.focus .edge.hot{opacity:1}
svg.focus .edge.hot path{stroke-width:2.6}
.edge.hidden{display:none}
.legend span{display:inline-block;margin-right:16px}.sw{display:inline-block;width:22px;
height:4px;vertical-align:middle;margin-right:5px}
table.matrix{border-collapse:collapse;font-size:12px}table.matrix td,table.matrix th{
border:1px solid #e3e6ee;padding:3px 6px;text-align:center}th.rowh{text-align:left;
white-space:nowrap;font-weight:500}table.matrix th.rowh{text-align:left}
td.full{background:#dff3e6;color:#2e9d5b}
td.part{background:#fdebd5;color:#b86512}td.none{background:#f3f4f7;color:#aab}
.policy{border-left:4px solid #3d7dd8;padding:4px 12px;margin:10px 0}.policy h3{margin:0;
font-size:14px}.policy p{margin:4px 0}.policy ul{margin:2px 0;padding-left:20px}
.where{font-weight:400;color:#778;font-size:12px;margin-left:6px}
input#filter{padding:5px 8px;border:1px solid #ccd;border-radius:6px;width:260px}
"""

_JS = """
(function(){var svg=document.getElementById('graph');if(!svg)return;
var edges=[].slice.call(svg.querySelectorAll('.edge'));
svg.querySelectorAll('.node').forEach(function(n){var name=n.getAttribute('data-name');
n.addEventListener('mouseenter',function(){svg.classList.add('focus');edges.forEach(function(e){
if(e.getAttribute('data-from')===name||e.getAttribute('data-to')===name)e.classList.add('hot');});});
n.addEventListener('mouseleave',function(){svg.classList.remove('focus');
edges.forEach(function(e){e.classList.remove('hot');});});});
var f=document.getElementById('filter');if(f)f.addEventListener('input',function(){
var q=f.value.toLowerCase();edges.forEach(function(e){var t=(e.getAttribute('data-from')+' '+
e.getAttribute('data-to')+' '+e.getAttribute('data-services')).toLowerCase();
e.classList.toggle('hidden',q!==''&&t.indexOf(q)<0);});});
})();
"""


def to_html(v: MatrixView, cluster: Cluster, conn: Connectivity) -> str:
    """The report page; ``v`` decides one port or every port, grouped or not."""
    svg, n_edges = _svg(v, cluster)
    policies = [p for _, ps in cluster.evaluation_order for p in ps]
    summary = (f"{len(conn.endpoints)} endpoints in {len(cluster.all_namespaces)} namespaces, "
               f"{len(policies)} policies · {v.title}"
               + (" · endpoints with identical connectivity grouped" if v.grouped else ""))
    data = json.dumps({"nodes": v.names, "edges": n_edges})
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>netwarden connectivity report</title><style>{_CSS}</style></head>
<body><header><h1>netwarden connectivity report</h1><p>{html.escape(summary)}</p></header>
<main>
<section id="graph-section"><h2>Allowed connections (<span id="edgecount">{n_edges}</span>
edges)</h2>
<p class="legend"><span><i class="sw" style="background:#2e9d5b"></i>every port</span>
<span><i class="sw" style="background:#d9822b"></i>some ports (labelled)</span>
<span>two arrowheads: both directions</span>
<span>● pod · <b style="color:#e08a2c">●</b> address range outside the cluster</span>
<input id="filter" placeholder="filter edges: pod, namespace or port"></p>
{svg}</section>
<section id="matrix-section"><h2>Matrix (row = source, column = destination)</h2>
<p class="legend">● everything · ◐ some ports (hover for details) · · nothing</p>
{_matrix_table(v)}</section>
<section id="policies-section"><h2>Policies in plain words</h2>{_policies(cluster)}</section>
</main><script type="application/json" id="report-data">{html.escape(data)}</script>
<script>{_JS}</script></body></html>
"""
