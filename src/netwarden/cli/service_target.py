"""Naming a Service on the command line, and ``check`` answers through one.

``check``, ``who-can-reach`` and ``reachable-from`` take a Service wherever
they take a pod: ``ns/svc/name``, ``name.ns.svc.cluster.local``,
``name.ns.svc``, ``name.ns``, ``name`` with ``--namespace``, or its ClusterIP
(load-balancer address, a node address with a NodePort). ``--port`` takes a
Service port's name too.

JSON of ``check`` through a Service (``-o json``)::

    {"allowed": bool,              # allowed to every backend, for every port asked
     "from": "admin/curl", "to": "staging/svc/backend", "service": true,
     "ports": [{"service", "from", "frontend" ("10.96.1.0:80/TCP"), "frontend_kind",
                "port" ("80/TCP (http)"), "protocol", "allowed", "summary",
                "allowed_backends", "total_backends",
                "backends": [{"backend", "port" (the target port), "allowed",
                              "source_seen", "via_node", "reasons", "decided_by"}],
                "not_ready", "without_target_port", "notes",
                "via_nodes": null inside the cluster; from outside, per entry node
                    [{"node", "address", "allowed", "summary", "backends": [...]}]}]}

From outside, the client enters by one node: every node (``--via-node NODE``
pins one; ``--to`` a node's address with its NodePort pins that node).

Exit 0 when allowed to every backend, 1 otherwise (some denied, no backend,
an ExternalName, not reachable from where the client is).
"""

from __future__ import annotations

import argparse
import ipaddress
from typing import Any

from .._errors import LookupFailed
from ..engine import Engine
from ..engine.service_names import find_service, service_at
from ..engine.services import BackendVerdict, ServiceVerdict, check_service
from ..ir import KubeService
from ..ir.kube_services import DEFAULT_CLUSTER_DOMAIN
from ..load.validation import dns1123_label
from ._common import EXIT_NEGATIVE, EXIT_OK, console, dump, port_number

__all__ = ["add_service_arguments", "add_via_node_argument", "port_argument", "qualified_name",
           "resolve_service", "run_service_check"]


def port_argument(text: str) -> int | str:
    """``--port``: a number (1-65535), or a Service port's name."""
    if text[:1].isdigit():
        return port_number(text)
    if (problem := dns1123_label(text)) is not None:
        raise argparse.ArgumentTypeError(f"invalid port name {text!r}: {problem}")
    return text


def qualified_name(engine: Engine, name: str, args: argparse.Namespace) -> str:
    """``NAME`` with ``--namespace`` is ``NAMESPACE/NAME`` (unless it is an address)."""
    if getattr(args, "namespace", None) and "/" not in name and engine.cluster.endpoint(
            name) is None:
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return f"{args.namespace}/{name}"
    return name


def add_service_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--namespace", "-n",
                        help="namespace of a bare Service or pod name (NAME alone)")
    parser.add_argument("--cluster-domain", default=DEFAULT_CLUSTER_DOMAIN,
                        help=f"cluster DNS domain of Service names (default "
                             f"{DEFAULT_CLUSTER_DOMAIN})")


def add_via_node_argument(parser: argparse.ArgumentParser) -> None:
    """``check --via-node NODE``: the node a client outside the cluster enters by."""
    parser.add_argument("--via-node", metavar="NODE",
                        help="the node a client outside the cluster enters a Service by (a "
                             "NodePort, load balancer or external IP; default: the answer "
                             "per node)")


def resolve_service(engine: Engine, name: str, args: argparse.Namespace,
                    port: int | str | None = None) -> KubeService | None:
    """The Service ``name`` names (by name or address), or None for a pod or address."""
    found = find_service(engine.cluster, name, namespace=getattr(args, "namespace", None),
                         domain=getattr(args, "cluster_domain", DEFAULT_CLUSTER_DOMAIN))
    if found is None:
        found = service_at(engine.cluster, name, port if isinstance(port, int) else None)
    return found


def run_service_check(engine: Engine, args: argparse.Namespace, service: KubeService,
                      source: str) -> int:
    via = getattr(args, "via_node", None) or _node_at(engine, getattr(args, "dst", None))
    try:
        answers = check_service(engine, source, service, args.port, args.protocol, via)
    except ValueError as e:
        raise LookupFailed(str(e)) from None
    allowed = all(a.allowed for a in answers)
    if args.format != "text":
        data: dict[str, Any] = {"allowed": allowed, "from": answers[0].source,
                                "to": service.key, "service": True,
                                "ports": [a.to_json() for a in answers]}
        print(dump(data, args.format))
    else:
        for answer in answers:
            _print(answer)
    return EXIT_OK if allowed else EXIT_NEGATIVE


def _node_at(engine: Engine, target: str | None) -> str | None:
    """The node whose address ``--to`` names (a NodePort entered by that node)."""
    for node, ip in engine.cluster.node_addresses.items():
        if target == str(ip):
            return node
    return None


def _print(answer: ServiceVerdict) -> None:
    out = console()
    mark = "[bold green]ALLOWED[/]" if answer.allowed else "[bold red]DENIED[/]"
    via = f" via {answer.frontend}" if answer.frontend is not None else ""
    out.print(f"{mark}  {answer.source} → {answer.service} port {answer.port}{via}",
              highlight=False)
    out.print(f"  {answer.summary}", markup=False)
    for note in answer.notes:
        out.print(f"  • {note}", markup=False)
    if not answer.entries:
        _print_backends(answer, answer.backends, "  ")
    for entry in answer.entries:
        state = "allowed" if entry.allowed else "DENIED"
        address = f" ({entry.address})" if entry.address else ""
        out.print(f"  via {entry.node}{address}: {state}", markup=False)
        if entry.problem is not None:
            out.print(f"    {entry.problem}", markup=False)
        _print_backends(answer, entry.backends, "    ")


def _print_backends(answer: ServiceVerdict, backends: tuple[BackendVerdict, ...],
                    indent: str) -> None:
    out = console()
    for backend in backends:
        state = "allowed" if backend.allowed else "DENIED"
        seen = (f" (sees {backend.seen_source})" if backend.seen_source != answer.source
                else "")
        out.print(f"{indent}→ {backend.backend} port {backend.port}: {state}{seen}",
                  markup=False)
        for reason in backend.verdict.reasons:
            out.print(f"{indent}    {reason}", markup=False)
