"""Lint checks on how policies are written: peers, selectors, ports, ipBlocks.

Each check is a function ``(LintContext) -> Iterator[Finding]``. They read the
IR only; the raw from/to structure survives there as ``Origin.peer``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping

from ..ir import Direction, Endpoint, EndpointKind, PolicyKind
from ..ir.selector import And, Eq, Global, Selector
from ..load.addresses import POD_CIDR
from .findings import Finding, Severity
from .lint_context import LintContext, PeerRef, names

__all__ = ["CHECKS"]


def _is_pod_only(p: PeerRef) -> bool:
    m = p.match
    return m.scope.namespace is not None and m.selector is not None and not m.selector.is_all \
        and not m.nets


def _is_ns_only(p: PeerRef) -> bool:
    m = p.match
    return m.scope.namespace_selector is not None and m.selector is not None \
        and m.selector.is_all and not m.nets


def _yaml_selector(selector: Selector) -> str:
    parts = selector.operands if isinstance(selector, And) else (selector,)
    if all(isinstance(s, Eq) for s in parts):
        return "{" + ", ".join(f"{s.key}: {s.value}" for s in parts if isinstance(s, Eq)) + "}"
    return str(selector)


def dash_or(ctx: LintContext) -> Iterator[Finding]:
    """NW001: a podSelector-only item next to a namespaceSelector-only item."""
    ns_labels = ctx.cluster.ns_labels
    for policy in ctx.policies:
        for direction in (Direction.INGRESS, Direction.EGRESS):
            for items in ctx.k8s_rule_items(policy, direction).values():
                pods = [p for p in items if _is_pod_only(p)]
                spaces = [p for p in items if _is_ns_only(p)]
                for pod_item in pods:
                    for ns_item in spaces:
                        ns_sel = ns_item.match.scope.namespace_selector
                        pod_sel = pod_item.match.selector
                        assert ns_sel is not None and pod_sel is not None
                        own = policy.namespace or ""
                        widened = ns_sel.matches(ns_labels(own))
                        here = [e for e in ctx.cluster.pods
                                if pod_item.match.selects(e, ns_labels)]
                        anded = [e for e in ctx.cluster.pods if e.namespace is not None
                                 and ns_sel.matches(ns_labels(e.namespace))
                                 and pod_sel.matches(e.labels)]
                        likely = widened or (not here and bool(anded))
                        if widened:
                            detail = (f"the namespaceSelector item admits every pod of "
                                      f"namespace {own} (and of any namespace where "
                                      f"{ns_sel}), so the podSelector item restricts nothing")
                        else:
                            detail = (f"they admit every pod of namespaces where {ns_sel}, "
                                      f"or pods where {pod_sel} in namespace {own}")
                        if anded:
                            detail += f"; as one item (AND) they would admit {names(anded)}"
                        yield Finding(
                            "NW001", Severity.ERROR if likely else Severity.WARNING,
                            f"{pod_item.label} and {ns_item.label} are separate items, OR-ed: "
                            f"{detail}",
                            "if you meant 'pods with these labels in those namespaces', put "
                            "both selectors in one item: remove the dash before podSelector "
                            "(or before namespaceSelector)",
                            pod_item.where, policy.id, (ns_item.label,))


def and_meant_or(ctx: LintContext) -> Iterator[Finding]:
    """NW002: one item with both selectors that matches no pod, while each alone would."""
    if not ctx.has_pods:
        return
    ns_labels = ctx.cluster.ns_labels
    for p in ctx.peers():
        m = p.match
        if p.policy.kind is not PolicyKind.K8S or m.scope.namespace_selector is None \
                or m.selector is None or m.selector.is_all:
            continue
        if any(m.selects(e, ns_labels)
               for e in ctx.narrowed(ctx.cluster.pods, m.selector, m.scope)):
            continue
        elsewhere = [e for e in ctx.cluster.pods if m.selector.matches(e.labels)]
        spaces = [n for n in ctx.cluster.all_namespaces
                  if m.scope.namespace_selector.matches(ns_labels(n))]
        if not elsewhere or not spaces:
            continue
        yield Finding(
            "NW002", Severity.WARNING,
            f"{p.label}: podSelector {m.selector} AND namespaceSelector "
            f"{m.scope.namespace_selector} match no pod; pods where {m.selector} exist only "
            f"in other namespaces ({names(elsewhere)})",
            "if either selector alone was meant, make them two items ('- podSelector: …' and "
            "'- namespaceSelector: …'); otherwise label the pods or the namespaces",
            p.where, p.policy.id)


def selectors_match_nothing(ctx: LintContext) -> Iterator[Finding]:
    """NW003: namespace or endpoint selectors of peers that match nothing in the cluster."""
    ns_labels = ctx.cluster.ns_labels
    declared = bool(ctx.cluster.namespaces)
    namespaces = {n: ns_labels(n) for n in ctx.cluster.all_namespaces}
    for p in ctx.peers():
        m = p.match
        ns_sel = m.scope.namespace_selector
        if ns_sel is not None and not ns_sel.is_all and not isinstance(ns_sel, Global):
            if not declared or any(ns_sel.matches(lbl) for lbl in namespaces.values()):
                pass
            else:
                hints = suggest(ns_sel, namespaces)
                yield _no_match(p, f"namespaceSelector {_yaml_selector(ns_sel)} matches no "
                                   "namespace", hints, "namespace")
                continue
        if m.selector is None or m.selector.is_all or not ctx.has_pods:
            continue
        if any(m.selects(e, ns_labels)
               for e in ctx.narrowed(ctx.cluster.endpoints, m.selector, m.scope)):
            continue
        if p.policy.kind is PolicyKind.K8S and ns_sel is not None:
            continue  # both selectors in one item: NW002 or the namespace check above
        if _is_pod_only(p) and any(_is_ns_only(q) for q in ctx.k8s_rule_items(
                p.policy, p.direction).get(p.rule.origin.rule, ())):
            continue  # NW001 explains this item
        pool = [e for e in ctx.cluster.endpoints if e.kind in m.kinds
                and m.scope.admits(e, ns_labels)]
        hints = suggest(m.selector, {e.key: e.labels for e in pool})
        yield _no_match(p, f"selector {_yaml_selector(m.selector)} matches no pod in "
                           f"{m.scope}", hints, "pod")


def _no_match(p: PeerRef, text: str, hints: list[str], what: str) -> Finding:
    if hints:
        fix = f"select a label that exists, e.g. {' or '.join(hints[:3])}; or add the label " \
              f"to the {what}"
    else:
        fix = f"check the labels: no {what} carries them (or add the missing {what})"
    return Finding("NW003", Severity.ERROR if hints else Severity.WARNING,
                   f"{p.label}: {text}: the rule allows nothing", fix, p.where, p.policy.id)


def suggest(selector: Selector, label_sets: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Labels that exist and look like what an equality selector meant.

    >>> suggest(Eq("name", "prod"), {"prod": {"kubernetes.io/metadata.name": "prod"}})
    ['kubernetes.io/metadata.name: prod']
    """
    parts = selector.operands if isinstance(selector, And) else (selector,)
    out: list[str] = []
    for part in parts:
        if not isinstance(part, Eq) or any(part.matches(lbl) for lbl in label_sets.values()):
            continue
        for labels in label_sets.values():
            for key, value in labels.items():
                if value == part.value and key != part.key:
                    out.append(f"{key}: {value}")
        values = sorted({lbl[part.key] for lbl in label_sets.values() if part.key in lbl})
        out.extend(f"{part.key}: {v}" for v in difflib.get_close_matches(part.value, values))
    return list(dict.fromkeys(out))


