"""Lint checks on ordered (Calico) evaluation: Pass in the last tier, rules never reached."""

from __future__ import annotations

from collections.abc import Iterator

from ..ir import Action, Direction, EntityMatch, Rule
from .findings import Finding, Severity
from .lint_context import LintContext

__all__ = ["CHECKS", "matches_everything"]


def matches_everything(rule: Rule) -> bool:
    """A rule with no criteria at all: every packet of its direction matches it."""
    empty = EntityMatch()
    return (
        _blank(rule.source, empty) and _blank(rule.destination, empty)
        and rule.protocol is None and rule.not_protocol is None and rule.icmp is None
        and rule.not_icmp is None and rule.ip_version is None
    )


def _blank(side: EntityMatch, empty: EntityMatch) -> bool:
    return dataclass_fields_equal(side, empty, ignore=("kinds", "scope"))


def dataclass_fields_equal(a: EntityMatch, b: EntityMatch, ignore: tuple[str, ...]) -> bool:
    return all(getattr(a, f) == getattr(b, f) for f in a.__slots__ if f not in ignore)


def pass_in_last_tier(ctx: LintContext) -> Iterator[Finding]:
    """NW013."""
    order = ctx.cluster.evaluation_order
    if not order:
        return
    last, policies = order[-1]
    if not ctx.cluster.tiers:
        return  # no Calico tiers declared: only the default tier, Pass rules are rare
    for policy in policies:
        if policy.kind.has_priority:
            continue  # a cluster-wide policy's Pass rules are NW016
        for direction in (Direction.INGRESS, Direction.EGRESS):
            for rule in policy.rules(direction):
                if rule.action is Action.PASS:
                    yield Finding(
                        "NW013", Severity.WARNING,
                        f"{rule.origin}: Pass in tier {last.name}, the last tier: no later "
                        "tier decides, so the matched traffic is allowed by the profile",
                        "use Allow or Deny to decide here, or add the tier that should decide",
                        rule.origin.position or policy.position, policy.id)
    if last.default_action is Action.PASS and not all(p.kind.has_priority for p in policies):
        # the baseline tier of cluster-wide policies ends in Pass by definition
        yield Finding(
            "NW013", Severity.WARNING,
            f"tier {last.name} is the last tier and its defaultAction is Pass: what its "
            "policies do not decide is allowed",
            "set defaultAction: Deny, or add a tier after it", last.position,
            f"tier {last.name}")


def unreachable_rules(ctx: LintContext) -> Iterator[Finding]:
    """NW014: rules after a rule that matches every packet of the same policy and direction."""
    for policy in ctx.policies:
        for direction in (Direction.INGRESS, Direction.EGRESS):
            rules = [r for r in policy.rules(direction) if r.action is not Action.LOG]
            for i, rule in enumerate(rules[:-1]):
                if not matches_everything(rule):
                    continue
                later = rules[i + 1:]
                yield Finding(
                    "NW014", Severity.WARNING,
                    f"{rule.origin} ({rule.action.value}) matches every packet; "
                    f"{len(later)} later rule(s) of {policy.id} {direction.lower} are never "
                    f"reached: {', '.join(str(r.origin) for r in later[:4])}",
                    "move the catch-all rule last, or narrow it",
                    later[0].origin.position or policy.position, policy.id,
                    tuple(str(r.origin) for r in later))
                break


CHECKS = (pass_in_last_tier, unreachable_rules)
