"""The ``netwarden`` command line: one module per command, loaded on use.

Exit codes: 0 success (or allowed), 1 a negative answer (denied, findings,
gained connections, mismatches), 2 invalid input or usage (also: no
manifests found), 3 the machine cannot do it (no root; nft, conntrack, a
namespace or the API server missing or failing), 4 an internal error of
netwarden (a bug: one line naming the file being read; ``--debug`` shows the
traceback).

Only the module of the command being run is imported (``--version`` imports
none), so start-up costs what the command needs.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from .._errors import (
    READING,
    ConntrackError,
    LabError,
    NamespaceError,
    NetwardenError,
    NftError,
    NoManifests,
    SourceError,
)

__all__ = ["build_parser", "main"]

VERSION = "netwarden 0.1.0"
EXIT_INTERNAL = 4
BUG_REPORT = "please report this bug with the command and input that caused it"

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
    "exposure": "exposure",
    "agent": "agent",
    "demo": "demo",
    "flows": "flows",
    "suggest": "suggest",
    "replay": "replay",
}


def _parser(formatter: type[argparse.HelpFormatter], command: str | None,
            parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser,
            ) -> argparse.ArgumentParser:
    """The parser for ``command`` (all of them when None); subcommand parsers are of
    ``parser_class`` too, as argparse makes them."""
    parser = parser_class(
        prog="netwarden",
        description="Kubernetes and Calico network policies: check, explain, enforce.",
        formatter_class=formatter,
        epilog="Example:\n  netwarden check k8s/ --from prod/web --to prod/db --port 5432\n\n"
        "Exit codes: 0 ok/allowed, 1 denied/findings, 2 invalid input, 3 cannot run here, "
        "4 internal error (a bug).",
    )
    parser.add_argument("--version", action="version", version=VERSION)
    parser.add_argument("--debug", action="store_true",
                        help="show the Python traceback of an internal error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = [COMMANDS[command]] if command in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    for module_name in wanted:
        module = _command_module(module_name)
        if module is not None:
            module.register(sub)
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command, as ``netwarden --help`` shows it (for tests and docs)."""
    common = importlib.import_module("._common", __name__)
    return _parser(common.Formatter, None, common.Parser)


def _command_module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f".{name}", __name__)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.endswith(f"cli.{name}"):
            return None  # command not part of this build
        raise


def _command_of(argv: Sequence[str]) -> str | None:
    """The command word: the first argument that is not an option (top-level ones take none)."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; never a traceback (unless ``--debug``)."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_in  # accepted before or after the command
    args_in = [a for a in args_in if a != "--debug"]
    if args_in[:1] == ["--version"]:
        print(VERSION)
        return 0
    # A load allocates millions of small objects, nearly none of them in cycles: with the
    # default thresholds the collector rescans the growing heap over and over (a third of
    # the time on 10,000 pods).
    gc.set_threshold(100_000, 50, 100)
    token = READING.set(None)
    try:
        return _run(args_in)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    except Exception as exc:  # a bug in netwarden: one line, not a traceback
        if debug:
            raise
        where = READING.get()
        what = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        place = f" while reading {where}" if where else ""
        print(f"netwarden: internal error{place}: {what}; {BUG_REPORT} "
              "(--debug shows the traceback)", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        READING.reset(token)


def _run(argv: list[str]) -> int:
    common = importlib.import_module("._common", __name__)
    parser = _parser(common.Formatter, _command_of(argv), common.Parser)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return int(common.EXIT_INPUT)
    try:
        return int(args.func(args))
    except NoManifests as exc:
        common.error_console().print(f"[bold yellow]warning:[/] {_escape(str(exc))}",
                                     highlight=False)
        return int(common.EXIT_INPUT)
    except (ConntrackError, LabError, NamespaceError, NftError, SourceError) as exc:
        common.error_console().print(f"[bold red]error:[/] {_escape(str(exc))}", highlight=False)
        return int(common.EXIT_ENV)
    except NetwardenError as exc:
        common.error_console().print(f"[bold red]error:[/] {_escape(str(exc))}", highlight=False)
        return int(common.EXIT_INPUT)


def _escape(text: str) -> str:
    return text.replace("[", r"\[")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
