"""The ``netwarden`` command line: one module per command, loaded on use.

Exit codes: 0 success (or allowed), 1 a negative answer (denied, findings,
gained connections, mismatches), 2 invalid input or usage, 3 the machine
cannot do it (no root, no nft).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .._errors import LabError, NamespaceError, NetwardenError, NftError, SourceError
from ._common import EXIT_ENV, EXIT_INPUT, Formatter, error_console

__all__ = ["main"]

# name -> module; each module has register(subparsers) and run(args) -> int
COMMANDS = {
    "validate": "validate",
    "check": "check",
    "matrix": "matrix",
    "explain": "explain",
    "nft": "nft",
    "lab": "lab",
    "lint": "lint",
    "diff": "diff",
    "who-can-reach": "queries",
    "reachable-from": "queries",
    "agent": "agent",
    "demo": "demo",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netwarden",
        description="Kubernetes and Calico network policies: check, explain, enforce.",
        formatter_class=Formatter,
        epilog="Example:\n  netwarden check k8s/ --from prod/web --to prod/db --port 5432\n\n"
        "Exit codes: 0 ok/allowed, 1 denied/findings, 2 invalid input, 3 cannot run here.",
    )
    parser.add_argument("--version", action="version", version="netwarden 0.1.0")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    registered: set[str] = set()
    for module_name in dict.fromkeys(COMMANDS.values()):
        try:
            module = importlib.import_module(f".{module_name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.endswith(f"cli.{module_name}"):
                continue  # command not part of this build
            raise
        module.register(sub)
        registered.add(module_name)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_INPUT
    try:
        return int(args.func(args))
    except (LabError, NamespaceError, NftError, SourceError) as exc:
        error_console().print(f"[bold red]error:[/] {_escape(str(exc))}", highlight=False)
        return EXIT_ENV
    except NetwardenError as exc:
        error_console().print(f"[bold red]error:[/] {_escape(str(exc))}", highlight=False)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 0


def _escape(text: str) -> str:
    return text.replace("[", r"\[")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