def policy_selects_nothing(ctx: LintContext) -> Iterator[Finding]:
    """NW006."""
    if not ctx.has_pods:
        return
    for policy in ctx.policies:
        if ctx.selected(policy):
            continue
        pool = [e for e in ctx.cluster.pods if policy.scope.admits(e, ctx.cluster.ns_labels)]
        hints = suggest(policy.selector, {e.key: e.labels for e in pool})
        yield Finding(
            "NW006", Severity.WARNING,
            f"{policy.id}: selector {_yaml_selector(policy.selector)} selects no pod "
            f"in {policy.scope}",
            (f"use a label the pods have, e.g. {' or '.join(hints[:3])}" if hints else
             "fix the podSelector, or delete the policy if its pods are gone"),
            policy.position, policy.id)


def ipblock_covers_pods(ctx: LintContext) -> Iterator[Finding]:
    """NW008: ipBlocks that match pod addresses or the pod CIDR."""
    pods = [e for e in ctx.cluster.pods if e.ips and not e.host_network]
    for p in ctx.peers():
        m = p.match
        for net in m.nets:
            inside = [e for e in pods if any(ip in net for ip in e.ips)
                      and not any(ip in x for ip in e.ips for x in m.not_nets)]
            overlap = net.version == 4 and net.overlaps(POD_CIDR)
            if overlap:
                part = net if net.subnet_of(POD_CIDR) else POD_CIDR  # type: ignore[arg-type]
                overlap = not any(x.version == 4 and part.subnet_of(x)  # type: ignore[arg-type]
                                  for x in m.not_nets)
            if not inside and not overlap:
                continue
            wide = net.prefixlen <= 8
            what = f"pods {names(inside)}" if inside else f"the pod CIDR {POD_CIDR}"
            yield Finding(
                "NW008", Severity.INFO if wide else Severity.WARNING,
                f"{p.label}: ipBlock {net} also matches {what}",
                (f"add 'except: [{POD_CIDR}]' (your pod CIDR) and select pods with "
                 "podSelector/namespaceSelector" if wide else
                 "select these pods with podSelector/namespaceSelector instead of addresses"),
                p.where, p.policy.id)


