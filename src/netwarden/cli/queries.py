"""``netwarden who-can-reach`` and ``reachable-from``: one pod's column or row of the map."""

from __future__ import annotations

import argparse
from typing import Any

from rich.table import Table

from ._common import (
    EXIT_OK,
    add_command,
    add_format,
    add_inputs,
    console,
    dump,
    load_inputs,
    port_number,
)


def register(sub: Any) -> None:
    for name, what, example in (
        ("who-can-reach", "TARGET", "netwarden who-can-reach k8s/ prod/db --port 5432"),
        ("reachable-from", "SOURCE",
         "netwarden reachable-from k8s/ prod/web    # or prod/Deployment/web"),
    ):
        parser = add_command(
            sub, name,
            help=("who may open connections to a pod" if name == "who-can-reach"
                  else "what a pod may open connections to"),
            example=example + f"\n  netwarden {name} k8s/ prod/api --protocol UDP --port 53 "
            "--format json",
        )
        add_inputs(parser)
        parser.add_argument("subject", metavar=what,
                            help="namespace/pod, namespace/Kind/workload, or a pod IP")
        parser.add_argument("--port", type=port_number, help="one destination port")
        parser.add_argument("--protocol", help="TCP, UDP, SCTP, ICMP… (default: any)")
        add_format(parser, "table", "json", "yaml")
        parser.set_defaults(func=run, question=name)


def _split(args: argparse.Namespace) -> None:
    # argparse puts the last positional in ``paths`` when nargs="+" is greedy.
    if args.subject is None and args.paths:
        args.subject = args.paths.pop()


def run(args: argparse.Namespace) -> int:
    from ..analysis.external import ExternalConnectivity
    from ..analysis.queries import reachable_from, resolve, who_can_reach

    _split(args)
    protocol = args.protocol or ("TCP" if args.port is not None else None)
    cluster = load_inputs(args)
    conn = ExternalConnectivity(cluster)
    subject = resolve(conn, args.subject)
    ask = who_can_reach if args.question == "who-can-reach" else reachable_from
    answer = ask(conn, subject, protocol, args.port)
    if args.format != "table":
        print(dump(answer.to_data(), args.format))
        return EXIT_OK
    out = console()
    what = f"{answer.protocol or 'any protocol'}" + (f"/{answer.port}" if answer.port else "")
    arrow = "→" if args.question == "reachable-from" else "←"
    out.print(f"[bold]{answer.subject}[/] {arrow} {what}: {len(answer.peers)} peer group(s)")
    table = Table(box=None, padding=(0, 1))
    for column in ("peer", "pods", "ports"):
        table.add_column(column, overflow="fold")
    for p in answer.peers:
        pods = ", ".join(p.members) if len(p.members) > 1 or p.members[0] != p.name else ""
        table.add_row(p.name, pods, str(p.services))
    out.print(table)
    return EXIT_OK
