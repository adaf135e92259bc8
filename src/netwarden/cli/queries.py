"""``netwarden who-can-reach`` and ``reachable-from``: one pod's column or row of the map."""

from __future__ import annotations

import argparse
from typing import Any

from rich.table import Table

from .._errors import LookupFailed
from ..analysis.exposure import Side, exposure
from ..analysis.exposure_text import ARROW, side_heading
from ..analysis.external import ExternalConnectivity
from ..analysis.queries import reachable_from, resolve, who_can_reach
from ..analysis.service_queries import backed_services, reachable_services, who_can_reach_service
from ..engine import Engine
from ..ir import Cluster, Endpoint, KubeService
from ._common import (
    EXIT_OK,
    add_command,
    add_format,
    add_inputs,
    console,
    dump,
    load_inputs,
    plural,
    protocol_argument,
)
from .exposure import add_controller_option, controllers, controllers_for_exposure
from .service_target import add_service_arguments, port_argument, qualified_name, resolve_service


def register(sub: Any) -> None:
    for name, what, example in (
        ("who-can-reach", "TARGET", "netwarden who-can-reach k8s/ prod/db --port 5432\n"
         "  netwarden who-can-reach k8s/ staging/svc/db --port 5432    # a Service"),
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
                            help="namespace/pod, namespace/Kind/workload, a pod IP, or (for "
                            "who-can-reach) a Service: ns/svc/name, name.ns.svc.cluster.local")
        parser.add_argument("--port", type=port_argument,
                            help="one destination port (a Service port's name for a Service)")
        parser.add_argument("--protocol", type=protocol_argument,
                            help="TCP, UDP, SCTP, ICMP… (default: any)")
        add_service_arguments(parser)
        parser.add_argument("--exposure", action="store_true",
                            help="also list, in selector terms, every peer the subject's "
                            "policies admit in this direction, existing or not")
        add_controller_option(parser)
        add_format(parser, "table", "json", "yaml")
        parser.set_defaults(func=run, question=name)


def _split(args: argparse.Namespace) -> None:
    # argparse puts the last positional in ``paths`` when nargs="+" is greedy.
    if args.subject is None and args.paths:
        args.subject = args.paths.pop()


def run(args: argparse.Namespace) -> int:
    controllers_for_exposure(args)
    _split(args)
    protocol = args.protocol or ("TCP" if args.port is not None else None)
    cluster = load_inputs(args)
    conn = ExternalConnectivity(cluster)
    engine = Engine(cluster)
    service = resolve_service(engine, args.subject, args, args.port)
    if service is not None:
        return _run_service(conn, engine, args, service, protocol)
    if isinstance(args.port, str):
        raise LookupFailed(f"--port {args.port}: a port name is a Service port's name, and "
                           f"{args.subject} is not a Service")
    subject = resolve(conn, qualified_name(engine, args.subject, args))
    ask = who_can_reach if args.question == "who-can-reach" else reachable_from
    answer = ask(conn, subject, protocol, args.port)
    backs = backed_services(cluster)
    services = reachable_services(engine, subject.key) if args.question == "reachable-from" \
        else []
    if args.format != "table":
        data = answer.to_data()
        for record in data["peers"]:
            record["services"] = sorted({s for pod in record["pods"] for s in backs.get(pod, ())})
        if args.question == "reachable-from":
            data["services"] = services
        if args.exposure:
            data["exposure"] = _exposure_side(cluster, subject, args).to_data()
        print(dump(data, args.format))
        return EXIT_OK
    out = console()
    what = f"{answer.protocol or 'any protocol'}" + (f"/{answer.port}" if answer.port else "")
    arrow = "→" if args.question == "reachable-from" else "←"
    out.print(f"[bold]{answer.subject}[/] {arrow} {what}: "
              f"{plural(len(answer.peers), 'peer group')}")
    table = Table(box=None, padding=(0, 1))
    with_services = any(m in backs for p in answer.peers for m in p.members)
    for column in ("peer", "pods", "ports", *(("backs",) if with_services else ())):
        table.add_column(column, overflow="fold")
    for p in answer.peers:
        pods = ", ".join(p.members) if len(p.members) > 1 or p.members[0] != p.name else ""
        backed = ", ".join(sorted({s for m in p.members for s in backs.get(m, ())}))
        table.add_row(p.name, pods, str(p.services), *((backed,) if with_services else ()))
    out.print(table)
    if services:
        out.print(f"Services {answer.subject} can reach:", highlight=False)
        for item in services:
            n, total = len(item["backends"]), item["total_backends"]
            share = "every backend" if n == total else f"{n} of {total} backends"
            out.print(f"  {item['service']} port {item['port']}: {share}", markup=False)
    if args.exposure:
        side = _exposure_side(cluster, subject, args)
        out.print(f"Exposure, {side_heading(side)} (peers the policies admit, existing or not):",
                  markup=False, highlight=False)
        for line in side.lines:
            out.print(f"  {ARROW[side.direction]} {line}", markup=False, highlight=False)
            if line.existing:
                out.print(f"      existing: {', '.join(line.existing)}", markup=False,
                          highlight=False)
    return EXIT_OK


def _exposure_side(cluster: Cluster, subject: Endpoint, args: argparse.Namespace) -> Side:
    """The subject's ingress (who-can-reach) or egress (reachable-from) exposure."""
    (found,) = exposure(cluster, [subject.key], controllers=controllers(args)).workloads
    return found.ingress if args.question == "who-can-reach" else found.egress


def _run_service(conn: ExternalConnectivity, engine: Engine, args: argparse.Namespace,
                 service: KubeService, protocol: str | None) -> int:
    if args.question != "who-can-reach":
        raise LookupFailed(f"{service.key} is a Service, which opens no connection of its "
                           "own: ask reachable-from one of its pods")
    if args.exposure:  # was silently left out of the answer
        raise LookupFailed(f"--exposure: {service.key} is a Service; exposure is per "
                           "workload: ask who-can-reach one of its backends with --exposure, "
                           "or netwarden exposure (which names the Services a line goes "
                           "through)")
    answer = who_can_reach_service(conn, service, protocol, args.port)
    if args.format != "table":
        print(dump(answer.to_data(), args.format))
        return EXIT_OK
    out = console()
    what = (answer.protocol or "any protocol") + (f"/{answer.port}" if answer.port else "")
    out.print(f"[bold]{answer.subject}[/] ← {what}: {plural(len(answer.peers), 'peer group')}")
    for note in answer.notes:
        out.print(f"  • {note}", markup=False)
    table = Table(box=None, padding=(0, 1))
    for column in ("peer", "pods", "service port", "backends"):
        table.add_column(column, overflow="fold")
    for p in answer.peers:
        pods = ", ".join(p.members) if len(p.members) > 1 or p.members[0] != p.name else ""
        table.add_row(p.name, pods, p.port, p.text)
    out.print(table)
    return EXIT_OK
