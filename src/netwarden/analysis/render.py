"""The connectivity matrix for people and other tools: CSV, Markdown, Graphviz, HTML.

Every format reads the JSON-contract data of ``analysis.matrix`` (or its
grouped form), so all views agree with ``matrix --format json``.

>>> text = matrix(cluster, conn, "dot")   # doctest: +SKIP
>>> text.startswith("digraph")            # doctest: +SKIP
True
"""

from __future__ import annotations

import csv
import io
from typing import Any

from ..engine.connectivity import Connectivity
from ..ir import Cluster
from .matrix import full_matrix, port_matrix

__all__ = ["AUTO_GROUP", "MatrixView", "cell_text", "matrix", "view"]

# Above this many endpoints a graph groups endpoints with identical connectivity.
AUTO_GROUP = 30


class MatrixView:
    """Rows and cells of one matrix, whatever its kind (one port or every port, grouped)."""

    def __init__(self, data: dict[str, Any], single: bool, grouped: bool) -> None:
        self.data = data
        self.single = single
        self.grouped = grouped
        self.names: list[str] = list(data["groups"]) if grouped else list(data["endpoints"])
        self.members: dict[str, list[str]] = (
            data["groups"] if grouped else {n: [n] for n in self.names})
        self.title = (f"{data['protocol']}" + (f"/{data['port']}" if data.get("port") else "")
                      if single else "every protocol and port")

    def value(self, src: str, dst: str) -> Any:
        return self.data["allowed" if self.single else "connections"][src][dst]

    def text(self, src: str, dst: str) -> str:
        return cell_text(self.value(src, dst))

    def allowed(self, src: str, dst: str) -> bool:
        v = self.value(src, dst)
        return bool(v)

    def label(self, name: str) -> str:
        if not self.grouped:
            return name
        members = self.members[name]
        shown = ", ".join(members[:3]) + (f" +{len(members) - 3}" if len(members) > 3 else "")
        return f"{name}: {shown}"


def view(conn: Connectivity, protocol: str = "TCP", port: int | None = None,
         grouped: bool = False) -> MatrixView:
    single = port is not None or protocol.upper() in ("ICMP", "ICMPV6")
    data = (port_matrix(conn, protocol, port, grouped=grouped) if single
            else full_matrix(conn, grouped=grouped))
    return MatrixView(data, single, grouped)


def cell_text(value: Any) -> str:
    """A matrix cell in words: ``all``, ``""`` (nothing), ``TCP 80, 443; UDP 53``, yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value == "all":
        return "all"
    parts = []
    for entry in value:
        spans = entry.get("ports") or entry.get("types")
        name = entry["protocol"]
        if name == "other":
            excluded = entry.get("except")
            parts.append("other protocols" + (f" except {', '.join(excluded)}" if excluded
                                               else ""))
        elif spans is None:
            parts.append(name)
        else:
            parts.append(f"{name} " + ", ".join(str(a) if a == b else f"{a}-{b}"
                                                for a, b in spans))
    return "; ".join(parts)


def matrix(cluster: Cluster, conn: Connectivity, fmt: str, *, protocol: str = "TCP",
           port: int | None = None, grouped: bool = False) -> str:
    """Render the matrix as ``csv``, ``md``, ``dot`` or ``html``."""
    if fmt in ("dot", "html") and not grouped and len(conn.endpoints) > AUTO_GROUP:
        grouped = True
    v = view(conn, protocol, port, grouped)
    if fmt == "csv":
        return to_csv(v)
    if fmt == "md":
        return to_markdown(v)
    if fmt == "dot":
        return to_dot(v, cluster)
    if fmt == "html":
        from .html import to_html

        return to_html(v, cluster, conn)
    raise ValueError(f"unknown format {fmt!r}")


def to_csv(v: MatrixView) -> str:
    """First column the source, one column per destination; groups get a member table."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["from \\ to", *v.names])
    for src in v.names:
        writer.writerow([src, *(v.text(src, dst) for dst in v.names)])
    return out.getvalue()


def to_markdown(v: MatrixView) -> str:
    lines = [f"Connectivity ({v.title}): row = source, column = destination.", ""]
    head = [str(i) for i in range(1, len(v.names) + 1)]
    lines.append("| # | from \\ to | " + " | ".join(head) + " |")
    lines.append("|---|---|" + "---|" * len(head))
    for i, src in enumerate(v.names, 1):
        cells = []
        for dst in v.names:
            value = v.value(src, dst)
            if isinstance(value, bool):
                cells.append("✓" if value else "·")
            else:
                cells.append("✓ all" if value == "all" else (v.text(src, dst) or "·"))
        lines.append(f"| {i} | {_md(v.label(src))} | " + " | ".join(_md(c) for c in cells)
                     + " |")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(v: MatrixView, cluster: Cluster) -> str:
    """Graphviz: namespaces as clusters, an edge per allowed (source, destination) pair."""
    # newrank avoids graphviz's "trouble in init_rank" with clusters and many edges.
    lines = ["digraph connectivity {", "  rankdir=LR; newrank=true;",
             '  node [shape=box, style="rounded,filled", fillcolor="#eef4ff", '
             'fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9, color="#44aa77"];',
             f"  label={_q('netwarden: ' + v.title)}; labelloc=t;"]
    by_ns: dict[str, list[str]] = {}
    for name in v.names:
        ns = namespace_of(name, v, cluster)
        by_ns.setdefault(ns, []).append(name)
    for i, (ns, names) in enumerate(sorted(by_ns.items())):
        if ns:
            lines.append(f"  subgraph cluster_{i} {{ label={_q(ns)}; style=rounded; "
                         'color="#9999aa";')
        for name in names:
            external = not v.grouped and cluster.endpoint(name) is None
            node_attrs = ', fillcolor="#fff3e0", shape=note' if external else ""
            lines.append(f"    {_q(name)} [label={_q(v.label(name))}{node_attrs}];")
        if ns:
            lines.append("  }")
    outside = {n for n in v.names if not v.grouped and cluster.endpoint(n) is None}
    for src in v.names:
        for dst in v.names:
            if src == dst or not v.allowed(src, dst) or (
                    src in outside and dst in outside):
                continue  # between two outside addresses, no policy applies
            text = v.text(src, dst)
            attrs: list[str] = []
            if text not in ("all", "yes"):
                attrs.append('color="#dd8800"')
            if text != "yes":
                attrs.append(f"label={_q(text)}")
            lines.append(f"  {_q(src)} -> {_q(dst)}"
                         + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


def namespace_of(name: str, v: MatrixView, cluster: Cluster) -> str:
    spaces = set()
    for member in v.members[name]:
        endpoint = cluster.endpoint(member)
        spaces.add(endpoint.namespace if endpoint is not None and endpoint.namespace else "")
    return spaces.pop() if len(spaces) == 1 else ""
