"""Lint checks on what the policies do to traffic: isolation gaps, DNS, exposure.

These use the connectivity map (which pods are isolated, what an isolated
pod may reach) and the engine for the explanation of a denied DNS query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ..ir import Direction, Endpoint, PolicyKind, ServiceSet
from ..ir.services import UDP
from .findings import Finding, Severity
from .lint_context import LintContext, names
from .lint_services import unresolvable_services

__all__ = ["CHECKS", "dns_servers"]

_DNS = ServiceSet.ports(UDP, [(53, 53)])
_DNS_APPS = ("kube-dns", "coredns")


def _isolated(ctx: LintContext, e: Endpoint, direction: Direction) -> bool:
    return bool(ctx.engine.index.layers(e, direction))


def no_default_deny(ctx: LintContext) -> Iterator[Finding]:
    """NW004: a namespace where policies isolate some pods and leave others open."""
    by_ns: dict[str, list[Endpoint]] = defaultdict(list)
    for e in ctx.cluster.pods:
        if e.is_policed and e.namespace:
            by_ns[e.namespace].append(e)
    for ns, pods in sorted(by_ns.items()):
        for direction in (Direction.INGRESS, Direction.EGRESS):
            policies = [p for p in ctx.policies if p.kind is PolicyKind.K8S
                        and p.namespace == ns and direction in p.types]
            if not policies:
                continue
            open_ = [e for e in pods if not _isolated(ctx, e, direction)]
            if not open_ or len(open_) == len(pods):
                continue
            yield Finding(
                "NW004", Severity.WARNING,
                f"namespace {ns}: {len(open_)} of {len(pods)} pods are not isolated for "
                f"{direction.lower}, so every "
                f"{'incoming' if direction is Direction.INGRESS else 'outgoing'} connection "
                f"is allowed for them: {names(open_)}",
                f"add a default deny for {direction.lower} in {ns} (podSelector: {{}}, "
                f"policyTypes: [{direction.value}]) and allow what these pods need",
                policies[0].position, f"namespace {ns}",
                tuple(p.id for p in policies))


def dns_servers(ctx: LintContext) -> list[Endpoint]:
    return [e for e in ctx.cluster.pods if e.namespace == "kube-system"
            and (e.labels.get("k8s-app") in _DNS_APPS or e.labels.get("app") in _DNS_APPS)]


def dns_blocked(ctx: LintContext) -> Iterator[Finding]:
    """NW005: egress-isolated pods that cannot send UDP 53 to a DNS server (or anywhere)."""
    conn = ctx.conn
    servers = [e for e in dns_servers(ctx) if e.key in conn.class_of]
    blocked: dict[tuple[str, ...], list[Endpoint]] = defaultdict(list)
    for c in ctx.pod_classes():
        side = conn.side(c, Direction.EGRESS)
        if side is None:
            continue
        if servers:
            ok = any(conn.class_pair(c, conn.class_of[s.key]) & _DNS for s in servers)
        else:
            ok = bool(side.default & _DNS) or any(v & _DNS for v in side.per.values())
        if ok:
            continue
        rep = conn.classes[c].rep
        layers = ctx.engine.index.layers(rep, Direction.EGRESS)
        key = tuple(p.id for _, ps in layers for p in ps)
        blocked[key].extend(conn.classes[c].members)
    for policy_ids, pods in blocked.items():
        first = next(p for p in ctx.policies if p.id == policy_ids[0])
        if servers:
            verdict = ctx.engine.check(pods[0], servers[0], "UDP", 53)
            decided = verdict.egress if verdict.egress and not verdict.egress.allowed \
                else verdict.ingress
            reason = decided.reason if decided is not None else "denied"
            target = f"the DNS server {servers[0].key} on UDP 53 ({reason})"
        else:
            target = "UDP 53 anywhere (no kube-dns pod in the input; checked every destination)"
        lost = unresolvable_services(ctx, pods)
        names_lost = ""
        if lost:
            shown = ", ".join(s.dns_name() for s in lost[:4])
            more = f" (+{len(lost) - 4} more)" if len(lost) > 4 else ""
            names_lost = (f"; the Services they may connect to do not resolve by name: "
                          f"{shown}{more}")
        yield Finding(
            "NW005", Severity.WARNING,
            f"{names(pods)}: egress-isolated by {', '.join(policy_ids)} and cannot reach "
            f"{target}{names_lost}",
            "add an egress rule: to: [{namespaceSelector: {matchLabels: "
            "{kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: "
            "{k8s-app: kube-dns}}}], ports: [{protocol: UDP, port: 53}, "
            "{protocol: TCP, port: 53}]",
            first.position, policy_ids[0], policy_ids[1:])


def exposure(ctx: LintContext) -> Iterator[Finding]:
    """NW011: namespaces where no pod is isolated for ingress (info)."""
    by_ns: dict[str, list[Endpoint]] = defaultdict(list)
    for e in ctx.cluster.pods:
        if e.is_policed and e.namespace:
            by_ns[e.namespace].append(e)
    for ns, pods in sorted(by_ns.items()):
        if any(_isolated(ctx, e, Direction.INGRESS) for e in pods):
            continue  # partly isolated namespaces are NW004's concern
        egress_open = not any(_isolated(ctx, e, Direction.EGRESS) for e in pods)
        where = ctx.cluster.namespaces.get(ns)
        position = where.position if where is not None else pods[0].position
        yield Finding(
            "NW011", Severity.INFO,
            f"namespace {ns}: no policy isolates its {_count(pods)} for ingress"
            f"{' or egress' if egress_open else ''}: {names(pods)}",
            f"add a default-deny policy in {ns} and allow the traffic these pods need",
            position, f"namespace {ns}")


def _count(pods: list[Endpoint]) -> str:
    return "pod" if len(pods) == 1 else f"{len(pods)} pods"


CHECKS = (no_default_deny, dns_blocked, exposure)