def ipblock_on_invented_addresses(ctx: LintContext) -> Iterator[Finding]:
    """NW022: an ipBlock overlaps the default pod range while pods have addresses that
    netwarden assigned there (no ``status.podIP``): verdicts rest on invented addresses."""
    assigned = [e for e in ctx.cluster.pods if e.address_assigned and not e.host_network]
    if not assigned:
        return
    for p in ctx.peers():
        m = p.match
        for net in m.nets:
            if net.version != 4 or not net.overlaps(POD_CIDR):
                continue
            part = net if net.subnet_of(POD_CIDR) else POD_CIDR
            if any(x.version == 4 and part.subnet_of(x)
                   for x in m.not_nets):
                continue  # the overlap is cut out by except
            yield Finding(
                "NW022", Severity.WARNING,
                f"{p.label}: ipBlock {net} overlaps the default pod range {POD_CIDR}, where "
                f"netwarden assigned addresses to {len(assigned)} pod(s) without "
                f"status.podIP ({names(assigned)}): whether it matches them rests on "
                "invented addresses",
                "declare status.podIP for those pods (as `kubectl get pods -o yaml` shows "
                "it), or read the live cluster with --kubeconfig",
                p.where, p.policy.id)


def named_ports_undeclared(ctx: LintContext) -> Iterator[Finding]:
    """NW009: a port name no destination pod declares."""
    if not ctx.has_pods:
        return
    ns_labels = ctx.cluster.ns_labels
    done: set[tuple[str, str, int | None, str]] = set()
    for policy in ctx.policies:
        for direction in (Direction.INGRESS, Direction.EGRESS):
            for rule in policy.rules(direction):
                ports = rule.destination.ports
                if ports is None or not ports.names:
                    continue
                if direction is Direction.INGRESS:
                    targets = ctx.selected(policy)
                else:
                    targets = [e for e in ctx.cluster.endpoints
                               if e.kind is not EndpointKind.NETWORK_SET
                               and rule.destination.matches_peer(ctx.engine.peer(e), ns_labels)]
                for name in ports.names:
                    key = (policy.id, direction.value, rule.origin.rule, name)
                    if key in done or _declared(targets, name, rule.protocol):
                        continue
                    done.add(key)
                    where = "selected pods" if direction is Direction.INGRESS else \
                        "destination pods"
                    yield Finding(
                        "NW009", Severity.WARNING,
                        f"{rule.origin}: port name {name!r} is declared by none of the "
                        f"{where} ({names(targets) or 'none'})",
                        f"name the containerPort {name!r} in the pod spec, or use the port "
                        "number", rule.origin.position or policy.position, policy.id)


def _declared(targets: Iterable[Endpoint], name: str, protocol: int | None) -> bool:
    return any(p.name == name and (protocol is None or p.protocol == protocol)
               for e in targets for p in e.ports)


def host_network(ctx: LintContext) -> Iterator[Finding]:
    """NW010: policies selecting hostNetwork pods (no effect on them)."""
    ns_labels = ctx.cluster.ns_labels
    hosts = [e for e in ctx.cluster.pods if e.host_network]
    for policy in ctx.policies if hosts else ():
        hit = [e for e in hosts
               if policy.scope.admits(e, ns_labels) and policy.selector.matches(e.labels)]
        if hit:
            yield Finding(
                "NW010", Severity.WARNING,
                f"{policy.id} selects hostNetwork pods {names(hit)}: the policy does not "
                "apply to them",
                "protect the node instead (Calico HostEndpoint policy, or node firewall), or "
                "run the pods without hostNetwork", policy.position, policy.id)


CHECKS = (dash_or, and_meant_or, selectors_match_nothing, policy_selects_nothing,
          ipblock_covers_pods, ipblock_on_invented_addresses, named_ports_undeclared,
          host_network)
