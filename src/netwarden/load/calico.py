"""Parse and validate Calico objects of both API groups into ``resources.calico``.

The checks are the ones Calico's API validation makes, so a manifest
netwarden accepts is one Calico would accept too; each problem is reported as
``file:line: field.path: message``, and every problem of one object is
reported at once. Fields netwarden cannot model yet (``http``, ``services``,
service-account selectors) are rejected rather than silently ignored, since
ignoring a match condition would widen what a rule matches.

Unknown fields and value types were checked before (strict decoding,
``schema``); problems are gathered with the same ``Problems`` toolkit and
worded with the same phrases (``validation.unsupported``, ``REQUIRED``...) as
the Kubernetes parsers'.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from typing import TypeVar

from .._errors import SelectorError, ValidationError
from ..ir.endpoints import IPAddress, IPNetwork, Labels
from ..ir.selector import All, Global, Selector
from ..ir.services import ICMP, ICMPV6, PORT_PROTOCOLS, PROTOCOL_NAMES
from ..resources import calico as res
from . import validation as v
from ._common import Problems, parse_labels
from .calico_selector import parse_selector
from .registry import api_group, register
from .validation import AddressError, describe, parse_cidr, parse_ip, quote
from .yamlpos import Node

__all__ = ["KINDS", "parse_calico"]

KINDS = ("NetworkPolicy", "GlobalNetworkPolicy", "Tier", "HostEndpoint", "NetworkSet",
         "GlobalNetworkSet")
_NAMESPACED = frozenset(("NetworkPolicy", "NetworkSet"))
_ACTIONS = ("Allow", "Deny", "Pass", "Log")
_TIER_ACTIONS = ("Deny", "Pass")
_POLICY_TYPES = ("Ingress", "Egress")
_PROTOCOLS = {name: number for number, name in PROTOCOL_NAMES.items()}  # case-sensitive
_PROTOCOL_HINT = "TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number 1-255"
_PORT_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
_RANGE = re.compile(r"^(\d+):(\d+)$")
# Calico's own name rules (libcalico-go's v3 validator), stricter than Kubernetes' for
# policies and tiers: a tier name is a DNS label (it becomes a label value); a policy
# name at most one dot; a namespaced policy may also be a converted Kubernetes one.
_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_GLOBAL_POLICY_NAME = re.compile(rf"({_LABEL}\.)?{_LABEL}")
_POLICY_NAME = re.compile(
    rf"{_LABEL}(\.{_LABEL})?|(knp|ossg)\.default\.{_LABEL}(\.{_LABEL})*")
_ONE_DOT = ("must consist of lowercase alphanumerics or '-' with at most one '.', "
            "and start and end with an alphanumeric")
# A Linux interface name as Calico accepts one: 1-15 of these characters, or "*" (all).
_INTERFACE = re.compile(r"[A-Za-z0-9_.-]{1,15}")

_UNSUPPORTED = {
    "http": "HTTP matches need an application-layer proxy; netwarden does not model them",
    "services": "Kubernetes Service matches are not supported by netwarden yet",
}

T = TypeVar("T")


# -- scalars -------------------------------------------------------------------

def _mapping(node: Node, errs: Problems) -> dict[str, Node]:
    """The fields of an object; unknown ones were reported by strict decoding (``schema``)."""
    fields = node.expect_map()
    for key in fields:
        if key in _UNSUPPORTED and fields[key].value is not None:
            errs.add(fields[key], _UNSUPPORTED[key])
    return fields


def _bool(node: Node | None) -> bool:
    if node is None or node.value is None:
        return False
    if not isinstance(node.value, bool):
        raise node.error(f"must be a boolean, got {describe(node.value)}")
    return node.value


def _number(node: Node | None) -> float | None:
    if node is None or node.value is None:
        return None
    if isinstance(node.value, bool) or not isinstance(node.value, int | float):
        raise node.error(f"must be a number, got {describe(node.value)}")
    return float(node.value)


def _int(node: Node, low: int, high: int, what: str = "value") -> int:
    number = v.as_integer(node.value)
    if number is None:
        raise node.error(f"must be an integer, got {describe(node.value)}")
    if (problem := v.out_of_range(what, number, low, high)) is not None:
        raise node.error(problem)
    return number


def _str(node: Node | None) -> str | None:
    return None if node is None or node.value is None else node.expect_str()


def _selector(node: Node | None, what: str = "selector") -> Selector | None:
    text = _str(node)
    if text is None or node is None:
        return None
    try:
        sel = parse_selector(text)
    except SelectorError as exc:
        raise node.error(str(exc)) from None
    if what != "namespaceSelector" and _has_global(sel):
        raise node.error(f"global() is only valid as a whole namespaceSelector, not in a {what}")
    if what == "namespaceSelector" and _has_global(sel) and not isinstance(sel, Global):
        raise node.error("global() must be the whole namespaceSelector")
    return sel


def _has_global(sel: Selector) -> bool:
    if isinstance(sel, Global):
        return True
    children = getattr(sel, "operands", None) or (
        (sel.operand,) if hasattr(sel, "operand") else ()
    )
    return any(_has_global(child) for child in children)


def _protocol(node: Node | None) -> str | int | None:
    if node is None or node.value is None:
        return None
    value = node.value
    number = v.as_integer(value)
    if number is not None and 1 <= number <= 255:
        return number
    if isinstance(value, str) and value in _PROTOCOLS:
        return value
    raise node.error(v.unsupported_value(value, f"one of {_PROTOCOL_HINT}"))


def _protocol_num(protocol: str | int) -> int:
    return protocol if isinstance(protocol, int) else _PROTOCOLS[protocol]


def _net(node: Node) -> IPNetwork:
    """A CIDR, or an IP address meaning just itself, as Calico's ``net`` validation reads it."""
    text = node.expect_str()
    try:
        if "/" not in text:
            ip, _ = parse_ip(text, legacy=False)
            return ipaddress.ip_network(ip)
        network, _ = parse_cidr(text, legacy=False)  # host bits: masked off, as Calico does
        return network
    except AddressError as exc:
        raise node.error(f"invalid CIDR {quote(text)}: {exc}") from None


