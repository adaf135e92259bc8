"""``netwarden suggest``: least-privilege policies from recorded flows, verified first."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.markup import escape

from .._errors import ValidationError
from ..analysis.diff import diff
from ..analysis.suggest import SuggestOptions, suggestion
from ..analysis.suggest_verify import manifest_texts, verify
from ..compile import compile_snapshot
from ..load import Strictness, load_snapshot
from ._common import (
    EXIT_NEGATIVE,
    EXIT_OK,
    add_command,
    add_format,
    add_strictness,
    console,
    error_console,
    plural,
    print_warnings,
)
from ._flow_files import add_flows_option, read_flows_args


def register(sub: Any) -> None:
    parser = add_command(
        sub, "suggest",
        help="least-privilege policies from recorded flows (exit 1 when they fail verification)",
        example="netwarden suggest app/ --flows flows.jsonl -O policies/\n"
        "  netwarden suggest app/ --flows hubble.json -o calico --prefix-length 24 -O policies/",
        description="One policy per workload and direction allowing the observed (allowed) "
        "flows, and a default deny per namespace. Verified before it is written: the engine "
        "must allow every observed flow under the manifests plus the suggestion, and lint "
        "must find no error or warning in it; the diff against the current policies is "
        "printed. Without -O the manifests go to standard output.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="the application's manifests (files or directories)")
    add_flows_option(parser)
    parser.add_argument("-O", "--output", metavar="DIR",
                        help="write one file per policy, DIR/<namespace>/<name>.yaml")
    add_format(parser, "k8s", "calico", default="k8s")
    parser.add_argument("--prefix-length", type=int, default=32, metavar="N",
                        help="merge outside IPv4 addresses into /N ipBlocks (default 32)")
    parser.add_argument("--prefix-length-v6", type=int, default=128, metavar="N",
                        help="the same for IPv6 (default 128)")
    parser.add_argument("--include-denied", action="store_true",
                        help="also allow the flows that were denied when recorded")
    add_strictness(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        options = SuggestOptions(format=args.format, prefix_length=args.prefix_length,
                                 prefix_length_v6=args.prefix_length_v6,
                                 include_denied=args.include_denied)
    except ValueError as exc:
        raise ValidationError(None, "", str(exc)) from None
    snapshot = load_snapshot(args.paths, strictness=Strictness(args.strictness))
    before = compile_snapshot(snapshot)
    print_warnings(before)
    flows = read_flows_args(args.flows)
    result = suggestion(before, flows, options)
    err = error_console()
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    for note in result.notes:
        err.print(f"note: {escape(note)}")
    for why, count in sorted(result.skipped.items()):
        err.print(f"note: {count} flows left out: {escape(why)}")
    directory = args.output or "suggested"
    check = verify(snapshot, result, directory)
    for note in check.notes():
        err.print(f"note: {escape(note)}")
    for warning in check.warnings():
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    if not check.ok:
        for problem in check.problems():
            err.print(f"[red]error:[/] {escape(problem)}")
        err.print("nothing written: the suggestion failed verification")
        return EXIT_NEGATIVE
    texts = manifest_texts(result, directory)
    report = diff(before, check.after)
    out = console() if args.output else err
    dns = (f" but the {len(check.unobserved_dns)} about DNS above"
           if check.unobserved_dns else "")
    out.print(f"{plural(len(texts), 'policy')} suggested from "
              f"{plural(result.flows_used, 'flow')}; every observed "
              f"flow is allowed, lint finds no error or warning{dns}")
    out.print(f"diff against the current policies ({sum(c.kind == 'lost' for c in report.changes)}"
              f" connections lost, {sum(c.kind == 'gained' for c in report.changes)} gained):")
    for change in report.changes:
        out.print(f"  {escape(change.text)}")
    if args.output:
        for name, text in texts:
            path = Path(name)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise ValidationError(None, "", f"{path}: cannot write: "
                                      f"{exc.strerror or exc}") from None
            out.print(f"wrote {escape(name)}")
    else:
        sys.stdout.write("---\n".join(text for _, text in texts))
    return EXIT_OK
