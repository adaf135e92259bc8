"""The report's exposure section: what each workload is open to, in selector terms.

A view of ``analysis.exposure``: one row per exposure line, ingress first,
with the existing workloads it matches. Lines open to the whole cluster or
to outside addresses are marked, as a review reads them first.
"""

from __future__ import annotations

from html import escape

from ..exposure import Exposure, ExposureLine, WorkloadExposure

__all__ = ["exposure_section"]

_SHOWN = 4  # existing matches listed by name, the rest counted
_BROAD = ("any", "cluster", "addresses")


def _existing(line: ExposureLine) -> str:
    names = [escape(n) for n in line.existing[:_SHOWN]]
    more = len(line.existing) - _SHOWN
    return ", ".join(names) + (f" +{more}" if more > 0 else "") if names else "none today"


def _rows(w: WorkloadExposure) -> list[str]:
    rows = []
    for label, side in (("in", w.ingress), ("out", w.egress)):
        if not side.lines:
            rows.append(f'<td>{label}</td><td colspan="3" class="none">nothing'
                        f"{'' if side.isolated else ' (not isolated)'}</td>")
            continue
        for line in side.lines:
            broad = ' class="broad"' if line.kind in _BROAD else ""
            caveat = f'<br><span class="caveat">{escape(line.caveat)}</span>' \
                if line.caveat else ""
            rows.append(f"<td>{label}</td><td{broad}>{escape(line.text)}{caveat}</td>"
                        f'<td class="ports">{escape(line.ports)}</td>'
                        f'<td class="loc">{_existing(line)}</td>')
    return rows


def exposure_section(found: Exposure) -> str:
    """The section, or a one-line section when there is no workload."""
    body = []
    for w in found.workloads:
        rows = _rows(w)
        head = f'<th rowspan="{len(rows)}" scope="rowgroup" class="rowh">{escape(w.name)}</th>'
        body.append(f"<tbody><tr>{head}{rows[0]}</tr>"
                    + "".join(f"<tr>{r}</tr>" for r in rows[1:]) + "</tbody>")
    notes = "".join(f'<p class="note">{escape(n)}</p>' for n in found.notes)
    if not body:
        return ('<section id="exposure-section"><h2>Exposure</h2>'
                f"<p>No workload.</p>{notes}</section>")
    return ('<section id="exposure-section"><h2>Exposure: what each workload is open to</h2>'
            '<p class="legend">Peers the policies admit, existing or not (in: who may connect '
            'to it; out: where it may connect), with the workloads of this input that match. '
            '<span class="broad">Marked</span>: the whole cluster or addresses outside it.</p>'
            f'{notes}<table class="findings exposure"><thead><tr><th>workload</th>'
            "<th>direction</th><th>peers</th><th>ports</th><th>existing matches</th></tr>"
            f"</thead>{''.join(body)}</table></section>")
