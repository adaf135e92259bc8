"""Kubernetes NetworkPolicy, pods and namespaces → the policy IR.

A NetworkPolicy becomes a policy of Allow rules in the ``default`` tier at
order 1000, which is where Calico puts it too; that is what lets Calico
policies of order 500 or 2000 mix with it. A rule with several peers and
several ports matches any peer on any port, so it becomes one IR rule per
(peer, port entry): the origin of each keeps both indexes for explanations.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from ..ir import (
    Action,
    Direction,
    Endpoint,
    EndpointKind,
    EntityMatch,
    NamedPort,
    Namespace,
    Origin,
    Policy,
    PolicyKind,
    PortSpec,
    Rule,
    Scope,
)
from ..ir.selector import All, Eq, Has, In, Not, NotIn, Selector, conjunction
from ..ir.services import protocol_number
from ..resources import k8s

__all__ = [
    "K8S_POLICY_ORDER",
    "compile_namespace",
    "compile_network_policy",
    "compile_pod",
    "label_selector",
]

K8S_POLICY_ORDER = 1000.0
_PODS_ONLY = frozenset((EndpointKind.POD,))


def label_selector(selector: k8s.LabelSelector) -> Selector:
    """matchLabels and matchExpressions, ANDed; ``{}`` selects everything.

    >>> label_selector(k8s.LabelSelector(match_labels=(("role", "db"),)))
    Eq(key='role', value='db')
    """
    parts: list[Selector] = [Eq(k, v) for k, v in selector.match_labels]
    for req in selector.match_expressions:
        if req.operator == "In":
            parts.append(In(req.key, frozenset(req.values)))
        elif req.operator == "NotIn":
            parts.append(NotIn(req.key, frozenset(req.values)))
        elif req.operator == "Exists":
            parts.append(Has(req.key))
        else:  # DoesNotExist; the loader rejected anything else
            parts.append(Not(Has(req.key)))
    return conjunction(parts)


@functools.lru_cache(maxsize=8192)
def _peer(peer: k8s.NetworkPolicyPeer, namespace: str) -> EntityMatch:
    # Kept: a peer (compared without its position) recurs across policies, e.g. one
    # per workload and direction as suggest writes them; equal peers share one match.
    if peer.ip_block is not None:
        return EntityMatch(nets=(peer.ip_block.cidr,), not_nets=peer.ip_block.except_)
    if peer.namespace_selector is None:
        scope = Scope(namespace=namespace)
    else:
        scope = Scope(namespace_selector=label_selector(peer.namespace_selector))
    pods = label_selector(peer.pod_selector) if peer.pod_selector is not None else All()
    return EntityMatch(selector=pods, scope=scope, kinds=_PODS_ONLY)


def _ports(port: k8s.NetworkPolicyPort) -> tuple[int, PortSpec | None]:
    protocol = protocol_number(port.protocol)
    if port.port is None:
        return protocol, None
    if isinstance(port.port, str):
        return protocol, PortSpec(names=(port.port,))
    return protocol, PortSpec(ranges=((port.port, port.end_port or port.port),))


def _rules(
    policy_id: str, namespace: str, direction: Direction, rules: Iterable[k8s.NetworkPolicyRule]
) -> tuple[Rule, ...]:
    out: list[Rule] = []
    for index, rule in enumerate(rules):
        peers: list[tuple[int | None, EntityMatch]] = [
            (j, _peer(p, namespace)) for j, p in enumerate(rule.peers)
        ] or [(None, EntityMatch())]
        ports: list[tuple[int | None, int | None, PortSpec | None]] = [
            (k, *_ports(p)) for k, p in enumerate(rule.ports)
        ] or [(None, None, None)]
        for peer_index, peer in peers:
            for port_index, protocol, spec in ports:
                origin = Origin(
                    policy_id, direction, index, peer_index, port_index, rule.position
                )
                service = EntityMatch(ports=spec)
                if direction is Direction.INGRESS:
                    source, destination = peer, service
                else:
                    source, destination = EntityMatch(), _with_ports(peer, spec)
                out.append(Rule(Action.ALLOW, origin, source, destination, protocol=protocol))
    return tuple(out)


def _with_ports(peer: EntityMatch, spec: PortSpec | None) -> EntityMatch:
    if spec is None:
        return peer
    return EntityMatch(
        selector=peer.selector,
        scope=peer.scope,
        kinds=peer.kinds,
        nets=peer.nets,
        not_nets=peer.not_nets,
        ports=spec,
    )


def compile_network_policy(np: k8s.NetworkPolicy) -> Policy:
    namespace = np.meta.namespace or "default"
    policy_id = f"{namespace}/{np.meta.name}"
    types = frozenset(Direction(t) for t in np.policy_types)
    return Policy(
        name=np.meta.name,
        kind=PolicyKind.K8S,
        namespace=namespace,
        selector=label_selector(np.pod_selector),
        types=types,
        ingress=_rules(policy_id, namespace, Direction.INGRESS, np.ingress),
        egress=_rules(policy_id, namespace, Direction.EGRESS, np.egress),
        tier="default",
        order=K8S_POLICY_ORDER,
        scope=Scope(namespace=namespace),
        applies_to_kinds=_PODS_ONLY,
        position=np.meta.position,
    )


# Labels Calico adds to every workload endpoint and namespace, so Calico
# selectors such as ``projectcalico.org/namespace == 'prod'`` or
# ``projectcalico.org/name == 'kube-system'`` work as in a real cluster
# (libcalico-go apis/v3 constants; Calico docs, "Calico automatic labels").
# Kubernetes selectors never name them, so NetworkPolicy semantics are unchanged.
CALICO_NAMESPACE_LABEL = "projectcalico.org/namespace"
CALICO_ORCHESTRATOR_LABEL = "projectcalico.org/orchestrator"
CALICO_SERVICE_ACCOUNT_LABEL = "projectcalico.org/serviceaccount"
CALICO_NAME_LABEL = "projectcalico.org/name"


def compile_pod(pod: k8s.Pod) -> Endpoint:
    """A pod as a workload endpoint, with Calico's implicit labels added.

    The service-account label is only set when the manifest names one (the
    API server would default it to ``default``; netwarden does not guess).
    """
    namespace = pod.meta.namespace or "default"
    implicit = {CALICO_NAMESPACE_LABEL: namespace, CALICO_ORCHESTRATOR_LABEL: "k8s"}
    if pod.service_account:
        implicit[CALICO_SERVICE_ACCOUNT_LABEL] = pod.service_account
    return Endpoint(
        key=f"{namespace}/{pod.meta.name}",
        kind=EndpointKind.POD,
        name=pod.meta.name,
        namespace=namespace,
        labels=pod.meta.labels.with_(**implicit),
        ips=pod.ips,
        ports=tuple(NamedPort(p.port, protocol_number(p.protocol), p.name) for p in pod.ports),
        node=pod.node,
        host_network=pod.host_network,
        service_account=pod.service_account,
        workload=pod.workload,
        position=pod.meta.position,
        replicas=pod.replicas,
        address_assigned=pod.address_assigned,
    )


def compile_namespace(ns: k8s.Namespace) -> Namespace:
    """A namespace with Calico's ``projectcalico.org/name`` label added."""
    labels = ns.meta.labels.with_(**{CALICO_NAME_LABEL: ns.meta.name})
    return Namespace(ns.meta.name, labels, ns.meta.position)
