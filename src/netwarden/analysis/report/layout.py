"""The graph as Graphviz source, and its layout by ``dot`` as inline SVG.

Namespaces are clusters; edges run top to bottom (callers above callees),
outside addresses that open connections sit in the first rank and those
that receive them in the last, so the picture reads as a flow instead of a
hairball. Top to bottom keeps the drawing about as wide as the widest
namespace: edge labels sit beside their edges, where left to right would
give each of them a rank of its own and shrink the text on a page.
Graphviz places edge labels as nodes of their own, so a label never sits on
a box.

The SVG that ``dot`` writes is post-processed: titles name endpoints instead
of Graphviz ids, and every node and edge carries ``data-*`` attributes that
the page's script and the browser test read.
"""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET

from .model import Box, Edge, ReportModel

__all__ = ["dot_source", "svg"]

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
_FULL, _PART, _OUT = "#2e9d5b", "#d0731f", "#c25a00"


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot_source(model: ReportModel, *, title: bool = True) -> str:
    """Graphviz source: one cluster per namespace, one edge per box pair (or bundle)."""
    label = f", label={_q('netwarden: ' + model.title)}, labelloc=t" if title else ""
    lines = [
        "digraph netwarden {",
        '  graph [rankdir=TB, newrank=true, compound=true, splines=true, nodesep=0.4, '
        'ranksep=0.45, fontname="Helvetica", fontsize=12, pad=0.25, labeljust=l, '
        f"outputorder=edgesfirst{label}];",
        '  node [shape=box, style="rounded,filled", fillcolor="#eaf1fb", color="#3d7dd8", '
        'fontname="Helvetica", fontsize=13, margin="0.16,0.06", height=0.4];',
        '  edge [fontname="Helvetica", fontsize=11, arrowsize=0.7, penwidth=1.3, '
        f'color="{_FULL}", fontcolor="#5b3a12"];',
    ]
    by_ns: dict[str | None, list[Box]] = {}
    for box in model.boxes:
        by_ns.setdefault(box.node.namespace, []).append(box)
    outside = by_ns.pop(None, [])
    for role, rank in (("in", "min"), ("out", "max")):
        side = [b for b in outside if b.role == role]
        if side:
            lines.append(f"  {{ rank={rank};")
            lines.extend(f"    {b.id} [id={b.id}, label={_q(b.label)}, shape=box, "
                         'style="filled", fillcolor="#fff1df", color="#e08a2c"];' for b in side)
            lines.append("  }")
    clusters = {ns: f"cluster_{i}" for i, ns in enumerate(sorted(by_ns, key=lambda n: n or ""))}
    for i, (ns, boxes) in enumerate(sorted(by_ns.items(), key=lambda kv: kv[0] or "")):
        collapsed = " (grouped by connectivity)" if ns in model.collapsed else ""
        label = _q("namespace " + (ns or "?") + collapsed)
        lines.append(f"  subgraph cluster_{i} {{ id=ns{i}; label={label}; "
                     'style="rounded,filled"; fillcolor="#f6f8fc"; color="#b5c3dc"; '
                     'fontcolor="#44557a";')
        by_service: dict[str, list[Box]] = {}
        for b in boxes:
            by_service.setdefault(b.node.service, []).append(b)
        for j, (service, members) in enumerate(sorted(by_service.items())):
            framed = bool(service) and len(members) > 1
            if framed:
                frame = _q(_service_text(*model.services[service]))
                lines.append(f"    subgraph cluster_{i}_{j} {{ label={frame};"
                             ' style="dashed,rounded"; color="#8fa3c6"; fontcolor="#44557a";')
            lines.extend(f"    {b.id} [id={b.id}, label={_q(_box_label(b, model, framed))}];"
                         for b in members)
            if framed:
                lines.append("    }")
        lines.append("  }")
    outside_ids = {b.id for b in outside}
    for edge in model.edges:
        attrs = _edge_attrs(edge, outside_ids)
        if edge.tail_ns is not None:
            attrs += f", ltail={clusters[edge.tail_ns]}"
        if edge.head_ns is not None:
            attrs += f", lhead={clusters[edge.head_ns]}"
        lines.append(f"  {edge.source} -> {edge.target} [{attrs}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _service_text(name: str, kind: str) -> str:
    return f"Service {name}" + ("" if kind == "ClusterIP" else f" ({kind})")


def _box_label(box: Box, model: ReportModel, framed: bool) -> str:
    """A pod's box; a lone backend names its Service when the name or type says more."""
    if framed or not box.node.service:
        return box.label
    name, kind = model.services[box.node.service]
    if name == box.label.split(" ", 1)[0] and kind == "ClusterIP":
        return box.label
    return f"{box.label}\n{_service_text(name, kind)}"


def _edge_attrs(edge: Edge, outside: set[str]) -> str:
    attrs = [f"id={edge.id}"]
    everything = edge.forward == "all" and edge.backward in ("", "all")
    if not everything:
        attrs.append(f'color="{_OUT if edge.source in outside else _PART}"')
    if edge.label != "all":
        attrs.append(f"label={_q(edge.label)}")
    if edge.forward and edge.backward:
        attrs.append("dir=both")
    if edge.partial:
        attrs.append("style=dashed")
    return ", ".join(attrs)


def svg(model: ReportModel) -> tuple[str | None, str]:
    """The laid-out graph as an ``<svg>`` element (no XML prolog), or why there is none.

    Without Graphviz (or when ``dot`` fails) the page says so in place of the
    graph: the matrix still holds every answer.
    """
    dot = shutil.which("dot")
    if dot is None:
        return None, "Graphviz's dot is not installed (Debian: apt-get install graphviz)"
    done = subprocess.run([dot, "-Tsvg"], input=dot_source(model, title=False),
                          capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["no message"])[0]
        return None, f"dot failed: {first}"
    return _annotate(done.stdout, model), ""


def _annotate(text: str, model: ReportModel) -> str:
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    root = ET.fromstring(text)
    root.set("id", "graph")
    root.set("role", "img")
    root.set("aria-label", "allowed connections between namespaces' workloads")
    nodes = {b.id: b for b in model.boxes}
    edges = {e.id: e for e in model.edges}
    title_tag = f"{{{SVG_NS}}}title"
    for group in root.iter(f"{{{SVG_NS}}}g"):
        gid = group.get("id", "")
        title = group.find(title_tag)
        if gid in nodes:
            box = nodes[gid]
            group.set("class", "node " + ("outside" if box.node.outside else "pod"))
            group.set("data-name", box.node.label)
            group.set("data-node", box.node.id)
            group.set("data-members", " ".join(box.node.members))
            if title is not None:
                title.text = "\n".join(box.node.members)
        elif gid in edges:
            edge = edges[gid]
            kind = "full" if edge.forward == "all" and edge.backward in ("", "all") else "part"
            group.set("class", f"edge {kind}" + (" partial" if edge.partial else ""))
            source = (f"every pod of {edge.tail_ns}" if edge.tail_ns is not None
                      else nodes[edge.source].node.label)
            target = (f"every pod of {edge.head_ns}" if edge.head_ns is not None
                      else nodes[edge.target].node.label)
            group.set("data-from", source)
            group.set("data-to", target)
            group.set("data-services", edge.label.replace("\n", " "))
            if title is not None:
                title.text = (f"{source} → {target}: "
                              f"{edge.forward or 'nothing'}"
                              + (f"; back: {edge.backward}" if edge.backward else ""))
        elif gid.startswith("ns"):
            group.set("class", "cluster ns")
    return ET.tostring(root, encoding="unicode")
