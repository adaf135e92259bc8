"""``netwarden lint``: mistakes and risks in policies, with where, why and how to fix."""

from __future__ import annotations

import argparse
from typing import Any

from rich.table import Table

from . import VERSION
from ._common import (
    EXIT_NEGATIVE,
    EXIT_OK,
    add_command,
    add_format,
    add_inputs,
    add_output,
    console,
    dump,
    load_inputs,
    text_output,
    write,
)

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def register(sub: Any) -> None:
    parser = add_command(
        sub, "lint", help="find policy mistakes and risks (exit 1 on any error finding)",
        example="netwarden lint k8s/\n  netwarden lint k8s/ --format json --min-severity warning\n"
        "  netwarden lint k8s/ -o sarif -O netwarden.sarif    # for GitHub code scanning",
    )
    add_inputs(parser)
    add_format(parser, "table", "json", "yaml", "csv", "md", "sarif")
    parser.add_argument("--min-severity", choices=("error", "warning", "info"), default="info",
                        help="hide findings below this severity (default: info)")
    parser.add_argument("--no-redundancy", action="store_true",
                        help="skip the redundant-rule analysis (NW007, NW012)")
    add_output(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..analysis.findings import (
        Severity,
        findings_csv,
        findings_md,
        findings_sarif,
        to_records,
    )
    from ..analysis.lint import lint

    cluster = load_inputs(args)
    limit = Severity(args.min_severity).rank
    findings = [f for f in lint(cluster, redundancy=not args.no_redundancy)
                if f.severity.rank <= limit]
    failed = any(f.severity is Severity.ERROR for f in findings)
    if args.format in ("json", "yaml"):
        write(dump(to_records(findings), args.format), args.output)
    elif args.format == "csv":
        write(findings_csv(findings), args.output)
    elif args.format == "md":
        write(findings_md(findings), args.output)
    elif args.format == "sarif":
        write(dump(findings_sarif(findings, VERSION), "json", pretty=True), args.output)
    else:
        with text_output(args.output):
            _table(findings)
    return EXIT_NEGATIVE if failed else EXIT_OK


def _table(findings: list[Any]) -> None:
    out = console()
    if not findings:
        out.print("[green]no findings[/]")
        return
    table = Table(box=None, padding=(0, 1), show_lines=False)
    for column in ("severity", "id", "location", "finding"):
        table.add_column(column, overflow="fold")
    for f in findings:
        sev = f.severity.value
        text = f"{_esc(f.message)}\n[dim]why:[/] {_esc(f.check.why)}\n[dim]fix:[/] {_esc(f.fix)}"
        table.add_row(f"[{_STYLE[sev]}]{sev}[/]", f"{f.id}\n[dim]{f.check.name}[/]",
                      _esc(str(f.location or "")), text)
    out.print(table)
    counts = {s: sum(f.severity.value == s for f in findings) for s in _STYLE}
    out.print(", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items()))


def _esc(text: str) -> str:
    return text.replace("[", r"\[")
