"""``lint``: every check over one cluster, as a sorted list of findings.

>>> from netwarden import load_cluster
>>> findings = lint(load_cluster(["examples/seed-aks/cluster.yaml",
...                               "examples/seed-aks/variants"]))   # doctest: +SKIP
>>> findings[0].id                                                 # doctest: +SKIP
'NW001'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from ..ir import Action, Cluster, Direction
from . import lint_anp, lint_calico, lint_checks, lint_services, lint_traffic
from .findings import Finding, Severity
from .lint_context import LintContext
from .redundancy import Redundant, redundant_rules

__all__ = ["ALL_CHECKS", "lint"]

Check = Callable[[LintContext], Iterable[Finding]]
ALL_CHECKS: tuple[Check, ...] = (*lint_checks.CHECKS, *lint_traffic.CHECKS, *lint_calico.CHECKS,
                                  *lint_anp.CHECKS, *lint_services.CHECKS)
# Rules already reported as matching nothing are not reported again as redundant.
_DEAD_IDS = frozenset(("NW002", "NW003", "NW009", "NW014", "NW018"))


def lint(cluster: Cluster, *, redundancy: bool = True) -> list[Finding]:
    """All findings, errors first, then by location."""
    ctx = LintContext(cluster)
    findings: list[Finding] = []
    for check in ALL_CHECKS:
        findings.extend(check(ctx))
    if redundancy:
        findings.extend(_redundancy(ctx, findings))
    return sorted(findings, key=_order)


def _order(f: Finding) -> tuple[int, str, int, str, str]:
    loc = f.location
    return (f.severity.rank, loc.file if loc else "~", loc.line if loc else 0, f.id, f.message)


def _redundancy(ctx: LintContext, found: list[Finding]) -> Iterator[Finding]:
    skip = set()
    reported = {(f.subject, f.location) for f in found if f.id in _DEAD_IDS}
    for policy in ctx.policies:
        for direction in (Direction.INGRESS, Direction.EGRESS):
            for rule in policy.rules(direction):
                if (policy.id, rule.origin.position) in reported:
                    skip.add((policy.id, direction.value, rule.origin.rule))
    seen: set[tuple[str, str, int, int | None]] = set()
    for r in redundant_rules(ctx.conn, frozenset(skip)):
        o = r.rule.origin
        key = (r.policy.id, o.direction.value, o.rule, o.peer)
        if key in seen:
            continue  # one finding per from/to item, not per (item, port)
        seen.add(key)
        yield _finding(r, ctx)


def _finding(r: Redundant, ctx: LintContext) -> Finding:
    o = r.rule.origin
    where = o.position or r.policy.position
    names = tuple(str(c.origin) for c in r.covering)
    if r.policy.kind.has_priority and r.reason == "covered" and r.covering:
        worded = _cluster_wide_finding(r, ctx, names)
        if worded is not None:
            return worded
    if r.shadowing_allow:
        return Finding(
            "NW012", Severity.WARNING,
            f"{o} ({r.rule.action.value}) is shadowed: {names[0]} (Allow) already decides "
            "all the traffic it matches",
            f"move the {r.rule.action.value} rule before the Allow, or narrow the Allow",
            where, r.policy.id, names)
    if r.reason == "dead":
        text = f"{o} matches no connection between the endpoints of this input"
        fix = "check its selectors, ports and addresses, or remove it"
    elif r.reason == "other-side":
        text = (f"{o}: every connection it allows is denied by the other side's policies "
                "(the peers' egress or the destinations' ingress)")
        fix = "allow the traffic on the other side too, or remove the rule"
    elif len(names) == 1 and r.covering[0].action is r.rule.action:
        text = f"{o} is redundant: {names[0]} already covers everything it matches"
        fix = "remove one of the two rules"
    else:
        text = (f"{o} is redundant: removing it changes no connection"
                + (f" (covered together by {', '.join(names)})" if names else ""))
        fix = "remove it, or check whether it was meant to allow something else"
    return Finding("NW007", Severity.INFO, text, fix, where, r.policy.id, names)


def _cluster_wide_finding(r: Redundant, ctx: LintContext,
                          names: tuple[str, ...]) -> Finding | None:
    """A redundant rule of an ANP/BANP/CNP, worded by what covers it and where that sits."""
    o = r.rule.origin
    where = o.position or r.policy.position
    first = r.covering[0]
    tiers = {p.id: t.name for t, ps in ctx.cluster.evaluation_order for p in ps}
    ranks = {p.id: p.rank for _, ps in ctx.cluster.evaluation_order for p in ps}
    later_tier = tiers.get(first.origin.policy) != tiers.get(r.policy.id)
    if r.rule.action is Action.ALLOW and first.action in (Action.DENY, Action.PASS) \
            and not later_tier:
        return Finding(
            "NW015", Severity.WARNING,
            f"{o} (Allow) is shadowed: {names[0]} ({first.action.value}"
            f"{ranks.get(first.origin.policy, '').replace(' (', ', ').rstrip(')')}) comes "
            "first and decides all the traffic it matches",
            "give the Allow's policy a lower priority number than the "
            f"{first.action.value}, or narrow the {first.action.value}",
            where, r.policy.id, names)
    if later_tier:
        return Finding(
            "NW007", Severity.INFO,
            f"{o} ({r.rule.action.value}) changes no connection: with or without it, "
            f"{names[0]} (tier {tiers.get(first.origin.policy)}) decides the traffic it "
            "matches",
            "remove it, or check whether it was meant to match something else",
            where, r.policy.id, names)
    return None

