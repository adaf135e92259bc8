"""Exposure for people: plain text lines (the terminal table) and Markdown (a PR comment).

Both read only the public model of ``analysis.exposure``; the JSON contract
is ``Exposure.to_data``.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..ir import Direction
from .exposure import Exposure, ExposureLine, Side, WorkloadExposure

__all__ = ["ARROW", "markdown", "side_heading", "text_lines"]

ARROW = {Direction.INGRESS: "←", Direction.EGRESS: "→"}
_SHOWN = 8  # existing matches named per line in Markdown, the rest counted


def side_heading(side: Side) -> str:
    """``ingress``, ``ingress: not isolated``, ``egress: nothing allowed``."""
    name = side.direction.lower
    if not side.isolated:
        return f"{name}: not isolated"
    return name if side.lines else f"{name}: nothing allowed"


def text_lines(found: Exposure, directions: Iterable[Direction] = tuple(Direction),
               indent: str = "") -> list[str]:
    """One block per workload: the heading, then per direction its lines, what exists
    under each, the rules that admit it and its caveat; then the notes."""
    wanted = tuple(directions)
    out: list[str] = []
    for w in found.workloads:
        out.append(f"{indent}{_title(w)}")
        for direction in wanted:
            side = w.side(direction)
            out.append(f"{indent}  {side_heading(side)}")
            for line in side.lines:
                out.extend(_line(line, indent + "    "))
    out.extend(f"{indent}note: {n}" for n in found.notes)
    return out


def _title(w: WorkloadExposure) -> str:
    if len(w.pods) == 1 and w.pods[0] == w.name:
        return w.name
    return f"{w.name} (pods: {', '.join(w.pods)})"


def _line(line: ExposureLine, indent: str) -> list[str]:
    out = [f"{indent}{ARROW[line.direction]} {line}"]
    if line.existing:
        out.append(f"{indent}    existing: {', '.join(line.existing)}")
    if line.rules:
        out.append(f"{indent}    by: {'; '.join(line.rules)}")
    if line.caveat:
        out.append(f"{indent}    caveat: {line.caveat}")
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(found: Exposure, title: str = "Exposure",
             directions: Iterable[Direction] = tuple(Direction)) -> str:
    """A Markdown section: one table per workload (direction, peers, ports, existing)."""
    wanted = tuple(directions)
    out = [f"## {title}", ""]
    if not found.workloads:
        out.append("No workload.")
    for w in found.workloads:
        out += [f"### `{_title(w)}`", "", "| direction | peers | ports | existing |",
                "|---|---|---|---|"]
        for direction in wanted:
            side = w.side(direction)
            if not side.lines:
                out.append(f"| {direction.lower} | *{side_heading(side).split(': ')[-1]}* "
                           "| | |")
            for line in side.lines:
                names = list(line.existing[:_SHOWN])
                more = len(line.existing) - _SHOWN
                existing = ", ".join(f"`{n}`" for n in names) + (
                    f" +{more} more" if more > 0 else "")
                broad = line.kind in ("any", "cluster") or line.peer.startswith("any ")
                peer = f"**{_cell(line.text)}**" if broad else _cell(line.text)
                if line.caveat:
                    peer += f" *({_cell(line.caveat)})*"
                out.append(f"| {direction.lower} | {peer} | {_cell(line.ports)} | "
                           f"{existing or 'none today'} |")
        out.append("")
    out += [f"*{n}*" for n in found.notes]
    return "\n".join(out).rstrip() + "\n"