def _ip(node: Node) -> IPAddress:
    text = node.expect_str()
    try:
        return parse_ip(text, legacy=False)[0]
    except AddressError as exc:
        raise node.error(f"invalid IP address {quote(text)}: {exc}") from None


def _list(node: Node | None, item: Callable[[Node], T], errs: Problems) -> tuple[T, ...]:
    if node is None:
        return ()
    items: list[Node] = errs.attempt(node.expect_list) or []
    out: list[T] = []
    for i in items:
        try:
            out.append(item(i))
        except ValidationError as exc:
            errs.record(exc)
    return tuple(out)


def _port(node: Node) -> res.PortEntry:
    value = node.value
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    number = v.as_integer(value)
    if number is not None:
        if (problem := v.port_number(number)) is not None:
            raise node.error(f"invalid port {number}: {problem}")
        return res.PortEntry(number, number)
    if not isinstance(value, str):
        raise node.error("must be a port number, a range 'min:max' or a port name, "
                         f"got {describe(value)}")
    match = _RANGE.match(value)
    if match:
        low, high = int(match[1]), int(match[2])
        if not (1 <= low <= 65535 and 1 <= high <= 65535):
            raise node.error(f"invalid port range {quote(value)}: "
                             "must be between 1 and 65535, inclusive")
        if low > high:
            raise node.error(f"invalid port range {quote(value)}: "
                             "the minimum must not be greater than the maximum")
        return res.PortEntry(low, high)
    if not _PORT_NAME.match(value):
        raise node.error(f"invalid port or port name {quote(value)}")
    return res.PortEntry(name=value)


def _icmp(node: Node | None, errs: Problems) -> res.IcmpFields | None:
    if node is None or node.value is None:
        return None
    fields = _mapping(node, errs)
    type_, code = fields.get("type"), fields.get("code")
    icmp_type = None if type_ is None else errs.attempt(lambda: _int(type_, 0, 254, "ICMP type"))
    icmp_code = None if code is None else errs.attempt(lambda: _int(code, 0, 255, "ICMP code"))
    if code is not None and type_ is None:
        errs.add(code, "an ICMP code needs an ICMP type")
    return res.IcmpFields(icmp_type, icmp_code)


# -- rules -----------------------------------------------------------------------

