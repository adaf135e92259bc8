"""Evaluate one side of one connection by walking tiers, policies and rules in order.

This mirrors Calico's model, of which Kubernetes NetworkPolicy is a special
case: a tier takes part when one of its policies applies to the endpoint for
the direction; Allow and Deny decide, Pass moves to the next tier, Log goes
on; a tier that took part and decided nothing drops (unless its default
action is Pass); an endpoint no tier decided for is allowed.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..ir import Action, Cluster, Direction, Endpoint, Peer, PolicyIndex, Rule, Tier
from .explain import describe_rule, speaks_calico
from .verdict import Packet, SideVerdict, Step, StepKind

__all__ = ["evaluate_side", "rule_matches"]


def rule_matches(
    rule: Rule,
    cluster: Cluster,
    source: Peer,
    destination: Peer,
    packet: Packet,
) -> bool:
    """Whether ``rule`` matches this packet; the single per-packet definition."""
    if not rule.matches_family(packet.dst or packet.src):
        return False
    ns_labels = cluster.ns_labels
    if not rule.source.matches_peer(source, ns_labels):
        return False
    if not rule.destination.matches_peer(destination, ns_labels):
        return False
    if not rule.matches_source_port(source.endpoint):
        return False
    return rule.services(destination.endpoint).contains(packet.protocol, packet.port)


def evaluate_side(
    index: PolicyIndex,
    endpoint: Endpoint,
    direction: Direction,
    source: Peer,
    destination: Peer,
    packet: Packet,
    forwarded: bool = False,
) -> SideVerdict:
    """The verdict of ``endpoint``'s policies for one direction, with its trace.

    With ``forwarded``, ``endpoint`` is a host endpoint the connection crosses
    between ``source`` and ``destination``; rules still match those two.
    """
    layers = index.layers(endpoint, direction, forwarded)
    if not layers:
        return SideVerdict(endpoint.key, direction, allowed=True, isolated=False,
                           forwarded=forwarded)
    cluster = index.cluster
    calico = speaks_calico(cluster)
    steps: list[Step] = []
    applied: list[str] = []
    for tier, policies in layers:
        ids = [p.id for p in policies]
        applied.extend(ids)
        verb = "select" if len(ids) > 1 else "selects"
        head = f"tier {tier.name}: " if calico else ""
        steps.append(Step(StepKind.TIER, f"{head}{', '.join(ids)} {verb} {endpoint.key} "
                          f"for {direction.lower}", tier=tier.name))
        passed = False
        for policy in policies:
            for rule in policy.rules(direction):
                if not rule_matches(rule, cluster, source, destination, packet):
                    continue
                text = f"{rule.origin}{policy.rank}: {describe_rule(rule)}"
                if rule.action is Action.LOG:
                    steps.append(Step(StepKind.LOG, f"logged by {text}", rule, tier.name,
                                      policy.id))
                    continue
                verb = {Action.ALLOW: "allowed", Action.DENY: "denied",
                        Action.PASS: "passed to the next tier"}[rule.action]
                steps.append(Step(StepKind.MATCH, f"{verb} by {text}", rule, tier.name,
                                  policy.id))
                if rule.action is Action.PASS:
                    passed = True
                    break
                return SideVerdict(endpoint.key, direction, rule.action is Action.ALLOW,
                                   True, tuple(applied), tuple(steps), rule, forwarded)
            if passed:
                break
        if passed or tier.default_action is Action.PASS:
            continue
        steps.append(Step(StepKind.END_OF_TIER, _end_of_tier(endpoint, direction, tier, ids,
                                                             packet, calico), tier=tier.name))
        return SideVerdict(endpoint.key, direction, False, True, tuple(applied), tuple(steps),
                           forwarded=forwarded)
    steps.append(Step(StepKind.DEFAULT, f"no tier decided for {endpoint.key}: allowed "
                      "(the default for endpoints after their tiers pass)"))
    return SideVerdict(endpoint.key, direction, True, True, tuple(applied), tuple(steps),
                       forwarded=forwarded)


def _end_of_tier(
    endpoint: Endpoint, direction: Direction, tier: Tier, ids: Sequence[str], packet: Packet,
    calico: bool = True,
) -> str:
    where = f" (tier {tier.name})" if calico else ""
    return (
        f"denied: {endpoint.key} is isolated for {direction.lower} by {', '.join(ids)}"
        f"{where} and no rule there allows {packet.describe()}"
    )
