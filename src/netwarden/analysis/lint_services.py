"""Lint checks about Services: policies see pods after DNAT, never the Service.

- NW019: an ingress rule allows a Service's ``port`` on its backends, which
  listen on a different ``targetPort``: after DNAT the packet carries the
  target port, so the allowed port is never used (and the target port,
  unless something else allows it, is denied).
- NW020: an ipBlock naming a ClusterIP or the service CIDR: after DNAT the
  destination is a pod address, so it never matches a connection to a Service.
- NW021: an ingress ipBlock on the backends of a NodePort/LoadBalancer
  Service with ``externalTrafficPolicy: Cluster``: the node masquerades the
  clients, so the ipBlock sees a node's address, not the clients'.

The DNS check (NW005, ``lint_traffic``) names the Services whose names the
pods it reports can no longer resolve (``unresolvable_services``).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..ir import Action, Direction, Endpoint, KubeService, Policy, Rule
from ..ir.kube_services import SERVICE_CIDR, SERVICE_CIDR_V6
from ..ir.services import protocol_name
from .findings import Finding, Severity
from .lint_context import LintContext, names

__all__ = ["CHECKS", "unresolvable_services"]


def _backend_endpoints(ctx: LintContext, service: KubeService, index: int
                       ) -> list[tuple[Endpoint, int]]:
    out = []
    for backend, port in service.destinations(index):
        endpoint = ctx.cluster.endpoint(backend.key)
        if endpoint is not None:
            out.append((endpoint, port))
    return out


def port_not_target_port(ctx: LintContext) -> Iterator[Finding]:
    """NW019: a rule allows a Service's port where the backends listen on its targetPort.

    Only backends that receive the port on another number (and do not listen on
    the Service's number too) are looked at, through the policies that apply to
    them for ingress (the index), so the cost follows the Services, not
    policies × Services.
    """
    for service in ctx.cluster.services:
        for index, mapping in enumerate(service.ports):
            proto = mapping.protocol
            mismatched = [(e, t) for e, t in _backend_endpoints(ctx, service, index)
                          if t != mapping.port and not any(
                              p.port == mapping.port and p.protocol == proto for p in e.ports)]
            hits: dict[str, tuple[Policy, Rule, list[Endpoint], set[int]]] = {}
            for endpoint, target in mismatched:
                for _, policies in ctx.engine.index.layers(endpoint, Direction.INGRESS):
                    for policy in policies:
                        for rule in policy.ingress:
                            if rule.action is not Action.ALLOW or rule.destination.ports is None:
                                continue
                            allowed = rule.services(endpoint)
                            if allowed.contains(proto, mapping.port) and not allowed.contains(
                                    proto, target):
                                entry = hits.setdefault(str(rule.origin),
                                                        (policy, rule, [], set()))
                                entry[2].append(endpoint)
                                entry[3].add(target)
            for policy, rule, missed, targets in hits.values():
                name = protocol_name(proto)
                shown = ", ".join(str(t) for t in sorted(targets))
                yield Finding(
                    "NW019", Severity.WARNING,
                    f"{rule.origin} allows {name} {mapping.port}, the port of Service "
                    f"{service.key}, but its backends {names(missed)} receive it on "
                    f"{name} {shown} (targetPort {mapping.target}): policies see the "
                    "packet after DNAT, so the allowed port is never used",
                    f"allow {name} {shown} (the targetPort"
                    + (f", or the port name {mapping.target}" if isinstance(mapping.target, str)
                       else "") + ") instead of the Service port",
                    rule.origin.position or policy.position, policy.id, (service.key,))


def ipblock_names_service(ctx: LintContext) -> Iterator[Finding]:
    """NW020: an ipBlock within the service CIDR or naming ClusterIPs."""
    service_ips = {ip: s for s in ctx.cluster.services for ip in s.cluster_ips}
    for ref in ctx.peers():
        for net in ref.match.nets:
            cidr = SERVICE_CIDR if net.version == 4 else SERVICE_CIDR_V6
            named = [s.key for ip, s in service_ips.items()
                     if ip in net and net.prefixlen >= (24 if net.version == 4 else 120)]
            inside = net.subnet_of(cidr)  # type: ignore[arg-type]
            if not inside and not named:
                continue
            what = (f"the ClusterIP of {', '.join(sorted(set(named)))}" if named
                    else f"addresses of the service CIDR {cidr}")
            yield Finding(
                "NW020", Severity.WARNING,
                f"{ref.label}: ipBlock {net} names {what}; Service traffic is DNATed to the "
                "backend pods before policy sees it, so it never matches",
                "select the Service's backends by their labels (podSelector, with a "
                "namespaceSelector for another namespace) instead of its address",
                ref.where, ref.policy.id)


def client_address_lost(ctx: LintContext) -> Iterator[Finding]:
    """NW021: ingress ipBlocks on backends of external Services that masquerade clients."""
    ns = ctx.cluster.ns_labels
    external = [s for s in ctx.cluster.services
                if s.external and s.external_traffic_policy == "Cluster"]
    if not external:
        return
    for ref in ctx.peers():
        if ref.direction is not Direction.INGRESS or not ref.match.nets \
                or ref.rule.action is not Action.ALLOW:
            continue
        for service in external:
            hit: list[Endpoint] = []
            for backend in service.ready_backends:
                endpoint = ctx.cluster.endpoint(backend.key)
                node_ip = ctx.cluster.node_address(backend.node)
                if endpoint is None or not ref.policy.applies_to(endpoint, ns):
                    continue
                if node_ip is not None and any(node_ip in n for n in ref.match.nets):
                    continue  # the ipBlock admits the node's address too
                hit.append(endpoint)
            if not hit:
                continue
            cidrs = ", ".join(str(n) for n in ref.match.nets)
            yield Finding(
                "NW021", Severity.WARNING,
                f"{ref.label} admits {cidrs}, but {names(hit)} back(s) {service.key} "
                f"({service.type}, externalTrafficPolicy: Cluster): clients coming through "
                "it reach the pods from a node's address, which this ipBlock does not admit",
                f"set externalTrafficPolicy: Local on {service.key} to keep the client's "
                "address (traffic then goes only to nodes with a ready backend)",
                ref.where, ref.policy.id, (service.key,))


def unresolvable_services(ctx: LintContext, pods: list[Endpoint]) -> list[KubeService]:
    """The Services ``pods`` may connect to (to some backend, on its target port).

    Without DNS they must use those Services by name, which no longer resolves.
    """
    conn = ctx.conn
    classes = {conn.class_of[p.key] for p in pods if p.key in conn.class_of}
    out: list[KubeService] = []
    for service in ctx.cluster.services:
        if service.type == "ExternalName":
            continue
        usable = False
        for index, mapping in enumerate(service.ports):
            for endpoint, target in _backend_endpoints(ctx, service, index):
                dst = conn.class_of.get(endpoint.key)
                if dst is not None and any(
                        conn.class_pair(c, dst).contains(mapping.protocol, target)
                        for c in classes):
                    usable = True
                    break
            if usable:
                break
        if usable and not any(m.port == 53 for m in service.ports):  # DNS itself aside
            out.append(service)
    return out


CHECKS = (port_not_target_port, ipblock_names_service, client_address_lost)
