"""``netwarden explain``: every policy in plain words."""

from __future__ import annotations

import argparse
from typing import Any

from ..engine import describe_policy, speaks_calico
from ._common import EXIT_OK, add_command, add_format, add_inputs, console, dump, load_inputs


def register(sub: Any) -> None:
    parser = add_command(sub, "explain", help="explain each policy in plain words",
                         example="netwarden explain k8s/")
    add_inputs(parser)
    add_format(parser, "text", "json", "yaml", default="text")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cluster = load_inputs(args)
    policies = [p for _, ps in cluster.evaluation_order for p in ps]
    tiers = speaks_calico(cluster)
    if args.format != "text":
        data = [{"policy": p.id, "position": str(p.position) if p.position else None,
                 "explanation": describe_policy(p, tiers=tiers)} for p in policies]
        print(dump(data, args.format))
        return EXIT_OK
    out = console()
    if not policies:
        out.print("no policies: every pod can reach every other pod")
    for policy in policies:
        lines = describe_policy(policy, tiers=tiers)
        where = f"  ({policy.position})" if policy.position else ""
        out.print(f"[bold]{lines[0]}[/]{where}", highlight=False)
        for line in lines[1:]:
            out.print(line, markup=False)
        out.print()
    return EXIT_OK