def _entity(node: Node | None, errs: Problems) -> res.EntityRule:
    if node is None or node.value is None:
        return res.EntityRule()
    fields = _mapping(node, errs)
    accounts: tuple[str, ...] = ()
    if (sa := fields.get("serviceAccounts")) is not None:
        sa_fields = _mapping(sa, errs)
        if (sa_sel := sa_fields.get("selector")) is not None and sa_sel.value:
            errs.add(sa_sel, "service account selectors are not supported by netwarden yet")
        accounts = _list(sa_fields.get("names"), Node.expect_str, errs)
    return res.EntityRule(
        nets=_list(fields.get("nets"), _net, errs),
        not_nets=_list(fields.get("notNets"), _net, errs),
        selector=errs.attempt(lambda: _selector(fields.get("selector"))),
        not_selector=errs.attempt(lambda: _selector(fields.get("notSelector"), "notSelector")),
        namespace_selector=errs.attempt(
            lambda: _selector(fields.get("namespaceSelector"), "namespaceSelector")
        ),
        ports=_list(fields.get("ports"), _port, errs),
        not_ports=_list(fields.get("notPorts"), _port, errs),
        service_account_names=accounts,
        position=node.position,
    )


def _rule(node: Node, errs: Problems) -> res.Rule:
    fields = _mapping(node, errs)
    action = fields.get("action")
    if action is None:
        errs.missing(node, "action")
    elif action.value not in _ACTIONS:
        errs.add(action, v.unsupported(action.value, _ACTIONS))
    ip_version_node = fields.get("ipVersion")
    ip_version = None
    if ip_version_node is not None and ip_version_node.value is not None:
        if (version := v.as_integer(ip_version_node.value)) in (4, 6):
            ip_version = version
        else:
            errs.add(ip_version_node, v.unsupported_value(ip_version_node.value, "4 or 6"))
    rule = res.Rule(
        action=str(action.value) if action is not None else "",
        protocol=errs.attempt(lambda: _protocol(fields.get("protocol"))),
        not_protocol=errs.attempt(lambda: _protocol(fields.get("notProtocol"))),
        icmp=_icmp(fields.get("icmp"), errs),
        not_icmp=_icmp(fields.get("notICMP"), errs),
        ip_version=ip_version,
        source=_entity(fields.get("source"), errs),
        destination=_entity(fields.get("destination"), errs),
        position=node.position,
    )
    _check_rule(node, fields, rule, errs)
    return rule


def _check_rule(node: Node, fields: dict[str, Node], rule: res.Rule, errs: Problems) -> None:
    """Cross-field checks: what Calico's validator rejects about a rule as a whole."""
    proto = _protocol_num(rule.protocol) if rule.protocol is not None else None
    if proto not in PORT_PROTOCOLS:
        for side in ("source", "destination"):
            entity = fields.get(side)
            for key in ("ports", "notPorts"):
                ports = entity.get(key) if entity is not None else None
                if ports is not None and ports.value:
                    errs.report(ports.error(
                        "ports need protocol TCP, UDP, SCTP or UDPLite"
                        + (f", not {rule.protocol}" if rule.protocol is not None else "")
                    ))
    for key, icmp in (("icmp", rule.icmp), ("notICMP", rule.not_icmp)):
        if icmp is not None and proto not in (ICMP, ICMPV6):
            errs.add(fields[key], f"{key} needs protocol ICMP or ICMPv6")
    not_proto = _protocol_num(rule.not_protocol) if rule.not_protocol is not None else None
    version_node = fields.get("ipVersion")
    if rule.ip_version is not None and version_node is not None:
        if ICMP in (proto, not_proto) and rule.ip_version != 4:
            errs.add(version_node, "must be 4 with protocol ICMP")
        if ICMPV6 in (proto, not_proto) and rule.ip_version != 6:
            errs.add(version_node, "must be 6 with protocol ICMPv6")
    seen: set[int] = set()
    for side, parsed in (("source", rule.source), ("destination", rule.destination)):
        side_node = fields.get(side)
        for key, nets in (("nets", parsed.nets), ("notNets", parsed.not_nets)):
            where = side_node.get(key) if side_node is not None else None
            if where is None or not nets:
                continue
            versions = {n.version for n in nets}
            if rule.ip_version is not None and versions - {rule.ip_version}:
                errs.add(where, f"CIDR versions do not match ipVersion {rule.ip_version}")
            seen |= versions
            if len(seen) > 1:
                errs.add(where, "a rule cannot mix IPv4 and IPv6 CIDRs")
                seen = set()  # report the mix once


# -- objects ----------------------------------------------------------------------

