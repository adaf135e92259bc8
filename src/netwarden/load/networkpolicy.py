"""``networking.k8s.io/v1`` NetworkPolicy: validated and defaulted as the API server does.

Validation follows ``ValidateNetworkPolicySpec`` rule by rule, so a manifest
this loader accepts is one ``kubectl apply`` accepts, and the reverse. The one
default applied is ``policyTypes``: absent (or empty) means ``[Ingress]``,
plus ``Egress`` when ``spec.egress`` has at least one rule.
"""

from __future__ import annotations

from ..ir.endpoints import IPNetwork
from ..resources.k8s import (
    IPBlock,
    LabelSelector,
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicyRule,
)
from . import validation as v
from ._common import Problems, parse_meta, parse_selector
from .registry import register
from .validation import quote
from .yamlpos import Node, _kind

__all__ = ["parse_network_policy"]

_POLICY_TYPES = ("Ingress", "Egress")


@register("networking.k8s.io", "NetworkPolicy")
def parse_network_policy(doc: Node) -> list[object]:
    """One ``NetworkPolicy`` (plus notes), or ``InvalidManifests`` with every problem."""
    p = Problems(doc)
    meta = parse_meta(doc, p, namespaced=True)
    spec_node = doc.get("spec") or doc
    spec = p.map_(doc.get("spec")) or {}
    pod_selector: LabelSelector | None = LabelSelector(position=spec_node.position)
    if "podSelector" in spec:
        pod_selector = parse_selector(spec["podSelector"], p)
    ingress = _rules(spec.get("ingress"), "from", p)
    egress = _rules(spec.get("egress"), "to", p)
    policy_types = _policy_types(spec.get("policyTypes"), bool(egress), p)
    p.check()
    assert meta is not None and pod_selector is not None
    policy = NetworkPolicy(meta, pod_selector, policy_types, tuple(ingress), tuple(egress))
    return [policy, *p.notes]


def _policy_types(node: Node | None, has_egress: bool, p: Problems) -> tuple[str, ...]:
    items = p.list_(node) or []
    if not items:
        return ("Ingress", "Egress") if has_egress else ("Ingress",)
    assert node is not None
    if len(items) > len(_POLICY_TYPES):
        # three or more always repeat one, so say only what is wrong with the list
        p.add(node, f"must not have more than {len(_POLICY_TYPES)} elements")
        return ()
    seen: list[str] = []
    for item in items:
        value = p.str_(item)
        if value is None:
            continue
        if value not in _POLICY_TYPES:
            p.add(item, v.unsupported(value, _POLICY_TYPES))
        elif value in seen:
            p.add(item, v.duplicate(value))
        else:
            seen.append(value)
    return tuple(seen)


def _rules(node: Node | None, peers_key: str, p: Problems) -> list[NetworkPolicyRule]:
    rules: list[NetworkPolicyRule] = []
    for item in p.list_(node) or []:
        if item.is_null():  # `- ` decodes to an empty rule, as in Go
            rules.append(NetworkPolicyRule(position=item.position))
            continue
        fields = p.map_(item)
        if fields is None:
            continue
        peers = [_peer(n, p) for n in p.list_(fields.get(peers_key)) or []]
        ports = [_port(n, p) for n in p.list_(fields.get("ports")) or []]
        rules.append(
            NetworkPolicyRule(
                tuple(x for x in peers if x is not None),
                tuple(x for x in ports if x is not None),
                item.position,
            )
        )
    return rules


