"""``netwarden flows``: filter recorded flows (netwarden's records or Hubble's export)."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from typing import Any

from rich.markup import escape
from rich.table import Table

from .._errors import ValidationError
from ..analysis.flows import (
    PROTOCOLS,
    Flow,
    FlowEnd,
    FlowVerdict,
    dump_flow,
    flow_json,
    read_flow_file,
)
from ..analysis.flows.select import EndName, FlowQuery
from ._common import (
    EXIT_OK,
    add_command,
    add_format,
    add_output,
    console,
    dump,
    error_console,
    port_number,
    text_output,
    write,
)

END_HELP = "namespace/pod, namespace/Kind/workload, a pod name in default, an IP or a CIDR"


def register(sub: Any) -> None:
    parser = add_command(
        sub, "flows", help="filter recorded flows (netwarden's JSON Lines or Hubble's export)",
        example="netwarden flows flows.jsonl --to shop/StatefulSet/db --verdict denied\n"
        "  netwarden flows hubble.json --from 10.0.0.0/8 --port 5432 -o jsonl -O db.jsonl",
        description="Print the recorded flows that match every filter given. FILE is a flow "
        "log (docs/flows.md) or `hubble observe -o json` output (recognised by its first "
        "line). -o jsonl writes matching records, for suggest and replay.",
    )
    parser.add_argument("file", metavar="FILE", help="the flow file")
    parser.add_argument("--from", dest="src", help=f"source: {END_HELP}")
    parser.add_argument("--to", dest="dst", help=f"destination: {END_HELP}")
    parser.add_argument("--verdict", choices=[v.value for v in FlowVerdict],
                        help="only allowed or only denied flows")
    parser.add_argument("--port", type=port_number,
                        help="destination port (or the Service port the flow was addressed to)")
    parser.add_argument("--protocol", type=_protocol, help=", ".join(PROTOCOLS))
    add_format(parser, "table", "json", "yaml", "jsonl")
    add_output(parser)
    parser.set_defaults(func=run)


def _protocol(text: str) -> str:
    for name in PROTOCOLS:
        if name.lower() == text.lower():
            return name
    raise argparse.ArgumentTypeError(f"invalid protocol {text!r}: one of {', '.join(PROTOCOLS)}")


def query_of(args: argparse.Namespace) -> FlowQuery:
    return FlowQuery(source=EndName.parse(args.src) if args.src else None,
                     destination=EndName.parse(args.dst) if args.dst else None,
                     verdict=FlowVerdict(args.verdict) if args.verdict else None,
                     port=args.port, protocol=args.protocol)


def run(args: argparse.Namespace) -> int:
    query = query_of(args)
    file = read_flow_file(args.file)
    err = error_console()
    for note in file.notes:
        err.print(f"note: {escape(note)}")
    flows = list(query.select(file.flows))
    if not flows:
        for flag, name in (("--from", query.source), ("--to", query.destination)):
            if name is not None and (hint := unseen_end(name, file.flows)) is not None:
                err.print(f"warning: {flag} {escape(name.text)}: {escape(hint)}")
    if args.format == "jsonl":
        data = b"".join(dump_flow(f) for f in flows)
        if args.output and args.output != "-":
            try:
                with open(args.output, "wb") as fh:
                    fh.write(data)
            except OSError as exc:
                raise ValidationError(None, "", f"{args.output}: cannot write: "
                                      f"{exc.strerror or exc}") from None
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
    elif args.format in ("json", "yaml"):
        write(dump([flow_json(f) for f in flows], args.format), args.output)
    else:
        with text_output(args.output):
            _table(flows, len(file.flows))
    return EXIT_OK


def unseen_end(name: EndName, flows: Sequence[Flow]) -> str | None:
    """Why a name matched nothing, when no flow has it at either end (a typo, likely).

    >>> from netwarden.analysis.flows import FlowEnd
    >>> web = FlowEnd(namespace="prod", pod="web")
    >>> unseen_end(EndName.parse("prod/wbe"), [Flow("t", web, web, "TCP", FlowVerdict.ALLOWED)])
    'no flow in the file starts or ends there; did you mean prod/web?'
    """
    if name.network is not None:
        return None
    ends = [end for flow in flows for end in (flow.source, flow.destination)]
    if any(name.matches(end) for end in ends):
        return None
    known = sorted({n for end in ends for n in (end.key, end.workload_key) if n})
    close = difflib.get_close_matches(name.text, known, 1)
    return "no flow in the file starts or ends there" + (
        f"; did you mean {close[0]}?" if close else "")


def end_text(end: FlowEnd) -> str:
    """``shop/web-1`` for a pod, the address for the outside, with the port when known."""
    return end.key or end.address or "?"


def port_text(flow: Flow) -> str:
    if flow.destination.port is None:
        return flow.protocol
    return f"{flow.protocol}/{flow.destination.port}"


def _table(flows: list[Flow], total: int) -> None:
    out = console()
    table = Table(box=None, padding=(0, 1))
    for column in ("time", "source", "destination", "port", "service", "verdict", "decided by"):
        table.add_column(column)
    for flow in flows:
        verdict = ("[green]allowed[/]" if flow.allowed else "[red]denied[/]")
        if flow.staged is not None:
            verdict += f" (staged: {flow.staged.verdict.value})"
        table.add_row(escape(flow.time), escape(end_text(flow.source)),
                      escape(end_text(flow.destination)), port_text(flow),
                      escape(str(flow.service)) if flow.service else "",
                      verdict, escape(str(flow.decision)) if flow.decision else "")
    if flows:
        out.print(table)
    out.print(f"{len(flows)} of {total} flows")
