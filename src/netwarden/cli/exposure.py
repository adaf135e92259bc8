"""``netwarden exposure``: what each workload is open to, and may open, in selector terms."""

from __future__ import annotations

import argparse
import os
from typing import Any

from rich.markup import escape

from .._errors import ValidationError
from ..analysis.exposure import exposure
from ..analysis.exposure_ingress import ControllerRule, parse_controller
from ..analysis.exposure_text import markdown, text_lines
from ..ir import Direction
from ._common import (
    EXIT_OK,
    add_command,
    add_format,
    add_inputs,
    add_output,
    console,
    dump,
    load_inputs,
    write,
)


def add_controller_option(parser: argparse.ArgumentParser) -> None:
    """``--ingress-controller NS/SELECTOR``: which pods proxy Ingress traffic (repeatable)."""
    parser.add_argument("--ingress-controller", dest="ingress_controllers", action="append",
                        type=_controller, metavar="NS/SELECTOR",
                        help="the Ingress controller's pods, for exposure through Ingresses: "
                        "a namespace and a kubectl-style selector (ingress-nginx/"
                        "app.kubernetes.io/component=controller), or a namespace alone; "
                        "repeatable (default: the pods of namespaces ingress-nginx, "
                        "nginx-ingress, traefik, haproxy-controller, kong, projectcontour)")


def controllers(args: argparse.Namespace) -> list[ControllerRule] | None:
    """The ``--ingress-controller`` rules, or None for the conventional namespaces."""
    return getattr(args, "ingress_controllers", None)


def controllers_for_exposure(args: argparse.Namespace,
                             shown: bool = False) -> list[ControllerRule] | None:
    """``controllers`` of a command where exposure is optional (``--exposure``, or
    ``shown`` by the format): the option without it would be silently ignored, so it
    is a usage error."""
    rules = controllers(args)
    if rules is not None and not (shown or getattr(args, "exposure", False)):
        raise ValidationError(None, "--ingress-controller",
                              "only changes the exposure part of the answer: add --exposure")
    return rules


def _controller(text: str) -> ControllerRule:
    try:
        return parse_controller(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


DIRECTIONS = {"both": tuple(Direction), "ingress": (Direction.INGRESS,),
              "egress": (Direction.EGRESS,)}


def register(sub: Any) -> None:
    parser = add_command(
        sub, "exposure",
        help="what each workload is open to (and may open), beyond the pods that exist",
        example="netwarden exposure k8s/\n"
        "  netwarden exposure k8s/ prod/Deployment/db --direction ingress\n"
        "  netwarden exposure k8s/ -o md -O exposure.md    # a pull-request comment",
        description="For each workload and direction, the peers the policies admit in "
        "selector terms (namespaces × pods × ports, address ranges), whether such pods "
        "exist or not, with the existing workloads each line matches. The last PATH may "
        "be a workload (ns/Kind/name) or a pod (ns/pod).",
    )
    add_inputs(parser)
    parser.add_argument("--direction", choices=tuple(DIRECTIONS), default="both",
                        help="ingress (who may connect to it), egress (where it may connect), "
                        "or both (default)")
    add_controller_option(parser)
    add_format(parser, "table", "json", "yaml", "md")
    add_output(parser)
    parser.set_defaults(func=run)


def split_subject(paths: list[str], live: bool = False) -> str | None:
    """The last positional names a workload when it is no file, directory or ``-``
    (and something else gives the manifests: another path, or a live cluster)."""
    if len(paths) > (0 if live else 1) and paths[-1] != "-" and not os.path.exists(paths[-1]):
        return paths.pop()
    return None


def run(args: argparse.Namespace) -> int:
    live = bool(getattr(args, "kubeconfig", None) or getattr(args, "context", None))
    subject = split_subject(args.paths, live)
    cluster = load_inputs(args)
    found = exposure(cluster, [subject] if subject else None, controllers=controllers(args))
    directions = DIRECTIONS[args.direction]
    if args.format in ("json", "yaml"):
        data = found.to_data()
        if args.direction != "both":
            other = "egress" if args.direction == "ingress" else "ingress"
            for record in data["workloads"]:
                record.pop(other)
        write(dump(data, args.format), args.output)
    elif args.format == "md":
        write(markdown(found, directions=directions), args.output)
    elif args.output:
        write("\n".join(text_lines(found, directions)), args.output)
    else:
        out = console()
        for line in text_lines(found, directions):
            out.print(escape(line), highlight=False)
    return EXIT_OK