def _port(node: Node, p: Problems) -> NetworkPolicyPort | None:
    if node.is_null():
        return NetworkPolicyPort(position=node.position)
    fields = p.map_(node)
    if fields is None:
        return None
    before = len(p.errors)
    protocol = p.str_(fields.get("protocol")) or "TCP"
    if protocol not in v.PORT_NAME_PROTOCOLS:
        p.add(fields["protocol"], v.unsupported(protocol, v.PORT_NAME_PROTOCOLS))
    port: int | str | None = None
    port_node = fields.get("port")
    if port_node is not None and not port_node.is_null():
        raw = port_node.value
        number = v.as_integer(raw)
        if number is not None:
            port = number
            if (problem := v.port_number(number)) is not None:
                p.add(port_node, f"invalid port {number}: {problem}")
        elif isinstance(raw, str):
            port = raw
            if (problem := v.iana_svc_name(raw)) is not None:
                p.add(port_node, f"invalid port name {quote(raw)}: {problem}")
        else:
            p.add(port_node, f"must be a port number or name, got {_kind(raw)}")
    end_port = p.int_(fields.get("endPort"))
    if end_port is not None:
        end_node = fields["endPort"]
        if port is None or isinstance(port, str):
            p.add(end_node, "may only be set together with a numeric port")
        elif (problem := v.port_number(end_port)) is not None:
            p.add(end_node, f"invalid port {end_port}: {problem}")
        elif end_port < port:
            p.add(end_node, f"must be greater than or equal to port ({end_port} < {port})")
    if len(p.errors) != before:
        return None
    return NetworkPolicyPort(protocol, port, end_port, node.position)


def _peer(node: Node, p: Problems) -> NetworkPolicyPeer | None:
    fields = p.map_(node)
    if fields is None:
        if node.is_null():
            p.add(node, "must specify at least one of podSelector, namespaceSelector or ipBlock")
        return None
    present = {k: n for k, n in fields.items()
               if k in ("podSelector", "namespaceSelector", "ipBlock") and not n.is_null()}
    if not present:
        p.add(node, "must specify at least one of podSelector, namespaceSelector or ipBlock")
        return None
    if "ipBlock" in present and len(present) > 1:
        p.add(node, "ipBlock may not be combined with podSelector or namespaceSelector")
        return None
    if "ipBlock" in present:
        block = _ip_block(present["ipBlock"], p)
        return None if block is None else NetworkPolicyPeer(ip_block=block, position=node.position)
    pods = parse_selector(present["podSelector"], p) if "podSelector" in present else None
    namespaces = (
        parse_selector(present["namespaceSelector"], p) if "namespaceSelector" in present else None
    )
    if ("podSelector" in present and pods is None) or (
        "namespaceSelector" in present and namespaces is None
    ):
        return None
    return NetworkPolicyPeer(pods, namespaces, position=node.position)


def _ip_block(node: Node, p: Problems) -> IPBlock | None:
    fields = p.map_(node)
    if fields is None:
        return None
    text = p.str_(fields.get("cidr"))
    if text is None:
        if fields.get("cidr") is None or fields["cidr"].is_null():
            p.missing(node, "cidr")
        return None
    cidr = _cidr(fields["cidr"], text, p)
    excepts: list[IPNetwork] = []
    ok = cidr is not None
    for item in p.list_(fields.get("except")) or []:
        item_text = p.str_(item)
        inner = None if item_text is None else _cidr(item, item_text, p)
        if inner is None or item_text is None:
            ok = False
            continue
        if cidr is None:
            continue
        if inner.version != cidr.version:
            p.add(item, f"{quote(item_text)} is IPv{inner.version} but cidr {quote(text)} "
                        f"is IPv{cidr.version}")
            ok = False
        elif inner.prefixlen <= cidr.prefixlen or not inner.subnet_of(cidr):  # type: ignore[arg-type]
            p.add(item, f"{quote(item_text)} must be strictly inside cidr {quote(text)}")
            ok = False
        else:
            excepts.append(inner)
    if not ok or cidr is None:
        return None
    return IPBlock(cidr, tuple(excepts))


def _cidr(node: Node, text: str, p: Problems) -> IPNetwork | None:
    try:
        network, warning = v.parse_cidr(text)
    except v.AddressError as exc:
        p.add(node, f"invalid CIDR {quote(text)}: {exc}")
        return None
    if warning is not None:
        p.warn(node, warning)
    return network
