"""``netwarden diff``: connections gained and lost between two sets of manifests."""

from __future__ import annotations

import argparse
from typing import Any

from ..analysis.exposure import exposure
from ..analysis.exposure_diff import ExposureDiff, exposure_diff
from ._common import (
    EXIT_NEGATIVE,
    EXIT_OK,
    add_command,
    add_format,
    add_output,
    add_strictness,
    console,
    dump,
    print_warnings,
    text_output,
    write,
)
from .exposure import add_controller_option, controllers, controllers_for_exposure


def register(sub: Any) -> None:
    parser = add_command(
        sub, "diff",
        help="semantic diff of two sets of manifests (exit 1 when a connection is gained)",
        example="netwarden diff main/k8s/ pr/k8s/ --format md > comment.md\n"
        "  netwarden diff old.yaml new.yaml --format json",
        description="Compare what A allows with what B allows, for every pod pair, protocol "
        "and port, and for the address ranges the policies name. Several files per side: "
        "--a FILE... --b FILE...",
    )
    parser.add_argument("a", nargs="?", metavar="A", help="the before manifests (file or dir)")
    parser.add_argument("b", nargs="?", metavar="B", help="the after manifests (file or dir)")
    parser.add_argument("--a", dest="a_paths", nargs="+", metavar="PATH",
                        help="several paths for A")
    parser.add_argument("--b", dest="b_paths", nargs="+", metavar="PATH",
                        help="several paths for B")
    parser.add_argument("--exposure", action="store_true",
                        help="also compare what each workload is open to in selector terms "
                        "(exit 1 when exposure is gained: 'opens prod/db to the entire "
                        "cluster'); text, json, yaml or md")
    add_controller_option(parser)
    add_format(parser, "text", "json", "yaml", "md", "csv", default="text")
    add_strictness(parser)
    add_output(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .._api import load_cluster
    from .._errors import ValidationError
    from ..analysis.diff import diff

    controllers_for_exposure(args)

    a_paths = args.a_paths or ([args.a] if args.a else [])
    b_paths = args.b_paths or ([args.b] if args.b else [])
    if not a_paths or not b_paths:
        raise ValidationError(None, "", "give the two inputs: netwarden diff A B")
    before = load_cluster(a_paths, strictness=args.strictness)
    after = load_cluster(b_paths, strictness=args.strictness)
    print_warnings(before)
    print_warnings(after)
    if args.exposure and args.format == "csv":
        raise ValidationError(None, "--exposure", "goes with --format text, json, yaml or md")
    report = diff(before, after)
    rules = controllers(args)
    changes = exposure_diff(exposure(before, controllers=rules),
                            exposure(after, controllers=rules), (before, after)) \
        if args.exposure else None
    if args.format in ("json", "yaml"):
        data = report.to_data()
        if changes is not None:
            data["exposure"] = changes.to_data()
        write(dump(data, args.format), args.output)
    elif args.format == "md":
        text = report.to_markdown()
        if changes is not None:
            text = text.rstrip("\n") + "\n\n" + changes.to_markdown()
        write(text, args.output)
    elif args.format == "csv":
        write(report.to_csv(), args.output)
    else:
        with text_output(args.output):
            _text(report)
            if changes is not None:
                _exposure_text(changes)
    gained = report.gained or (changes is not None and changes.gained)
    return EXIT_NEGATIVE if gained else EXIT_OK


def _exposure_text(changes: ExposureDiff) -> None:
    """``+ gained prod/db ← entire cluster : TCP 5432``, one line per change (workloads
    with the same change on one line)."""
    out = console()
    out.print("[bold]exposure:[/]")
    if not changes.changes:
        out.print("  [green]no exposure gained or lost[/]")
    for workloads, c in changes.grouped():
        mark = "[bold red]+ gained[/]" if c.kind == "gained" else "[yellow]- lost  [/]"
        arrow = "←" if c.direction.lower == "ingress" else "→"
        caveat = f" ({c.line.caveat})" if c.line.caveat else ""
        out.print(f"  {mark} {_esc(', '.join(workloads))} {arrow} {_esc(c.line.text)} : "
                  f"{_esc(c.ports)}{_esc(caveat)}")
    for side, names in (("A", changes.only_in_a), ("B", changes.only_in_b)):
        if names:
            out.print(f"  workloads only in {side} (not compared): {_esc(', '.join(names))}")


def _text(report: Any) -> None:
    """One line per change, under the policy edits that explain it."""
    out = console()
    if not report.changes:
        out.print("[green]no connection gained or lost[/]")
    by_edit: dict[tuple[str, ...], list[Any]] = {}
    for c in report.changes:
        by_edit.setdefault(tuple(c.policies), []).append(c)
    for policies, changes in sorted(by_edit.items(), key=lambda kv: (not kv[0], kv[0])):
        if len(by_edit) > 1 or policies:
            out.print(f"[bold]{_esc(', '.join(policies))}:[/]" if policies else
                      "[bold]no policy edit (pods, labels or namespaces changed):[/]")
        for c in changes:
            mark = "[bold red]+ gained[/]" if c.kind == "gained" else "[yellow]- lost  [/]"
            via = f" (Service {', '.join(c.via_services)})" if c.via_services else ""
            out.print(f"  {mark} {_esc(c.source_label)} → {_esc(c.destination_label)}"
                      f"{_esc(via)} : {_esc(str(c.services))}")
    for side, pods in (("A", report.only_in_a), ("B", report.only_in_b)):
        if pods:
            out.print(f"pods only in {side} (not compared): {_esc(', '.join(pods))}")
    gained = sum(c.kind == "gained" for c in report.changes)
    lost = len(report.changes) - gained
    out.print(f"{gained} gained, {lost} lost (one line per change; --format json lists every "
              "member)")


def _esc(text: str) -> str:
    return text.replace("[", r"\[")