def _name_problem(kind: str, name: str) -> str | None:
    """Why Calico refuses ``name`` for an object of ``kind``, or None."""
    if kind == "Tier":
        return v.dns1123_label(name)
    if len(name) > 253:
        return "must be no more than 253 characters"
    if kind == "GlobalNetworkPolicy":
        return None if _GLOBAL_POLICY_NAME.fullmatch(name) else _ONE_DOT
    if kind == "NetworkPolicy":
        return None if _POLICY_NAME.fullmatch(name) else _ONE_DOT
    return v.dns1123_subdomain(name)


def _meta(node: Node, kind: str, group: str, errs: Problems) -> res.CalicoMeta:
    meta_node = node.get("metadata")
    if meta_node is None:
        raise node.error(v.REQUIRED, "metadata")
    fields = meta_node.expect_map()
    name_node = fields.get("name")
    if name_node is None or not name_node.value:
        raise meta_node.error(v.REQUIRED, meta_node.child_path("name"))
    name = name_node.expect_str()
    if (problem := _name_problem(kind, name)) is not None:
        errs.add(name_node, f"invalid name {quote(name)}: {problem}")
    label_node = fields.get("labels")
    labels = parse_labels(label_node, errs) or Labels()
    namespace = None
    if kind in _NAMESPACED:
        namespace = _str(fields.get("namespace"))
        if namespace is not None and (problem := v.dns1123_label(namespace)) is not None:
            errs.add(fields["namespace"], f"invalid namespace {quote(namespace)}: {problem}")
    if kind in ("NetworkSet", "GlobalNetworkSet") and "projectcalico.org/namespace" in labels:
        errs.report(label_node.error("projectcalico.org/namespace is not a valid label name")
                 if label_node is not None else meta_node.error("invalid label"))
    return res.CalicoMeta(name, group, namespace, labels, node.position)


def _identity(node: Node) -> Node:
    return node


def _policy_spec(spec: Node, kind: str, errs: Problems) -> res.PolicySpec:
    is_global = kind == "GlobalNetworkPolicy"
    fields = _mapping(spec, errs)
    if (sas := fields.get("serviceAccountSelector")) is not None and sas.value:
        errs.add(sas, "service account selectors are not supported by netwarden yet")
    types: list[str] = []
    for item in _list(fields.get("types"), _identity, errs):
        if item.value not in _POLICY_TYPES:
            errs.add(item, v.unsupported(item.value, _POLICY_TYPES))
        elif item.value in types:
            errs.add(item, v.duplicate(item.value))
        else:
            types.append(item.value)
    def rule(node: Node) -> res.Rule:
        return _rule(node, errs)

    ingress = _list(fields.get("ingress"), rule, errs)
    egress = _list(fields.get("egress"), rule, errs)
    flags: dict[str, bool] = {}
    for key in ("applyOnForward", "preDNAT", "doNotTrack"):
        if not is_global:  # reported above as unknown fields
            flags[key] = False
            continue
        try:
            flags[key] = _bool(fields.get(key))
        except ValidationError as exc:
            errs.report(exc)
            flags[key] = False
    if flags["preDNAT"] and flags["doNotTrack"]:
        errs.add(fields["preDNAT"], "preDNAT and doNotTrack cannot both be true")
    for key in ("preDNAT", "doNotTrack"):
        if flags[key] and not flags["applyOnForward"]:
            errs.add(fields[key], f"{key} needs applyOnForward: true")
    if flags["preDNAT"]:
        if egress:
            errs.add(fields["egress"], "a preDNAT policy cannot have egress rules")
        if "Egress" in types:
            errs.add(fields["types"], "a preDNAT policy cannot have type Egress")
    tier = errs.attempt(lambda: _str(fields.get("tier")))
    if tier and (problem := v.dns1123_label(tier)) is not None:
        errs.add(fields["tier"], f"invalid tier name {quote(tier)}: {problem}")
    selector: Selector | None = errs.attempt(lambda: _selector(fields.get("selector")))
    return res.PolicySpec(
        selector=selector or All(),
        tier=tier or None,
        order=errs.attempt(lambda: _number(fields.get("order"))),
        types=tuple(types),
        ingress=ingress,
        egress=egress,
        namespace_selector=errs.attempt(
            lambda: _selector(fields.get("namespaceSelector"), "namespaceSelector")
        ),
        apply_on_forward=flags["applyOnForward"],
        pre_dnat=flags["preDNAT"],
        do_not_track=flags["doNotTrack"],
        tier_position=tier_node.position if (tier_node := fields.get("tier")) else None,
    )


