"""``netwarden replay``: which recorded flows a proposed policy set would cut (exit 1 if any)."""

from __future__ import annotations

import argparse
from typing import Any

from rich.markup import escape
from rich.table import Table

from ..analysis.replay import ReplayReport, proposed_cluster, replay
from ..compile import compile_snapshot
from ..load import Strictness, load_snapshot
from ._common import (
    EXIT_NEGATIVE,
    EXIT_OK,
    add_command,
    add_format,
    add_output,
    add_strictness,
    console,
    dump,
    error_console,
    print_warnings,
    text_output,
    write,
)
from ._flow_files import add_flows_option, read_flows_args


def register(sub: Any) -> None:
    parser = add_command(
        sub, "replay",
        help="recorded flows under the current and proposed policies (exit 1 when an "
        "allowed flow would be denied)",
        example="netwarden replay app/ policies/ --flows flows.jsonl\n"
        "  netwarden replay app/ policies/ --flows hubble.json -o md > comment.md",
        description="Decide every recorded flow with the engine under the current manifests "
        "and under the manifests with NEW_POLICIES put in (a policy of the same kind, "
        "namespace and name replaces the current one), and print the flows whose verdict "
        "changes, grouped by workload pair and port.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="the current manifests")
    parser.add_argument("new", metavar="NEW_POLICIES", help="the proposed policies (file or dir)")
    add_flows_option(parser)
    add_format(parser, "table", "json", "yaml", "md")
    add_strictness(parser)
    add_output(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    strictness = Strictness(args.strictness)
    current = load_snapshot(args.paths, strictness=strictness)
    proposal = load_snapshot([args.new], strictness=strictness)
    before = compile_snapshot(current)
    after = proposed_cluster(current, proposal)
    print_warnings(after)
    report = replay(before, after, read_flows_args(args.flows))
    err = error_console()
    for end, count in sorted(report.unchecked.items()):
        err.print(f"note: {count} flows not replayed: {escape(end)} is not in the manifests")
    if report.recorded_differently:
        err.print(f"note: {report.recorded_differently} flows were recorded with another "
                  "verdict than the engine gives under the current manifests")
    if args.format in ("json", "yaml"):
        write(dump(report.to_data(), args.format), args.output)
    elif args.format == "md":
        write(report.to_markdown(), args.output)
    else:
        with text_output(args.output):
            _table(report)
    return EXIT_NEGATIVE if report.cut else EXIT_OK


def _table(report: ReplayReport) -> None:
    out = console()
    cut = sum(c.flows for c in report.cut)
    if report.changes:
        table = Table(box=None, padding=(0, 1))
        for column in ("source", "destination", "port", "now", "proposed", "flows"):
            table.add_column(column)
        for c in report.changes:
            table.add_row(escape(c.source), escape(c.destination), c.service,
                          "allowed" if c.before else "denied",
                          "[red]denied[/]" if c.cut else "[green]allowed[/]", str(c.flows))
        out.print(table)
    out.print(f"{report.flows} flows replayed: {cut} would be denied, "
              f"{sum(c.flows for c in report.changes) - cut} newly allowed, "
              f"{report.unchanged} unchanged")
