"""AdminNetworkPolicy, BaselineAdminNetworkPolicy (v1alpha1) and ClusterNetworkPolicy (v1alpha2).

Validated as the CRDs of kubernetes-sigs/network-policy-api validate them
(OpenAPI bounds and enums, ``MinProperties/MaxProperties = 1`` "exactly one
field" structs, and the CEL rule that forbids named ports towards nodes,
networks and domain names), so a manifest this loader accepts is one the API
server accepts. These kinds have no schema in ``schemas/``: unknown fields are
found here, and are errors (a peer with a field netwarden does not know must
fail closed, so it is never guessed at).

The tables of limits, by kind:

==============================  =========  =========  ================
                                ANP        BANP       CNP (v1alpha2)
==============================  =========  =========  ================
served version                  v1alpha1   v1alpha1   v1alpha2
priority                        0-1000     none       0-1000
name                            any        "default"  any
rules per direction             100        100        25
peers per rule, ports per rule  100        100        25
actions                         Allow Deny Allow Deny Accept Deny Pass
                                Pass
egress peer kinds               namespaces, pods, nodes, networks (<= 25),
                                domainNames (<= 25; not BANP; Allow/Accept)
==============================  =========  =========  ================
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable

from ..resources.anp import (
    ClusterPolicy,
    ClusterPolicyPeer,
    ClusterPolicyPort,
    ClusterPolicyRule,
    ClusterPolicySubject,
    ClusterTier,
    NamespacedPods,
)
from ..resources.k8s import LabelSelector
from . import validation as v
from ._common import Problems, parse_meta, parse_selector
from .registry import register
from .validation import quote
from .yamlpos import Node

__all__ = ["ANP", "BANP", "CNP", "GROUP", "parse_cluster_policy"]

GROUP = "policy.networking.k8s.io"
ANP, BANP, CNP = "AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy"
_SERVED = {ANP: "v1alpha1", BANP: "v1alpha1", CNP: "v1alpha2"}
_ACTIONS = {ANP: ("Allow", "Deny", "Pass"), BANP: ("Allow", "Deny"),
            CNP: ("Accept", "Deny", "Pass")}
_TIERS = ("Admin", "Baseline")
_PROTOCOLS = v.PORT_NAME_PROTOCOLS
_MAX_NAME = 100
# The DomainName pattern of the API (a leading "*." wildcard, dot-separated labels).
_DOMAIN = re.compile(r"(\*\.)?([a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+"
                     r"[a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?")


@dataclasses.dataclass(frozen=True, slots=True)
class _Kind:
    """What differs between the three kinds while parsing."""

    kind: str
    max_items: int
    actions: tuple[str, ...]
    ports_key: str
    domain_names: bool

    @property
    def v2(self) -> bool:
        return self.kind == CNP

    @property
    def allow(self) -> str:
        return self.actions[0]


_KINDS = {
    ANP: _Kind(ANP, 100, _ACTIONS[ANP], "ports", True),
    BANP: _Kind(BANP, 100, _ACTIONS[BANP], "ports", False),
    CNP: _Kind(CNP, 25, _ACTIONS[CNP], "protocols", True),
}


@register(GROUP, ANP, BANP, CNP)
def parse_cluster_policy(doc: Node) -> list[object]:
    """One ``ClusterPolicy``, or ``InvalidManifests`` with every problem of the object."""
    kind_node, api_node = doc.get("kind"), doc.get("apiVersion")
    assert kind_node is not None and api_node is not None  # the loader dispatched on them
    kind = _KINDS[kind_node.value]
    api = str(api_node.value)
    p = Problems(doc)
    version = api.rpartition("/")[2]
    if version != _SERVED[kind.kind]:
        p.add(api_node, f"{kind.kind} is not served in version {version!r}; "
                        f"use {GROUP}/{_SERVED[kind.kind]}")
    _known(doc, p, ("apiVersion", "kind", "metadata", "spec", "status"))
    meta = parse_meta(doc, p, namespaced=True)
    if meta is not None:
        meta = dataclasses.replace(meta, namespace=None)  # cluster-scoped
    if kind.kind == BANP and meta is not None and meta.name != "default":
        name_node = (doc.get("metadata") or doc).get("name") or doc
        p.add(name_node, f'invalid name {quote(meta.name)}: a {BANP} must be named "default"')
    spec_node = doc.get("spec")
    spec = p.map_(spec_node)
    if spec is None:
        if spec_node is None or spec_node.is_null():
            p.missing(doc, "spec")
        p.fail()
    assert spec_node is not None
    allowed = ["subject", "ingress", "egress"]
    if kind.kind != BANP:
        allowed.append("priority")
    if kind.v2:
        allowed.append("tier")
    _known(spec_node, p, allowed)
    tier = ClusterTier.BASELINE if kind.kind == BANP else ClusterTier.ADMIN
    if kind.v2:
        tier = _tier(spec_node, spec, p) or tier
    priority = None if kind.kind == BANP else _priority(spec_node, spec, p)
    subject = _subject(spec_node, spec, kind, p)
    ingress = _rules(spec.get("ingress"), "from", kind, p)
    egress = _rules(spec.get("egress"), "to", kind, p)
    p.check()
    assert meta is not None and subject is not None
    policy = ClusterPolicy(kind.kind, api, meta, tier, priority, subject, tuple(ingress),
                           tuple(egress))
    return [policy, *p.notes]


def _known(node: Node, p: Problems, fields: list[str] | tuple[str, ...]) -> None:
    """An error for each field of the mapping ``node`` that the type does not have."""
    if not isinstance(node.value, dict):
        return
    for key, child in node.value.items():
        if key in fields:
            continue
        close = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else ""
        p.report(child.key_error(f"unknown field{hint}"))


def _required(parent: Node, fields: dict[str, Node], key: str, p: Problems) -> Node | None:
    """``parent``'s field ``key``, or None after an error when it is absent or null."""
    node = fields.get(key)
    if node is None or node.is_null():
        p.missing(parent, key)
        return None
    return node


