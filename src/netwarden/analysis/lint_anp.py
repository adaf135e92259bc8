"""Lint checks on cluster-wide policies (AdminNetworkPolicy, BANP, ClusterNetworkPolicy).

They read the IR: the admin and baseline tiers are the tiers whose policies
have a priority (``PolicyKind.has_priority``), NetworkPolicy is whatever
decides between them. NW015 (an Allow shadowed by an earlier Deny or Pass) is
found by the redundancy analysis and worded in ``lint.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..ir import Action, Direction, Endpoint, Policy, Tier
from .findings import Finding, Severity
from .lint_context import LintContext, names

__all__ = ["CHECKS", "cluster_wide"]


def cluster_wide(ctx: LintContext) -> list[tuple[Tier, Policy]]:
    """Every ANP, BANP and CNP with its tier, in evaluation order."""
    return [(tier, p) for tier, ps in ctx.cluster.evaluation_order for p in ps
            if p.kind.has_priority]


def _subjects(ctx: LintContext, policy: Policy) -> list[Endpoint]:
    return [e for e in ctx.cluster.pods if policy.applies_to(e, ctx.cluster.ns_labels)]


def _after(ctx: LintContext, pod: Endpoint, direction: Direction,
           tier: Tier) -> list[tuple[Tier, tuple[Policy, ...]]]:
    """The tiers that take part for ``pod`` after ``tier``."""
    layers = ctx.engine.index.layers(pod, direction)
    names_in_order = [t.name for t, _ in layers]
    if tier.name not in names_in_order:
        return list(layers)
    return list(layers[names_in_order.index(tier.name) + 1:])


def equal_priorities(ctx: LintContext) -> Iterator[Finding]:
    """NW017: two policies of one tier with one priority whose subjects share a pod."""
    policies = cluster_wide(ctx)
    for i, (tier, a) in enumerate(policies):
        for tier_b, b in policies[i + 1:]:
            if tier_b.name != tier.name or a.order != b.order or a.order is None:
                continue
            shared = [e for e in _subjects(ctx, a) if b.applies_to(e, ctx.cluster.ns_labels)]
            directions = a.types & b.types
            if not shared or not directions:
                continue
            yield Finding(
                "NW017", Severity.WARNING,
                f"{a.id} and {b.id} both have priority {a.order:g} in tier {tier.name} and "
                f"both select {names(shared)}: the API leaves their order undefined "
                f"(netwarden, like Calico, takes {a.id} first, by name)",
                "give one of them another priority",
                b.position or a.position, b.id, (a.id,))


def pass_with_nothing_after(ctx: LintContext) -> Iterator[Finding]:
    """NW016: an admin-tier Pass for pods that no NetworkPolicy or baseline policy selects."""
    for tier, policy in cluster_wide(ctx):
        for direction in (Direction.INGRESS, Direction.EGRESS):
            passes = [r for r in policy.rules(direction) if r.action is Action.PASS]
            if not passes:
                continue
            bare = [e for e in _subjects(ctx, policy) if not _after(ctx, e, direction, tier)]
            if not bare:
                continue
            seen: set[int] = set()
            for rule in passes:
                if rule.origin.rule in seen:
                    continue
                seen.add(rule.origin.rule)
                yield Finding(
                    "NW016", Severity.WARNING,
                    f"{policy.id} {direction.lower}[{rule.origin.rule}] (Pass): no "
                    f"NetworkPolicy or baseline policy selects {names(bare)} for "
                    f"{direction.lower}, so what it passes is allowed",
                    "use Allow if that is meant, or add the NetworkPolicy or baseline rule "
                    "that should decide", rule.origin.position or policy.position, policy.id)


def baseline_void(ctx: LintContext) -> Iterator[Finding]:
    """NW018: baseline rules that no subject pod ever reaches, NetworkPolicy deciding first.

    A tier with default action Deny (NetworkPolicy's ``default`` tier, a Calico
    tier) decides every pod it takes part for; a later tier is reached only by
    pods that no policy of it selects.
    """
    order = [t for t, _ in ctx.cluster.evaluation_order]
    for tier, policy in cluster_wide(ctx):
        earlier = [t for t in order[:order.index(tier)] if t.default_action is Action.DENY]
        if not earlier:
            continue
        for direction in (Direction.INGRESS, Direction.EGRESS):
            rules = policy.rules(direction)
            subjects = _subjects(ctx, policy)
            if not rules or not subjects:
                continue
            deciders = _deciders(ctx, subjects, direction, earlier)
            if deciders is None:
                continue
            shown = ", ".join(deciders[:3]) + (" ..." if len(deciders) > 3 else "")
            seen: set[int] = set()
            for rule in rules:
                if rule.origin.rule in seen or rule.action is Action.PASS:
                    continue
                seen.add(rule.origin.rule)
                yield Finding(
                    "NW018", Severity.WARNING,
                    f"{policy.id} {direction.lower}[{rule.origin.rule}] "
                    f"({rule.action.value}) is never reached: policies of earlier tiers "
                    f"({shown}) select every pod of its subject for {direction.lower}, "
                    "and a pod they select is decided there",
                    "put the rule in an AdminNetworkPolicy (or an Admin-tier "
                    "ClusterNetworkPolicy) if it must hold, or remove it",
                    rule.origin.position or policy.position, policy.id, tuple(deciders))


def _deciders(ctx: LintContext, subjects: list[Endpoint], direction: Direction,
              tiers: list[Tier]) -> list[str] | None:
    """The policies of ``tiers`` that decide for every subject pod, or None if one escapes."""
    found: set[str] = set()
    for pod in subjects:
        decided = [p.id for t, ps in ctx.engine.index.layers(pod, direction) if t in tiers
                   for p in ps]
        if not decided:
            return None
        found.update(decided)
    return sorted(found)


CHECKS = (equal_priorities, pass_with_nothing_after, baseline_void)