def _tier(meta: res.CalicoMeta, spec: Node, errs: Problems) -> res.Tier:
    fields = _mapping(spec, errs)
    action = fields.get("defaultAction")
    default_action = "Deny"
    if action is not None and action.value is not None:
        if action.value in _TIER_ACTIONS:
            default_action = action.value
        else:
            errs.add(action, v.unsupported(action.value, _TIER_ACTIONS))
    return res.Tier(meta, errs.attempt(lambda: _number(fields.get("order"))), default_action)


def _endpoint_port(node: Node) -> res.EndpointPort:
    fields = node.expect_map()
    name, port, proto = fields.get("name"), fields.get("port"), fields.get("protocol")
    if name is None or port is None:
        raise node.error("a host endpoint port needs a name and a port")
    port_name = name.expect_str()
    if (problem := v.iana_svc_name(port_name)) is not None:
        raise name.error(f"invalid port name {quote(port_name)}: {problem}")
    protocol = _str(proto) or "TCP"
    if protocol not in v.PORT_NAME_PROTOCOLS and proto is not None:
        raise proto.error(v.unsupported(protocol, v.PORT_NAME_PROTOCOLS))
    return res.EndpointPort(port_name, _int(port, 1, 65535, "port"), protocol)


def _interface(node: Node | None) -> str | None:
    text = _str(node)
    if text is None or node is None or text in ("", "*") or _INTERFACE.fullmatch(text):
        return text
    raise node.error(f"invalid interface name {quote(text)}: must be \"*\" or 1-15 "
                     "characters, each a letter, a digit, '_', '.' or '-'")


def _node_name(node: Node | None) -> str | None:
    text = _str(node)
    if text and node is not None and (problem := v.dns1123_subdomain(text)) is not None:
        raise node.error(f"invalid node name {quote(text)}: {problem}")
    return text


def _host_endpoint(meta: res.CalicoMeta, spec: Node, errs: Problems) -> res.HostEndpoint:
    fields = _mapping(spec, errs)
    node = errs.attempt(lambda: _node_name(fields.get("node")))
    if fields.get("node") is None:
        errs.missing(spec, "node")
    interface = errs.attempt(lambda: _interface(fields.get("interfaceName")))
    ips = _list(fields.get("expectedIPs"), _ip, errs)
    given = [fields[key].value for key in ("interfaceName", "expectedIPs") if key in fields]
    if not any(given):  # an invalid value was reported above
        errs.add(spec, "a host endpoint needs interfaceName or expectedIPs")
    ports = _list(fields.get("ports"), _endpoint_port, errs)
    profiles = fields.get("profiles")
    if profiles is not None and profiles.value:
        errs.add(profiles, "host endpoint profiles are not supported by netwarden yet")
    return res.HostEndpoint(meta, node or "", interface or None, ips, ports)


def parse_calico(node: Node) -> object:
    """One Calico object of either API group, validated; every problem reported at once."""
    errs = Problems(node)
    version = node.get("apiVersion")
    group = api_group(str(version.value)) if version is not None else ""
    kind = node.get("kind")
    kind_name = str(kind.value) if kind is not None else ""
    meta = _meta(node, kind_name, group, errs)
    spec = node.get("spec") or Node({}, node.file, node.line, "spec")
    out: object
    if kind_name in ("NetworkPolicy", "GlobalNetworkPolicy"):
        policy_spec = _policy_spec(spec, kind_name, errs)
        cls = res.NetworkPolicy if kind_name == "NetworkPolicy" else res.GlobalNetworkPolicy
        out = cls(meta, policy_spec)
    elif kind_name == "Tier":
        out = _tier(meta, spec, errs)
    elif kind_name == "HostEndpoint":
        out = _host_endpoint(meta, spec, errs)
    else:
        fields = _mapping(spec, errs)
        nets = _list(fields.get("nets"), _net, errs)
        set_cls = res.NetworkSet if kind_name == "NetworkSet" else res.GlobalNetworkSet
        out = set_cls(meta, nets)
    errs.check()
    return out


def _register(groups: Iterable[str]) -> None:
    for group in groups:
        register(group, *KINDS)(parse_calico)


_register(res.API_GROUPS)