def _choice(parent: Node, fields: dict[str, Node], key: str, choices: tuple[str, ...],
            p: Problems) -> str | None:
    """The required string field ``key``, one of ``choices``."""
    node = _required(parent, fields, key, p)
    value = None if node is None else p.str_(node)
    if node is None or value is None:
        return None
    if value not in choices:
        p.add(node, v.unsupported(value, choices))
        return None
    return value


def _tier(spec_node: Node, spec: dict[str, Node], p: Problems) -> ClusterTier | None:
    value = _choice(spec_node, spec, "tier", _TIERS, p)
    return None if value is None else ClusterTier(value)


def _priority(spec_node: Node, spec: dict[str, Node], p: Problems) -> int | None:
    node = _required(spec_node, spec, "priority", p)
    if node is None:
        return None
    value = p.int_(node)
    if value is not None and (problem := v.out_of_range("priority", value, 0, 1000)):
        p.add(node, problem)
        return None
    return value


def _one_of(node: Node, names: tuple[str, ...], p: Problems) -> tuple[str, Node] | None:
    """The one field of ``names`` that the mapping ``node`` sets (null counts as unset, and
    a null ``node`` sets none), or None after an error."""
    fields = p.map_(node)
    if fields is None:
        if node.is_null():
            p.add(node, f"must specify exactly one of {_or(names)}")
        return None
    _known(node, p, names)
    present = [(k, n) for k, n in fields.items() if k in names and not n.is_null()]
    if len(present) != 1:
        p.add(node, f"must specify exactly one of {_or(names)}")
        return None
    return present[0]


def _required_one_of(parent: Node, fields: dict[str, Node], key: str, names: tuple[str, ...],
                     p: Problems) -> tuple[str, Node] | None:
    """``parent``'s required field ``key``: a mapping with exactly one of ``names`` set."""
    node = _required(parent, fields, key, p)
    return None if node is None else _one_of(node, names, p)


