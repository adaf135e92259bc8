"""Cluster-wide policies (ANP, BANP, ClusterNetworkPolicy) → the policy IR.

The mapping is Calico's (``api/pkg/apis/projectcalico/v3/tier.go`` and the
policy converters of libcalico-go, Calico 3.30+), which is also the
network-policy-api order:

* Admin-tier policies (every AdminNetworkPolicy, ClusterNetworkPolicies with
  ``tier: Admin``) go to tier ``kube-admin``, order 1,000, before Calico's
  ``default`` tier (order 1,000,000) where NetworkPolicy lives; the
  BaselineAdminNetworkPolicy and ``tier: Baseline`` ClusterNetworkPolicies go
  to ``kube-baseline``, order 10,000,000, after it. (Calico 3.29 named the
  first two tiers ``adminnetworkpolicy`` and ``baselineadminnetworkpolicy``,
  at the same orders.) Calico tiers of the user sort among them by order.
* Both tiers end with Pass, not Deny: an admin policy isolates nothing, and a
  pod no rule decided for goes on to NetworkPolicy, then to the baseline,
  then to the default allow.
* ``priority`` is the policy's order in its tier, lower first; rules keep
  their written order and the first match decides. Allow/Accept → Allow,
  Deny → Deny, Pass → Pass (skip the rest of the tier).
* A subject selects pods (never hostNetwork ones) by namespace labels and,
  for ``pods``, pod labels; ``namespaces`` and ``pods`` peers likewise.
  ``networks`` peers are address ranges, which also match pod and node IPs;
  ``nodes`` peers are the addresses (``status.addresses``) of the Node objects
  whose labels match, resolved here; ``domainNames`` peers match a peer by the
  DNS name it was reached by (``EntityMatch.domains``), which a connection
  checked by address does not carry: a warning says so.

One IR rule is made per (peer, port) of a rule, as for NetworkPolicy; a named
port becomes one IR rule per port protocol, since a name may stand for a TCP,
UDP or SCTP port of the destination pod.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .._errors import InvalidManifests, ValidationError
from ..ir import (
    Action,
    Direction,
    EndpointKind,
    EntityMatch,
    Origin,
    Policy,
    PolicyKind,
    PortSpec,
    Rule,
    Scope,
    Tier,
)
from ..ir.endpoints import IPNetwork
from ..ir.selector import All
from ..ir.services import SCTP, TCP, UDP, protocol_number
from ..resources.anp import (
    ClusterNode,
    ClusterPolicy,
    ClusterPolicyPeer,
    ClusterPolicyPort,
    ClusterPolicyRule,
    ClusterTier,
    NamespacedPods,
)
from .k8s import label_selector

__all__ = ["ADMIN_TIER", "BASELINE_TIER", "ClusterPoliciesCompiled",
           "compile_cluster_policies"]

ADMIN_TIER = Tier("kube-admin", order=1_000, default_action=Action.PASS)
BASELINE_TIER = Tier("kube-baseline", order=10_000_000, default_action=Action.PASS)
_PODS = frozenset((EndpointKind.POD,))
_KINDS = {"AdminNetworkPolicy": PolicyKind.ADMIN,
          "BaselineAdminNetworkPolicy": PolicyKind.BASELINE,
          "ClusterNetworkPolicy": PolicyKind.CLUSTER}
_ACTIONS = {"Allow": Action.ALLOW, "Accept": Action.ALLOW, "Deny": Action.DENY,
            "Pass": Action.PASS}


@dataclass(frozen=True, slots=True)
class ClusterPoliciesCompiled:
    """The two tiers (only those used), their policies, and what the engine cannot know."""

    tiers: tuple[Tier, ...] = ()
    policies: tuple[Policy, ...] = ()
    warnings: tuple[str, ...] = ()


def compile_cluster_policies(policies: Sequence[ClusterPolicy],
                             nodes: Sequence[ClusterNode] = ()) -> ClusterPoliciesCompiled:
    """Every cluster-wide policy as an IR policy of tier ``kube-admin`` or ``kube-baseline``.

    Raises ``InvalidManifests`` when two objects of one kind share a name (the
    API server would keep only one of them).

    >>> from netwarden.resources.anp import ClusterPolicySubject
    >>> from netwarden.resources.k8s import LabelSelector, Meta
    >>> anp = ClusterPolicy("AdminNetworkPolicy", "policy.networking.k8s.io/v1alpha1",
    ...                     Meta("deny-all"), ClusterTier.ADMIN, 10,
    ...                     ClusterPolicySubject(namespaces=LabelSelector()))
    >>> out = compile_cluster_policies([anp])
    >>> [(p.id, p.tier, p.order) for p in out.policies], [t.name for t in out.tiers]
    ([('anp:deny-all', 'kube-admin', 10.0)], ['kube-admin'])
    """
    compiled: list[Policy] = []
    warnings: list[str] = []
    errors: list[ValidationError] = []
    first: dict[tuple[str, str], ClusterPolicy] = {}
    for policy in policies:
        key = (policy.kind, policy.meta.name)
        if key in first:  # one object per name and kind in a cluster: the API keeps one
            where = first[key].meta.position
            errors.append(ValidationError(
                policy.meta.position, "metadata.name",
                f"{policy.kind} {policy.meta.name!r} is defined more than once"
                + (f" (first at {where})" if where else "")))
            continue
        first[key] = policy
        ir, notes = _policy(policy, nodes)
        compiled.append(ir)
        warnings.extend(notes)
    if errors:
        raise InvalidManifests(errors)
    used = {p.tier for p in compiled}
    tiers = tuple(t for t in (ADMIN_TIER, BASELINE_TIER) if t.name in used)
    return ClusterPoliciesCompiled(tiers, tuple(compiled), tuple(warnings))


def _policy(policy: ClusterPolicy, nodes: Sequence[ClusterNode]) -> tuple[Policy, list[str]]:
    kind = _KINDS[policy.kind]
    policy_id = f"{policy.short_kind}:{policy.meta.name}"
    subject = policy.subject
    if subject.pods is not None:
        selector = label_selector(subject.pods.pod_selector)
        scope = Scope(namespace_selector=label_selector(subject.pods.namespace_selector))
    else:
        assert subject.namespaces is not None
        selector = All()
        scope = Scope(namespace_selector=label_selector(subject.namespaces))
    warnings: list[str] = []
    ingress = _rules(policy_id, Direction.INGRESS, policy.ingress, nodes, warnings)
    egress = _rules(policy_id, Direction.EGRESS, policy.egress, nodes, warnings)
    types = frozenset(d for d, rules in ((Direction.INGRESS, policy.ingress),
                                         (Direction.EGRESS, policy.egress)) if rules)
    tier = ADMIN_TIER if policy.tier is ClusterTier.ADMIN else BASELINE_TIER
    return Policy(
        name=policy.meta.name,
        kind=kind,
        namespace=None,
        selector=selector,
        types=types,
        ingress=ingress,
        egress=egress,
        tier=tier.name,
        order=float(policy.priority) if policy.priority is not None else None,
        scope=scope,
        applies_to_kinds=_PODS,
        position=policy.meta.position,
    ), warnings


def _rules(policy_id: str, direction: Direction, rules: Iterable[ClusterPolicyRule],
           nodes: Sequence[ClusterNode], warnings: list[str]) -> tuple[Rule, ...]:
    out: list[Rule] = []
    ingress = direction is Direction.INGRESS
    for index, rule in enumerate(rules):
        action = _ACTIONS[rule.action]
        ports: list[tuple[int | None, int | None, PortSpec | None]] = [
            item for k, port in enumerate(rule.ports) for item in _ports(k, port)
        ] or [(None, None, None)]
        for peer_index, peer in enumerate(rule.peers):
            match = _peer(peer, nodes)
            if peer.domain_names:
                warnings.append(
                    f"{peer.position}: {policy_id} {direction.lower}[{index}] to[{peer_index}]:"
                    f" domainNames ({', '.join(peer.domain_names)}) match connections by the "
                    "DNS name they were made to; netwarden has no DNS, so a connection "
                    "checked by address never matches them (the cluster allows the addresses "
                    "those names resolve to); `check --to-name NAME` asks by name")
            if match is None:
                continue
            for port_index, protocol, spec in ports:
                origin = Origin(policy_id, direction, index, peer_index, port_index,
                                rule.position)
                if ingress:
                    source, destination = match, EntityMatch(ports=spec)
                else:
                    source, destination = EntityMatch(), dataclasses.replace(match, ports=spec)
                out.append(Rule(action, origin, source, destination, protocol=protocol))
    return tuple(out)


def _ports(index: int, port: ClusterPolicyPort
           ) -> list[tuple[int | None, int | None, PortSpec | None]]:
    if port.name is not None:
        spec = PortSpec(names=(port.name,))
        return [(index, proto, spec) for proto in (TCP, UDP, SCTP)]
    assert port.protocol is not None
    protocol = protocol_number(port.protocol)
    if port.start is None:
        return [(index, protocol, None)]
    return [(index, protocol, PortSpec(ranges=((port.start, port.end or port.start),)))]


def _pods(pods: NamespacedPods) -> EntityMatch:
    return EntityMatch(selector=label_selector(pods.pod_selector),
                       scope=Scope(namespace_selector=label_selector(pods.namespace_selector)),
                       kinds=_PODS)


def _peer(peer: ClusterPolicyPeer, nodes: Sequence[ClusterNode]) -> EntityMatch | None:
    """The peer as an entity match; None when it can match nothing (no such node)."""
    if peer.namespaces is not None:
        return EntityMatch(selector=All(), scope=Scope(
            namespace_selector=label_selector(peer.namespaces)), kinds=_PODS)
    if peer.pods is not None:
        return _pods(peer.pods)
    if peer.nodes is not None:
        selector = label_selector(peer.nodes)
        nets: list[IPNetwork] = [ipaddress.ip_network(ip) for node in nodes
                                 if selector.matches(node.meta.labels)
                                 for ip in node.addresses]
        return EntityMatch(nets=tuple(dict.fromkeys(nets))) if nets else None
    if peer.networks:
        return EntityMatch(nets=peer.networks)
    return EntityMatch(domains=peer.domain_names)
