"""Policies and rules in plain words, from the IR (so every producer reads alike)."""

from __future__ import annotations

from ..ir import (
    Action,
    Cluster,
    Direction,
    EntityMatch,
    Policy,
    PolicyKind,
    Rule,
    ServiceSet,
)
from ..ir.services import protocol_name

__all__ = ["describe_entity", "describe_policy", "describe_rule", "describe_services",
           "speaks_calico"]



def speaks_calico(cluster: Cluster) -> bool:
    """Whether answers about ``cluster`` use Calico's words (tiers, orders): only when
    Calico objects are loaded (``Cluster.has_calico_objects``). Kubernetes answers
    (NetworkPolicy, and the cluster-wide kinds) speak of policies and priorities only."""
    return cluster.has_calico_objects


def describe_entity(match: EntityMatch) -> str:
    """``pods with role=db in namespace prod``, ``10.0.0.0/8 except 10.1.0.0/16``…"""
    parts: list[str] = []
    if match.selector is not None or match.service_accounts:
        what = "pods" if set(k.value for k in match.kinds) == {"pod"} else "endpoints"
        text = what if match.selector is None or match.selector.is_all else (
            f"{what} where {match.selector}"
        )
        parts.append(f"{text} in {match.scope}")
        if match.service_accounts:
            parts.append("with service account " + " or ".join(sorted(match.service_accounts)))
    if match.not_selector is not None:
        parts.append(f"not {match.not_selector}")
    if match.nets:
        text = ", ".join(str(n) for n in match.nets)
        if match.not_nets:
            text += " except " + ", ".join(str(n) for n in match.not_nets)
        parts.append(f"addresses {text}")
    elif match.not_nets:
        parts.append("addresses outside " + ", ".join(str(n) for n in match.not_nets))
    if match.domains:
        parts.append("domain names " + ", ".join(match.domains))
    return " and ".join(parts) if parts else "anywhere"


def describe_services(services: ServiceSet) -> str:
    return "any protocol and port" if services.is_all else str(services)


def describe_rule(rule: Rule) -> str:
    """One line: action, peer, service. Named ports are shown by name."""
    ingress = rule.origin.direction is Direction.INGRESS
    peer = rule.source if ingress else rule.destination
    here = rule.destination if ingress else rule.source
    words = [rule.action.value, "from" if ingress else "to", describe_entity(peer)]
    local = describe_entity(EntityMatch(
        selector=here.selector, not_selector=here.not_selector, scope=here.scope,
        kinds=here.kinds, nets=here.nets, not_nets=here.not_nets,
    ))
    if local != "anywhere":
        words.append(f"(when the {'destination' if ingress else 'source'} is {local})")
    services = rule.services(None)
    ports = rule.destination.ports
    if ports is not None and ports.names:
        names = ", ".join(ports.names)
        proto = protocol_name(rule.protocol) if rule.protocol else "any protocol"
        known = "" if services.is_all or not services else f" and {services}"
        words.append(f"on {proto} port named {names}{known}")
    else:
        words.append(f"on {describe_services(services)}")
    if rule.ip_version:
        words.append(f"(IPv{rule.ip_version} only)")
    return " ".join(words)


def describe_policy(policy: Policy, *, tiers: bool = True) -> list[str]:
    """Lines explaining a policy, starting with what it selects and isolates.

    ``tiers`` False (a cluster without Calico objects, see ``speaks_calico``) leaves
    out the Calico tier and order of a Kubernetes NetworkPolicy.
    """
    scope = f"in {policy.scope}" if str(policy.scope) != "anywhere" else "in every namespace"
    target = "all pods" if policy.selector.is_all else f"pods where {policy.selector}"
    kinds = {k.value for k in policy.applies_to_kinds}
    if "host" in kinds:
        target = target.replace("pods", "endpoints", 1)
    directions = " and ".join(sorted(d.value for d in policy.types)) or "no direction"
    order = "" if policy.order is None else (
        f", priority {policy.order:g}" if policy.kind.has_priority else f", order {policy.order:g}")
    where = f" (tier {policy.tier}{order})"
    if not tiers and policy.kind is PolicyKind.K8S:
        where = ""
    elif not tiers and policy.kind.has_priority:
        where = f" ({order.removeprefix(', ')})" if order else ""
    lines = [
        f"{policy.id}{where} selects {target} {scope} and governs their {directions} traffic."
    ]
    for direction in (Direction.INGRESS, Direction.EGRESS):
        if direction not in policy.types:
            continue
        rules = policy.rules(direction)
        if not rules:
            lines.append(f"  {direction.value}: nothing is allowed by this policy.")
            continue
        for rule in rules:
            lines.append(f"  {_index(rule)}: {describe_rule(rule)}")
        if policy.kind.has_priority:
            lines.append(f"  {direction.value}: anything else goes on to the next policy "
                         "(no implicit isolation).")
        elif all(r.action is Action.ALLOW for r in rules):
            lines.append(f"  {direction.value}: anything else is denied unless another "
                         "policy allows it.")
    lines.extend(f"  note: {note}" for note in policy.notes)
    return lines


def _index(rule: Rule) -> str:
    """The rule's place in its policy, as the manifest's field path: ``ingress[0] from[1]
    ports[0]`` (the policy's own name left out)."""
    o = rule.origin
    return str(o).removeprefix(f"{o.policy} ")