def _or(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _subject(spec_node: Node, spec: dict[str, Node], kind: _Kind,
             p: Problems) -> ClusterPolicySubject | None:
    chosen = _required_one_of(spec_node, spec, "subject", ("namespaces", "pods"), p)
    return None if chosen is None else _pods_of(*chosen, kind, p)


def _pods_of(key: str, value: Node, kind: _Kind, p: Problems) -> ClusterPolicySubject | None:
    """``namespaces`` (every pod of the namespaces a selector picks) or ``pods``: the two
    ways a subject selects pods, which peers share."""
    if key == "namespaces":
        selector = parse_selector(value, p)
        return None if selector is None else ClusterPolicySubject(namespaces=selector)
    pods = _namespaced_pods(value, kind, p)
    return None if pods is None else ClusterPolicySubject(pods=pods)


def _namespaced_pods(node: Node, kind: _Kind, p: Problems) -> NamespacedPods | None:
    fields = p.map_(node)
    if fields is None:
        return None
    _known(node, p, ("namespaceSelector", "podSelector"))
    selectors: dict[str, LabelSelector | None] = {}
    for key in ("namespaceSelector", "podSelector"):
        child = fields.get(key)
        if child is None:
            if key == "podSelector" or not kind.v2:  # v1alpha2 made namespaceSelector optional
                p.missing(node, key)
                selectors[key] = None
            else:
                selectors[key] = LabelSelector(position=node.position)
            continue
        selectors[key] = parse_selector(child, p)
    ns, pods = selectors["namespaceSelector"], selectors["podSelector"]
    if ns is None or pods is None:
        return None
    return NamespacedPods(ns, pods)


def _bounded_list(node: Node | None, limit: int, p: Problems, minimum: int = 0) -> list[Node]:
    items = p.list_(node) or []
    if node is None or node.is_null() or not node.is_list():
        return items
    if len(items) > limit:
        p.add(node, f"must have at most {limit} items, got {len(items)}")
    elif len(items) < minimum:
        p.add(node, f"must have at least {minimum} item{'s' if minimum > 1 else ''}")
    return items


def _rules(node: Node | None, peers_key: str, kind: _Kind,
           p: Problems) -> list[ClusterPolicyRule]:
    rules: list[ClusterPolicyRule] = []
    for item in _bounded_list(node, kind.max_items, p):
        fields = p.map_(item)
        if fields is None:
            if item.is_null():
                p.missing(item, "action")
            continue
        rule = _rule(item, fields, peers_key, kind, p)
        if rule is not None:
            rules.append(rule)
    return rules


def _rule(item: Node, fields: dict[str, Node], peers_key: str, kind: _Kind,
          p: Problems) -> ClusterPolicyRule | None:
    before = len(p.errors)
    _known(item, p, ("name", "action", peers_key, kind.ports_key))
    name = p.str_(fields.get("name")) or ""
    if len(name) > _MAX_NAME:
        p.add(fields["name"], f"must be no more than {_MAX_NAME} characters, got {len(name)}")
    action = _choice(item, fields, "action", kind.actions, p)
    peers_node = _required(item, fields, peers_key, p)
    egress = peers_key == "to"
    peers = [_peer(n, egress, kind, action, p)
             for n in _bounded_list(peers_node, kind.max_items, p, minimum=1)]
    ports_node = fields.get(kind.ports_key)
    read = [_port(n, kind, p) for n in _bounded_list(ports_node, kind.max_items, p, minimum=1)]
    ports = [port for port in read if port is not None]
    if egress and any(port.name for port in ports) and any(
            peer is not None and (peer.nodes is not None or peer.networks or peer.domain_names)
            for peer in peers):
        p.add(item, "named ports cannot be used with nodes, networks or domainNames peers, "
                    "which have no named ports", item.child_path(kind.ports_key))
    if len(p.errors) != before or action is None:
        return None
    return ClusterPolicyRule(action, tuple(x for x in peers if x is not None), tuple(ports),
                             name, item.position)


def _peer(node: Node, egress: bool, kind: _Kind, action: str | None,
          p: Problems) -> ClusterPolicyPeer | None:
    names: tuple[str, ...] = ("namespaces", "pods")
    if egress:
        names += ("nodes", "networks") + (("domainNames",) if kind.domain_names else ())
    chosen = _one_of(node, names, p)
    if chosen is None:
        return None
    key, value = chosen
    where = node.position
    if key in ("namespaces", "pods"):
        pods = _pods_of(key, value, kind, p)
        return None if pods is None else ClusterPolicyPeer(
            namespaces=pods.namespaces, pods=pods.pods, position=where)
    if key == "nodes":
        selector = parse_selector(value, p)
        return None if selector is None else ClusterPolicyPeer(nodes=selector, position=where)
    if key == "networks":
        return _networks(value, node, p)
    if action is not None and action != kind.allow:
        p.add(value, f"may only be used in {kind.allow} rules, not {action}")
        return None
    return _domain_names(value, node, p)


def _networks(value: Node, peer: Node, p: Problems) -> ClusterPolicyPeer | None:
    before = len(p.errors)
    nets = []
    seen: set[str] = set()
    for item in _bounded_list(value, 25, p, minimum=1):
        text = p.str_(item)
        if text is None:
            continue
        if text in seen:
            p.add(item, v.duplicate(text))
            continue
        seen.add(text)
        try:
            network, warning = v.parse_cidr(text)
        except v.AddressError as exc:
            p.add(item, f"invalid CIDR {quote(text)}: {exc}")
            continue
        if warning is not None:
            p.warn(item, warning)
        nets.append(network)
    if len(p.errors) != before:
        return None
    return ClusterPolicyPeer(networks=tuple(nets), position=peer.position)


def _domain_names(value: Node, peer: Node, p: Problems) -> ClusterPolicyPeer | None:
    before = len(p.errors)
    names: list[str] = []
    for item in _bounded_list(value, 25, p, minimum=1):
        text = p.str_(item)
        if text is None:
            continue
        if not _DOMAIN.fullmatch(text):
            p.add(item, f"invalid domain name {quote(text)}: must be a DNS name of two or more "
                        "labels, optionally starting with '*.' (e.g. 'example.com', "
                        "'*.example.com')")
        elif text.lower().rstrip(".") in names:
            p.add(item, v.duplicate(text))
        else:
            names.append(text.lower().rstrip("."))
    if len(p.errors) != before:
        return None
    return ClusterPolicyPeer(domain_names=tuple(names), position=peer.position)


def _port_number(node: Node | None, parent: Node, key: str, p: Problems) -> int | None:
    if node is None or node.is_null():
        p.missing(parent, key)
        return None
    value = p.int_(node)
    if value is not None and (problem := v.port_number(value)) is not None:
        p.add(node, f"invalid port {value}: {problem}")
        return None
    return value


def _protocol_name(fields: dict[str, Node], p: Problems) -> str | None:
    node = fields.get("protocol")
    value = p.str_(node) or "TCP"
    if value not in _PROTOCOLS:
        assert node is not None
        p.add(node, v.unsupported(value, _PROTOCOLS))
        return None
    return value


def _range(node: Node, p: Problems, protocol: str | None) -> ClusterPolicyPort | None:
    """A ``{start, end}`` range of ``protocol`` (None: the range's own ``protocol`` field,
    as v1alpha1's ``portRange`` has)."""
    fields = p.map_(node)
    if fields is None:
        return None
    _known(node, p, ("start", "end") if protocol else ("protocol", "start", "end"))
    protocol = protocol or _protocol_name(fields, p)
    start = _port_number(fields.get("start"), node, "start", p)
    end = _port_number(fields.get("end"), node, "end", p)
    if start is not None and end is not None and start >= end:
        p.add(fields["end"], f"must be greater than start ({end} <= {start})")
        return None
    if protocol is None or start is None or end is None:
        return None
    return ClusterPolicyPort(protocol, start, end)


def _port_number_of(value: Node, p: Problems) -> ClusterPolicyPort | None:
    """v1alpha1's ``portNumber``: ``{protocol, port}``."""
    fields = p.map_(value) or {}
    _known(value, p, ("protocol", "port"))
    protocol = _protocol_name(fields, p)
    number = _port_number(fields.get("port"), value, "port", p)
    if protocol is None or number is None:
        return None
    return ClusterPolicyPort(protocol, number, number)


def _destination_port(protocol: str, value: Node, p: Problems) -> ClusterPolicyPort | None:
    """v1alpha2's ``tcp``/``udp``/``sctp``: ``{destinationPort: {number | range}}``."""
    attrs = p.map_(value)
    if attrs is None:
        return None
    _known(value, p, ("destinationPort",))
    which = _required_one_of(value, attrs, "destinationPort", ("number", "range"), p)
    if which is None:
        return None
    key, port = which
    if key == "range":
        return _range(port, p, protocol)
    number = _port_number(port, value, "number", p)
    return None if number is None else ClusterPolicyPort(protocol, number, number)


def _named_port(value: Node, p: Problems) -> ClusterPolicyPort | None:
    name = p.str_(value)
    if name is None:
        return None
    if (problem := v.iana_svc_name(name)) is not None:
        p.add(value, f"invalid port name {quote(name)}: {problem}")
        return None
    return ClusterPolicyPort(None, name=name)


# The forms one port item may take, in the API's order (its error messages list them so),
# each with its reader: by the rule's port-list field (v1alpha1 ``ports``, v1alpha2
# ``protocols``).
_PortReader = Callable[[Node, Problems], ClusterPolicyPort | None]
_PORT_FORMS: dict[str, dict[str, _PortReader]] = {
    "ports": {
        "portNumber": _port_number_of,
        "namedPort": _named_port,
        "portRange": lambda value, p: _range(value, p, None),
    },
    "protocols": {
        "tcp": lambda value, p: _destination_port("TCP", value, p),
        "udp": lambda value, p: _destination_port("UDP", value, p),
        "sctp": lambda value, p: _destination_port("SCTP", value, p),
        "destinationNamedPort": _named_port,
    },
}


def _port(node: Node, kind: _Kind, p: Problems) -> ClusterPolicyPort | None:
    """One item of a rule's port list (``ports`` in v1alpha1, ``protocols`` in v1alpha2):
    exactly one of the kind's forms."""
    forms = _PORT_FORMS[kind.ports_key]
    names = tuple(forms)
    chosen = _one_of(node, names, p)
    if chosen is None:
        return None
    key, value = chosen
    port = forms[key](value, p)
    return None if port is None else dataclasses.replace(port, position=node.position)
