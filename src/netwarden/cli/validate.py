"""``netwarden validate``: are these manifests valid, as the API server would judge?"""

from __future__ import annotations

import argparse
from typing import Any

from .._errors import InvalidManifests, NoManifests, ValidationError
from ._common import (
    EXIT_OK,
    add_command,
    add_format,
    add_inputs,
    console,
    dump,
    load_inputs,
    plural,
)


def register(sub: Any) -> None:
    parser = add_command(sub, "validate", help="validate manifests (exit 0 valid, 2 invalid)",
                         example="netwarden validate k8s/")
    add_inputs(parser)
    add_format(parser, "table", "json", "yaml")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        cluster = load_inputs(args)  # raises InvalidManifests: main prints every error, exit 2
    except NoManifests:
        raise
    except ValidationError as exc:
        if args.format != "table":  # a program asked: the errors as data too, on stdout
            print(dump({"valid": False, "errors": [_error_data(e) for e in _errors(exc)]},
                       args.format))
        raise
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
    out.print(f"[green]valid[/]: {plural(len(cluster.policies), 'policy')}, "
              f"{plural(len(cluster.endpoints), 'endpoint')}, "
              f"{plural(len(cluster.all_namespaces), 'namespace')}")
    for note in cluster.notes:
        out.print(f"  note: {note}", markup=False)
    return EXIT_OK


def _errors(exc: ValidationError) -> tuple[ValidationError, ...]:
    return exc.errors if isinstance(exc, InvalidManifests) else (exc,)


def _error_data(error: ValidationError) -> dict[str, Any]:
    """``{"file", "line", "field", "message"}``: ``file``/``line`` null when the error
    has no place (an option), ``line`` null for a whole file."""
    where = error.position
    return {"file": where.file if where else None, "line": (where.line or None) if where else None,
            "field": error.field or None, "message": error.message}
