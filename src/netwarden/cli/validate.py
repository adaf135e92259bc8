"""``netwarden validate``: are these manifests valid, as the API server would judge?"""

from __future__ import annotations

import argparse
from typing import Any

from ._common import EXIT_OK, add_command, add_format, add_inputs, console, dump, load_inputs


def register(sub: Any) -> None:
    parser = add_command(sub, "validate", help="validate manifests (exit 0 valid, 2 invalid)",
                         example="netwarden validate k8s/")
    add_inputs(parser)
    add_format(parser, "table", "json", "yaml")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cluster = load_inputs(args)  # raises InvalidManifests: main prints every error, exit 2
    summary = {
        "valid": True,
        "namespaces": len(cluster.all_namespaces),
        "endpoints": len(cluster.endpoints),
        "policies": len(cluster.policies),
        "notes": list(cluster.notes),
        "warnings": list(cluster.warnings),
    }
    if args.format != "table":
        print(dump(summary, args.format))
        return EXIT_OK
    out = console()
    out.print(f"[green]valid[/]: {summary['policies']} policies, {summary['endpoints']} "
              f"endpoints, {summary['namespaces']} namespaces")
    for note in cluster.notes:
        out.print(f"  note: {note}", markup=False)
    return EXIT_OK
