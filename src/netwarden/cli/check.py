"""``netwarden check``: would this connection be allowed, and why?

With ``--port`` the answer is about one packet. Without it, it is about every
port of the protocol at once, per service set: "allowed on TCP 5432 only",
"allowed on every TCP port", "denied on every TCP port"; each side (the
source's egress, the destination's ingress) gets its own service set, and the
trace shown is that of one representative port, so the side verdicts printed
always agree with the answer.

With ``--to-name`` the destination is a host known by DNS name: AdminNetworkPolicy
``domainNames`` peers are matched against it, every other rule sees an outside
address netwarden cannot know without DNS, and the rules naming addresses that
might match the resolved address are listed (``certain`` is false when any is).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from rich.markup import escape

from .._errors import LookupFailed
from ..engine import Connectivity, Engine, NameVerdict, SideVerdict, Verdict
from ..engine.connectivity import is_loopback
from ..engine.service_names import is_service_name
from ..ir import Direction, Endpoint, EndpointKind, Rule, ServiceSet
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
    protocol_argument,
)
from .service_target import (
    add_service_arguments,
    add_via_node_argument,
    port_argument,
    qualified_name,
    resolve_service,
    run_service_check,
)

_ALL = ServiceSet.all()


def register(sub: Any) -> None:
    parser = add_command(
        sub, "check", help="check one connection and explain why (exit 0 allowed, 1 denied)",
        example="netwarden check k8s/ --from prod/web --to prod/db --port 5432\n"
        "  netwarden check k8s/ --from prod/Deployment/web --to prod/db    # every TCP port\n"
        "  netwarden check k8s/ --from 192.168.5.10 --to prod/db --port 3306 --protocol TCP\n"
        "  netwarden check k8s/ --from admin/curl --to backend.staging.svc.cluster.local "
        "--port http    # through a Service\n"
        "  netwarden check k8s/ --from prod/web --to-name api.example.com --port 443"
        "    # AdminNetworkPolicy domainNames",
    )
    add_inputs(parser)
    parser.add_argument("--from", dest="src", required=True,
                        help="namespace/pod, namespace/Kind/workload, a pod name in default, "
                        "or an IP")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--to", dest="dst",
                        help="namespace/pod, namespace/Kind/workload, a pod name in default, "
                        "an IP, or a Service (ns/svc/name, name.ns.svc.cluster.local, name.ns)")
    target.add_argument("--to-name", dest="dst_name", metavar="NAME",
                        help="a host outside the cluster known by DNS name (matched against "
                        "AdminNetworkPolicy domainNames; needs --port for TCP/UDP/SCTP)")
    parser.add_argument("--port", type=port_argument,
                        help="destination port, or a port name: the destination pod's "
                        "container port or a Service port (default: every port, answered per "
                        "port range)")
    parser.add_argument("--protocol", default="TCP", type=protocol_argument,
                        help="TCP, UDP, SCTP, ICMP, ICMPv6 or a number (default TCP)")
    add_service_arguments(parser)
    add_via_node_argument(parser)
    add_format(parser, "text", "json", "yaml", default="text")
    parser.set_defaults(func=run)


@dataclass(frozen=True, slots=True)
class PortRange:
    """Without ``--port``: what each side and the connection allow, for the protocol."""

    protocol: int
    services: ServiceSet            # the connection, every protocol
    sides: dict[str, ServiceSet]    # "egress"/"ingress" -> that side, every protocol

    def of(self, services: ServiceSet) -> ServiceSet:
        return services & ServiceSet.protocol(self.protocol)

    @property
    def allowed(self) -> bool:
        return bool(self.of(self.services))

    def answer(self, services: ServiceSet | None = None) -> str:
        """``allowed on TCP 5432 only``, ``allowed on every TCP port``, ``denied on every
        TCP port``."""
        mine = self.of(self.services if services is None else services)
        name = protocol_name(self.protocol)
        if not mine:
            return f"denied on every {name} port"
        if mine.contains(self.protocol):
            return f"allowed on every {name} port"
        return f"allowed on {mine} only"

    def traced_port(self) -> int | None:
        """The port whose trace explains the answer: an allowed one when there is one,
        else one that a side allows (showing where the other side stops it), else None
        (the protocol as a whole, which every side denies)."""
        sides = [s for s in self.sides.values() if not self.of(s).contains(self.protocol)]
        for candidate in (self.services, *sides):
            for proto, spans in self.of(candidate).protocols():
                if proto == self.protocol and spans:
                    return spans[0][0]
        return None


def run(args: argparse.Namespace) -> int:
    cluster = load_inputs(args)
    engine = Engine(cluster)
    service = None if args.dst_name is not None else resolve_service(engine, args.dst, args,
                                                                      args.port)
    if args.via_node is not None and service is None:
        raise LookupFailed(f"--via-node {args.via_node}: {args.dst or args.dst_name} is not a "
                           "Service; only a Service is entered by a node")
    if args.dst_name is not None:
        return _run_by_name(engine, args)
    args.src = qualified_name(engine, args.src, args)
    if service is not None:
        return run_service_check(engine, args, service, args.src)
    args.dst = qualified_name(engine, args.dst, args)
    protocol = protocol_number(args.protocol)
    port_name = None
    if isinstance(args.port, str):
        port_name, args.port = args.port, _container_port(engine, args.dst, args.port, protocol)
    ranges = _port_range(engine, args, protocol)
    port = args.port if ranges is None else ranges.traced_port()
    verdict = engine.check(args.src, args.dst, protocol, port)
    allowed = verdict.allowed if ranges is None else ranges.allowed
    caveats = invented_address_caveats(engine, verdict)
    data = _json(verdict, args.port, ranges)
    data["address_caveats"] = caveats
    if port_name is not None:
        data["port_name"] = port_name
    staged = None
    if cluster.staged is not None:  # Calico's staged policies: what would happen, not enforced
        staged = Engine(cluster.staged).check(args.src, args.dst, protocol, port)
        data["staged"] = {"allowed": staged.allowed, "reasons": staged.reasons}
    if args.format != "text":
        print(dump(data, args.format))
    else:
        _print(verdict, args.port, ranges)
        if port_name is not None:
            number = f"{protocol_name(protocol)} {args.port}"
            console().print(f"  port {port_name} = {number}: {args.dst}'s container port of "
                            "that name", markup=False, highlight=False)
        for caveat in caveats:
            console().print(f"  [yellow]![/] {escape(caveat)}")
        if staged is not None:
            word = "ALLOWED" if staged.allowed else "DENIED"
            console().print(f"  staged (not enforced): {word} for "
                            f"{staged.packet.describe()}", markup=False)
            for reason in staged.reasons:
                console().print(f"    {reason}", markup=False)
    return EXIT_OK if allowed else EXIT_NEGATIVE


def _container_port(engine: Engine, key: str, name: str, protocol: int) -> int:
    """The number of the destination pod's container port ``name``: a named port means
    that pod's, as a NetworkPolicy's named port does."""
    endpoint = engine.cluster.endpoint(key)
    numbers = endpoint.named_ports(name, protocol) if endpoint is not None else ()
    if len(numbers) == 1:
        return numbers[0]
    declared = ", ".join(f"{p.name} {p.port}/{protocol_name(p.protocol)}"
                         for p in (endpoint.ports if endpoint is not None else ()) if p.name)
    why = (f"declares it {len(numbers)} times" if numbers else
           f"declares no {protocol_name(protocol)} port of that name" + (
               f" (its named ports: {declared})" if declared else " (and no named port)"))
    raise LookupFailed(f"--port {name}: {key} {why}; a port name is the destination pod's "
                       "container port or a Service port's name")


def _run_by_name(engine: Engine, args: argparse.Namespace) -> int:
    protocol = protocol_number(args.protocol)
    if isinstance(args.port, str):
        raise LookupFailed(f"--port {args.port}: a port name is a Service port's name; "
                           "--to-name takes a port number")
    if args.port is None and protocol in PORT_PROTOCOLS:
        raise LookupFailed("--to-name needs --port: a host known by name is checked one "
                           "port at a time")
    if is_service_name(args.dst_name.rstrip("."), args.cluster_domain):
        raise LookupFailed(f"--to-name {args.dst_name}: a Service name of the cluster domain "
                           "is checked through the Service: use --to")
    args.src = qualified_name(engine, args.src, args)
    answer = engine.check_name(args.src, args.dst_name, protocol, args.port)
    if args.format != "text":
        print(dump(_name_json(answer), args.format))
    else:
        _print(answer.verdict, args.port, None)
        if answer.address_rules:
            console().print(f"  [yellow]![/] {escape(_uncertainty(answer))}")
    return EXIT_OK if answer.verdict.allowed else EXIT_NEGATIVE


def _uncertainty(answer: NameVerdict) -> str:
    rules = ", ".join(str(r.origin) for r in answer.address_rules)
    return (f"not certain: without DNS netwarden cannot know whether {rules} (naming "
            f"addresses) match the address {answer.verdict.destination} resolves to; "
            "any of them could change the answer")


def _name_json(answer: NameVerdict) -> dict[str, Any]:
    verdict = answer.verdict
    return {
        "allowed": verdict.allowed,
        "certain": answer.certain,
        "from": verdict.source,
        "to_name": verdict.destination,
        "protocol": protocol_name(verdict.packet.protocol),
        "port": verdict.packet.port,
        "reasons": verdict.reasons,
        "egress": _side_json(verdict.egress, None, None),
        "address_rules": [str(r.origin) for r in answer.address_rules],
        "uncertainty": _uncertainty(answer) if answer.address_rules else None,
    }


def _port_range(engine: Engine, args: argparse.Namespace, protocol: int) -> PortRange | None:
    """Without ``--port``, two endpoints are compared on every port at once, from the map
    (outside addresses through the map of the ranges the policies name)."""
    if args.port is not None or protocol not in PORT_PROTOCOLS:
        return None
    src, dst = engine.resolve(args.src), engine.resolve(args.dst)
    conn: Connectivity = engine.connectivity
    if not all(isinstance(e, Endpoint) for e in (src, dst)):
        from ..analysis.external import ExternalConnectivity

        conn = ExternalConnectivity(engine.cluster, engine.index)
    s, d = _class_of(conn, src), _class_of(conn, dst)
    if s is None or d is None:
        return None  # host endpoints: checked per packet
    if isinstance(src, Endpoint) and isinstance(dst, Endpoint) and is_loopback(src, dst):
        return PortRange(protocol, _ALL, {})
    egress, ingress = conn.side(s, Direction.EGRESS), conn.side(d, Direction.INGRESS)
    sides = {"egress": egress.get(d) if egress is not None else _ALL,
             "ingress": ingress.get(s) if ingress is not None else _ALL}
    return PortRange(protocol, conn.class_pair(s, d), sides)


def _class_of(conn: Connectivity, subject: object) -> int | None:
    if isinstance(subject, Endpoint):
        if subject.kind is EndpointKind.NETWORK_SET:
            return None
        return conn.class_of.get(subject.key)
    for e in conn.external:  # an address outside the cluster: the range node it falls in
        if e.key in conn.class_of and _in_range(conn, e, subject):
            return conn.class_of[e.key]
    return None


def _in_range(conn: Connectivity, node: Endpoint, ip: object) -> bool:
    ranges = getattr(conn, "ranges", ())
    return any(r.name == node.key and r.contains(ip) for r in ranges)


def invented_address_caveats(engine: Engine, verdict: Verdict) -> list[str]:
    """Where an ipBlock decides a side for a pod whose address netwarden assigned (no
    ``status.podIP``): the verdict rests on that address, and the real one decides.

    A side decided by a rule with addresses, or denied at the end of its policies while
    some of their rules name addresses (which the assigned one did not match), counts.
    """
    out: list[str] = []
    src, dst = engine.resolve(verdict.source), engine.resolve(verdict.destination)
    by_id = {p.id: p for p in engine.cluster.policies}
    for side, local, remote in ((verdict.egress, src, dst), (verdict.ingress, dst, src)):
        if side is None:
            continue
        invented = [e for e in (remote, local) if isinstance(e, Endpoint) and e.address_assigned]
        if not invented:
            continue
        if side.decided_by is not None:
            deciding = [side.decided_by] if _names_addresses(side.decided_by, side.direction) \
                else []
            how = "the ipBlock of {rules} decides"
        elif side.isolated and not side.allowed:
            deciding = [r for pid in side.policies if pid in by_id
                        for r in by_id[pid].rules(side.direction)
                        if _names_addresses(r, side.direction)]
            how = "the ipBlock of {rules} does not match it, which decides"
        else:
            continue
        if not deciding:
            continue
        rules = ", ".join(str(r.origin) for r in deciding[:3]) + (
            f" and {len(deciding) - 3} more" if len(deciding) > 3 else "")
        for e in invented:
            ips = ", ".join(str(ip) for ip in e.ips)
            out.append(f"{e.key} has no status.podIP: address {ips} assigned by netwarden, "
                       f"and {how.format(rules=rules)} this {side.direction.lower} verdict; "
                       "the real address decides")
    return out


def _names_addresses(rule: Rule, direction: Direction) -> bool:
    return any(m.nets or m.not_nets for m in rule.sides(direction))


def _side_json(side: SideVerdict | None, services: ServiceSet | None,
               ranges: PortRange | None) -> dict[str, Any] | None:
    if side is None:
        return None
    data: dict[str, Any] = {
        "endpoint": side.endpoint,
        "allowed": side.allowed if ranges is None or services is None
        else bool(ranges.of(services)),
    }
    if ranges is not None and services is not None:
        data["allowed_services"] = ranges.of(services).to_json() if ranges.of(services) else []
        data["answer"] = ranges.answer(services)
    data.update({
        "isolated": side.isolated,
        "policies": list(side.policies),
        "decided_by": str(side.decided_by.origin) if side.decided_by else None,
        "trace": [{"step": s.kind.value, "text": s.text} for s in side.steps],
    })
    return data


def _json(verdict: Verdict, port: int | None, ranges: PortRange | None) -> dict[str, Any]:
    sides = ranges.sides if ranges is not None else {}
    data: dict[str, Any] = {
        "allowed": verdict.allowed if ranges is None else ranges.allowed,
        "from": verdict.source,
        "to": verdict.destination,
        "protocol": protocol_name(verdict.packet.protocol),
        "port": port,
    }
    if ranges is not None:
        data["answer"] = ranges.answer()
        data["allowed_services"] = ranges.services.to_json() if ranges.services else []
        data["traced_port"] = verdict.packet.port
    data.update({
        "reasons": verdict.reasons,
        "egress": _side_json(verdict.egress, sides.get("egress"), ranges),
        "ingress": _side_json(verdict.ingress, sides.get("ingress"), ranges),
    })
    return data


def _print(verdict: Verdict, port: int | None, ranges: PortRange | None) -> None:
    out = console()
    allowed = verdict.allowed if ranges is None else ranges.allowed
    mark = "[bold green]ALLOWED[/]" if allowed else "[bold red]DENIED[/]"
    if ranges is None:
        out.print(f"{mark}  {verdict.source} → {verdict.destination}  "
                  f"{verdict.packet.describe()}")
    else:
        out.print(f"{mark}  {verdict.source} → {verdict.destination}  {ranges.answer()}")
    for note in verdict.notes:
        out.print(f"  • {note}", markup=False)
    sides = ranges.sides if ranges is not None else {}
    for label, side in (("egress", verdict.egress), ("ingress", verdict.ingress)):
        if side is not None and label in sides and ranges is not None:
            out.print(f"  {label:7} {side.endpoint}: {ranges.answer(sides[label])}",
                      markup=False)
    if ranges is not None and verdict.packet.port is not None and (verdict.egress or
                                                                   verdict.ingress):
        out.print(f"  trace for {verdict.packet.describe()}:", markup=False)
    for label, side in (("egress", verdict.egress), ("ingress", verdict.ingress)):
        if side is None:
            continue
        if not side.isolated:
            out.print(f"  {label:7} {side.reason}", markup=False)
            continue
        for step in side.steps:
            out.print(f"  {label:7} {step.text}", markup=False)
