"""The connectivity matrix for people and other tools: CSV, Markdown, Graphviz, HTML.

Graphviz and HTML come from ``analysis.report``.

Every format reads the JSON-contract data of ``analysis.matrix`` (or its
grouped form), so all views agree with ``matrix --format json``.

>>> text = matrix(cluster, conn, "dot")   # doctest: +SKIP
>>> text.startswith("digraph")            # doctest: +SKIP
True
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from ..engine.connectivity import Connectivity
from ..ir import Cluster
from . import report
from .exposure_ingress import ControllerRule
from .matrix import full_matrix, port_matrix
from .report.text import services_text as cell_text

__all__ = ["MatrixView", "cell_text", "matrix", "service_matrix_text", "view"]


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


def matrix(cluster: Cluster, conn: Connectivity, fmt: str, *, protocol: str = "TCP",
           port: int | None = None, grouped: bool = False,
           controllers: Sequence[ControllerRule] | None = None) -> str:
    """Render the matrix as ``csv``, ``md``, ``dot`` or ``html``.

    ``dot`` and ``html`` draw the report's graph (``analysis.report``): namespaces
    as clusters, big namespaces by equivalence class, outside addresses as nodes.
    """
    single = port is not None or protocol.upper() in ("ICMP", "ICMPV6")
    if fmt in ("dot", "html"):
        if fmt == "dot":
            return report.dot_source(report.model_for(
                cluster, conn, grouped=grouped, protocol=protocol, port=port, single=single))
        return report.to_html(cluster, conn, grouped=grouped, protocol=protocol, port=port,
                              single=single, controllers=controllers)
    v = view(conn, protocol, port, grouped)
    if fmt == "csv":
        return to_csv(v)
    if fmt == "md":
        return to_markdown(v)
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


def _service_cell(entries: list[dict[str, Any]]) -> str:
    """``80/TCP (http): all; 443/TCP: some``; empty when nothing is allowed."""
    return "; ".join(f"{e['port']}: {e['allowed']}" for e in entries if e["allowed"] != "none")


def service_matrix_text(data: dict[str, Any], fmt: str) -> str:
    """``matrix --services`` data (``analysis.service_matrix``) as ``csv`` or ``md``.

    >>> data = {"protocol": "TCP", "port": 80, "nodes": ["a/svc/x", "a/p"],
    ...         "connections": {"a/svc/x": {"a/svc/x": [], "a/p": []},
    ...                         "a/p": {"a/svc/x": [{"port": "80/TCP", "allowed": "some"}],
    ...                                 "a/p": []}}}
    >>> print(service_matrix_text(data, "csv"), end="")
    from \\ to,a/svc/x,a/p
    a/svc/x,,
    a/p,80/TCP: some,
    """
    names: list[str] = data["nodes"]
    rows = [[_service_cell(data["connections"][src][dst]) for dst in names] for src in names]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["from \\ to", *names])
        writer.writerows([src, *row] for src, row in zip(names, rows, strict=True))
        return out.getvalue()
    if fmt != "md":
        raise ValueError(f"unknown format {fmt!r}")
    what = (data["protocol"] or "every protocol") + (
        f" port {data['port']}" if data["port"] is not None else "")
    lines = [f"Services and pods that back none ({what}): row = source, column = destination;"
             " all/some = every or some (source, backend) pair allowed.", "",
             "| # | from \\ to | " + " | ".join(str(i) for i in range(1, len(names) + 1)) + " |",
             "|---|---|" + "---|" * len(names)]
    for i, (src, row) in enumerate(zip(names, rows, strict=True), 1):
        lines.append(f"| {i} | {_md(src)} | " + " | ".join(_md(c or "·") for c in row) + " |")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")
