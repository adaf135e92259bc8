"""``netwarden check``: would this connection be allowed, and why?"""

from __future__ import annotations

import argparse
from typing import Any

from ..engine import Engine, SideVerdict, Verdict
from ..ir import Endpoint, ServiceSet
from ..ir.services import PORT_PROTOCOLS, protocol_name, protocol_number
from ._common import (
    EXIT_NEGATIVE,
    EXIT_OK,
    add_command,
    add_format,
    add_inputs,
    console,
    dump,
    load_inputs,
)


def register(sub: Any) -> None:
    parser = add_command(
        sub, "check", help="check one connection and explain why (exit 0 allowed, 1 denied)",
        example="netwarden check k8s/ --from prod/web --to prod/db --port 5432\n"
        "  netwarden check k8s/ --from 192.168.5.10 --to prod/db --port 3306 --protocol TCP",
    )
    add_inputs(parser)
    parser.add_argument("--from", dest="src", required=True, help="namespace/pod or an IP")
    parser.add_argument("--to", dest="dst", required=True, help="namespace/pod or an IP")
    parser.add_argument("--port", type=int, help="destination port (default: every port)")
    parser.add_argument("--protocol", default="TCP",
                        help="TCP, UDP, SCTP, ICMP, ICMPv6 or a number (default TCP)")
    add_format(parser, "text", "json", "yaml", default="text")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    engine = Engine(load_inputs(args))
    protocol = protocol_number(args.protocol)
    verdict = engine.check(args.src, args.dst, protocol, args.port)
    services = _services_between(engine, args, protocol)
    allowed = verdict.allowed if services is None else bool(
        services & ServiceSet.protocol(protocol))
    data = _json(verdict, allowed, args.port)
    if services is not None:
        data["allowed_services"] = services.to_json() if services else []
    if args.format != "text":
        print(dump(data, args.format))
    else:
        _print(verdict, allowed, services, args.port)
    return EXIT_OK if allowed else EXIT_NEGATIVE


def _services_between(engine: Engine, args: argparse.Namespace, protocol: int) -> ServiceSet | None:
    """Without ``--port``, two pods are compared on every port at once."""
    if args.port is not None or protocol not in PORT_PROTOCOLS:
        return None
    src, dst = engine.resolve(args.src), engine.resolve(args.dst)
    conn = engine.connectivity
    if not (isinstance(src, Endpoint) and isinstance(dst, Endpoint)
            and src.key in conn.class_of and dst.key in conn.class_of):
        return None  # the map covers pods; other endpoints are checked per packet
    return conn.between(src, dst)


def _side_json(side: SideVerdict | None) -> dict[str, Any] | None:
    if side is None:
        return None
    return {
        "endpoint": side.endpoint,
        "allowed": side.allowed,
        "isolated": side.isolated,
        "policies": list(side.policies),
        "decided_by": str(side.decided_by.origin) if side.decided_by else None,
        "trace": [{"step": s.kind.value, "text": s.text} for s in side.steps],
    }


def _json(verdict: Verdict, allowed: bool, port: int | None) -> dict[str, Any]:
    return {
        "allowed": allowed,
        "from": verdict.source,
        "to": verdict.destination,
        "protocol": protocol_name(verdict.packet.protocol),
        "port": port,
        "reasons": verdict.reasons,
        "egress": _side_json(verdict.egress),
        "ingress": _side_json(verdict.ingress),
    }


def _print(
    verdict: Verdict, allowed: bool, services: ServiceSet | None, port: int | None
) -> None:
    out = console()
    mark = "[bold green]ALLOWED[/]" if allowed else "[bold red]DENIED[/]"
    what = verdict.packet.describe() if port is not None or services is None else (
        f"{protocol_name(verdict.packet.protocol)} (any port)")
    out.print(f"{mark}  {verdict.source} → {verdict.destination}  {what}")
    if services is not None:
        shown = str(services) if services else "nothing"
        out.print(f"  allowed between them: {shown}", markup=False)
    for note in verdict.notes:
        out.print(f"  • {note}", markup=False)
    for label, side in (("egress", verdict.egress), ("ingress", verdict.ingress)):
        if side is None:
            continue
        if not side.isolated:
            out.print(f"  {label:7} {side.reason}", markup=False)
            continue
        for step in side.steps:
            out.print(f"  {label:7} {step.text}", markup=False)
