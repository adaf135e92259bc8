"""Services (v1) and EndpointSlices (discovery.k8s.io/v1), validated as the API server does.

The checks are those of the API server's Service validation that can change
what a Service forwards: the type and its fields (``clusterIP: None`` only
without node ports, ``externalName`` only for ExternalName, traffic policies
only where they apply), ports (numbers, protocols, names required and unique
once there are several, ``targetPort`` a number or a port name, ``nodePort``
in the node-port range and not on a ClusterIP Service), addresses, the
selector's labels. Addresses the user did not give are assigned once every
Service is read (``service_addresses``).

>>> from netwarden.load import load_texts
>>> svc, = load_texts([("svc.yaml", '''
... apiVersion: v1
... kind: Service
... metadata: {name: web}
... spec: {selector: {app: web}, ports: [{port: 80, targetPort: http}]}
... ''')]).services
>>> svc.type, svc.ports[0].target, svc.selector
('ClusterIP', 'http', (('app', 'web'),))
"""

from __future__ import annotations

from ..ir.endpoints import IPAddress, IPNetwork
from ..ir.kube_services import NODE_PORT_RANGE
from ..resources.services import (
    SERVICE_TYPES,
    EndpointSlice,
    Service,
    ServicePort,
    SliceEndpoint,
    SlicePort,
)
from . import validation as v
from ._common import Problems, parse_labels, parse_meta
from .registry import Note, register
from .validation import quote
from .yamlpos import Node

__all__ = ["SERVICE_NAME_LABEL", "parse_endpoint_slice", "parse_service"]

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
_POLICIES = ("Cluster", "Local")
_FAMILIES = ("IPv4", "IPv6")
_FAMILY_POLICIES = ("SingleStack", "PreferDualStack", "RequireDualStack")
_ADDRESS_TYPES = ("IPv4", "IPv6", "FQDN")
_NODE_PORT_TYPES = ("NodePort", "LoadBalancer")


@register("", "Service")
def parse_service(doc: Node) -> list[object]:
    """A Service with its defaults: type ClusterIP, protocol TCP, targetPort = port."""
    p = Problems(doc)
    meta = parse_meta(doc, p, namespaced=True, name_rule=v.dns1035_label)
    spec_node = doc.get("spec")
    spec = p.map_(spec_node) or {}
    kind = p.str_(spec.get("type")) or "ClusterIP"
    if kind not in SERVICE_TYPES:
        p.add(spec["type"], v.unsupported(kind, SERVICE_TYPES))
        kind = "ClusterIP"
    headless, cluster_ips = _cluster_ips(spec, kind, p)
    external_name = _external_name(spec, kind, spec_node, p)
    ports = _ports(spec, kind, headless, spec_node, p)
    selector = _selector(spec.get("selector"), kind, p)
    families = _families(spec, cluster_ips, p)
    external_policy = _traffic_policy(spec, "externalTrafficPolicy", kind, p)
    internal_policy = _traffic_policy(spec, "internalTrafficPolicy", kind, p) or "Cluster"
    external_ips = tuple(ip for item in p.list_(spec.get("externalIPs")) or []
                         if (ip := _ip(item, p)) is not None)
    allocate = p.bool_(spec.get("allocateLoadBalancerNodePorts"))
    if allocate is not None and kind != "LoadBalancer":
        p.add(spec["allocateLoadBalancerNodePorts"],
              "may only be set when `type` is 'LoadBalancer'")
    lb_ips = _load_balancer_ips(doc.get("status"), p)
    publish = bool(p.bool_(spec.get("publishNotReadyAddresses")))
    ranges = tuple(net for item in p.list_(spec.get("loadBalancerSourceRanges")) or []
                   if (net := _cidr(item, p)) is not None)
    if ranges and kind != "LoadBalancer":
        p.add(spec["loadBalancerSourceRanges"], "may only be set when `type` is 'LoadBalancer'")
    p.check()
    assert meta is not None
    if kind == "ExternalName":
        p.note(doc, f"Service {meta.namespace}/{meta.name} is an ExternalName "
                    f"({external_name}): a DNS alias, which no policy sees; connections go "
                    "to the address that name resolves to")
    service = Service(
        meta, kind, ports, selector, cluster_ips, headless, families, external_name,
        external_ips, lb_ips, external_policy, internal_policy,
        allocate if allocate is not None else True, publish, ranges)
    return [service, *p.notes]


def _cluster_ips(spec: dict[str, Node], kind: str,
                 p: Problems) -> tuple[bool, tuple[IPAddress, ...]]:
    """(headless, the given addresses): ``clusterIP`` and ``clusterIPs`` must agree."""
    one = p.str_(spec.get("clusterIP"))
    many = [(item, text) for item in p.list_(spec.get("clusterIPs")) or []
            if (text := p.str_(item)) is not None]
    if one and many and many[0][1] != one:
        p.add(spec["clusterIPs"], f"must start with clusterIP ({quote(one)}), "
                                  f"got {quote(many[0][1])}")
    texts = [(node, text) for node, text in many] or (
        [(spec["clusterIP"], one)] if one else [])
    if not texts:
        return False, ()
    node, first = texts[0]
    if kind == "ExternalName":
        p.add(node, "must not be set when `type` is 'ExternalName'")
        return False, ()
    if first == "None":
        if kind in _NODE_PORT_TYPES:
            p.add(node, f"may not be set to 'None' for {kind} services")
        if len(texts) > 1:
            p.add(spec["clusterIPs"], "must be a single value when the first is 'None'")
        return True, ()
    ips: list[IPAddress] = []
    for item, text in texts:
        ip = _ip_text(item, text, p)
        if ip is not None:
            if any(ip.version == other.version for other in ips):
                p.add(item, "must hold at most one address of each IP family")
            ips.append(ip)
    return False, tuple(ips)


def _external_name(spec: dict[str, Node], kind: str, spec_node: Node | None,
                   p: Problems) -> str | None:
    name = p.str_(spec.get("externalName"))
    if kind != "ExternalName":
        if name:
            p.add(spec["externalName"], "may only be set when `type` is 'ExternalName'")
        return None
    if not name:
        p.missing(spec_node or p.doc, "externalName")
        return None
    if (problem := v.dns1123_subdomain(name.removesuffix("."))) is not None:
        p.add(spec["externalName"], f"invalid name {quote(name)}: {problem}")
    return name


def _ports(spec: dict[str, Node], kind: str, headless: bool, spec_node: Node | None,
           p: Problems) -> tuple[ServicePort, ...]:
    items = p.list_(spec.get("ports")) or []
    if not items and kind != "ExternalName" and not headless:
        p.missing(spec_node or p.doc, "ports")
        return ()
    ports: list[ServicePort] = []
    names: set[str] = set()
    keys: set[tuple[int, str]] = set()
    node_ports: set[tuple[int, str]] = set()
    for item in items:
        port = _port(item, kind, len(items) > 1, p)
        if port is None:
            continue
        fields = item.expect_map()
        if port.name is not None:
            if port.name in names:
                p.add(fields["name"], v.duplicate(port.name))
            names.add(port.name)
        if (port.port, port.protocol) in keys:
            p.add(fields["port"], f"duplicate value {port.port}/{port.protocol}")
        keys.add((port.port, port.protocol))
        if port.node_port is not None:
            if (port.node_port, port.protocol) in node_ports:
                p.add(fields["nodePort"], f"duplicate value {port.node_port}/{port.protocol}")
            node_ports.add((port.node_port, port.protocol))
        ports.append(port)
    return tuple(ports)


def _port(node: Node, kind: str, name_required: bool, p: Problems) -> ServicePort | None:
    fields = p.map_(node)
    if fields is None:
        return None
    before = len(p.errors)
    name = p.str_(fields.get("name")) or None
    if name is None and name_required:
        p.missing(node, "name")
    elif name is not None and (problem := v.dns1123_label(name)) is not None:
        p.add(fields["name"], f"invalid port name {quote(name)}: {problem}")
    number = p.int_(fields.get("port"))
    if number is None:
        if fields.get("port") is None or fields["port"].is_null():
            p.missing(node, "port")
    elif (problem := v.port_number(number)) is not None:
        p.add(fields["port"], f"invalid port {number}: {problem}")
    protocol = p.str_(fields.get("protocol")) or "TCP"
    if protocol not in v.PORT_NAME_PROTOCOLS:
        p.add(fields["protocol"], v.unsupported(protocol, v.PORT_NAME_PROTOCOLS))
    target = _target_port(fields.get("targetPort"), p)
    node_port = p.int_(fields.get("nodePort"))
    if node_port == 0:
        node_port = None  # 0 asks for one to be allocated, as absent does
    if node_port is not None:
        low, high = NODE_PORT_RANGE
        if kind not in _NODE_PORT_TYPES:
            p.add(fields["nodePort"], f"may not be used when `type` is '{kind}'")
        elif (problem := v.out_of_range("node port", node_port, low, high)) is not None:
            p.add(fields["nodePort"], f"{problem} (the default node-port range)")
    if len(p.errors) != before or number is None:
        return None
    return ServicePort(number, protocol, name, target, node_port, node.position)


def _target_port(node: Node | None, p: Problems) -> int | str | None:
    if node is None or node.is_null():
        return None
    raw = node.value
    number = v.as_integer(raw)
    if number is not None:
        if number == 0:
            return None  # the API server defaults 0 to the port, as absent
        if (problem := v.port_number(number)) is not None:
            p.add(node, f"invalid port {number}: {problem}")
        return number
    if isinstance(raw, str):
        if (problem := v.iana_svc_name(raw)) is not None:
            p.add(node, f"invalid port name {quote(raw)}: {problem}")
        return raw
    p.add(node, f"must be a port number or name, got {v.describe(raw)}")
    return None


def _selector(node: Node | None, kind: str,
              p: Problems) -> tuple[tuple[str, str], ...] | None:
    """The selector's labels; none (absent or ``{}``: the API stores both as unset) is None."""
    labels = parse_labels(node, p)
    if not labels or kind == "ExternalName":
        return None
    return tuple(sorted(labels.items()))


def _families(spec: dict[str, Node], ips: tuple[IPAddress, ...],
              p: Problems) -> tuple[str, ...]:
    families: list[str] = []
    for item in p.list_(spec.get("ipFamilies")) or []:
        family = p.str_(item)
        if family is None:
            continue
        if family not in _FAMILIES:
            p.add(item, v.unsupported(family, _FAMILIES))
        elif family in families:
            p.add(item, v.duplicate(family))
        else:
            families.append(family)
    policy = p.str_(spec.get("ipFamilyPolicy")) or "SingleStack"
    if policy not in _FAMILY_POLICIES:
        p.add(spec["ipFamilyPolicy"], v.unsupported(policy, _FAMILY_POLICIES))
    given = [f"IPv{ip.version}" for ip in ips]
    if families and given and families[:len(given)] != given:
        p.add(spec["ipFamilies"], "must match the families of clusterIPs "
                                  f"({', '.join(given)})")
    out = families or given or ["IPv4"]
    if policy == "SingleStack":
        if len(out) > 1:
            p.add(spec.get("ipFamilies") or spec["clusterIPs"],
                  "must hold one family when ipFamilyPolicy is SingleStack")
        return tuple(out[:1])
    if len(out) == 1:
        out.append("IPv6" if out[0] == "IPv4" else "IPv4")
    return tuple(out)


def _traffic_policy(spec: dict[str, Node], key: str, kind: str, p: Problems) -> str:
    value = p.str_(spec.get(key))
    external = key == "externalTrafficPolicy"
    if not value:
        return "Cluster" if external and kind in _NODE_PORT_TYPES else ""
    if value not in _POLICIES:
        p.add(spec[key], v.unsupported(value, _POLICIES))
        return ""
    if external and kind not in _NODE_PORT_TYPES:
        p.add(spec[key], "may only be set when `type` is 'NodePort' or 'LoadBalancer'")
    if kind == "ExternalName":
        p.add(spec[key], "may not be set when `type` is 'ExternalName'")
    return value


def _load_balancer_ips(status: Node | None, p: Problems) -> tuple[IPAddress, ...]:
    fields = p.map_(status) or {}
    lb = p.map_(fields.get("loadBalancer")) or {}
    ips: list[IPAddress] = []
    for item in p.list_(lb.get("ingress")) or []:
        entry = p.map_(item) or {}
        if entry.get("ip") is not None and (ip := _ip(entry["ip"], p)) is not None:
            ips.append(ip)
    return tuple(ips)


def _cidr(node: Node, p: Problems) -> IPNetwork | None:
    text = p.str_(node)
    if not text:
        return None
    try:
        net, warning = v.parse_cidr(text.strip())
    except v.AddressError as exc:
        p.add(node, f"invalid CIDR value {quote(text)}: {exc}")
        return None
    if warning is not None:
        p.warn(node, warning)
    return net


def _ip(node: Node, p: Problems) -> IPAddress | None:
    text = p.str_(node)
    return _ip_text(node, text, p) if text else None


def _ip_text(node: Node, text: str, p: Problems) -> IPAddress | None:
    try:
        ip, warning = v.parse_ip(text)
    except v.AddressError as exc:
        p.add(node, f"invalid IP address {quote(text)}: {exc}")
        return None
    if warning is not None:
        p.warn(node, warning)
    return ip


@register("discovery.k8s.io", "EndpointSlice")
def parse_endpoint_slice(doc: Node) -> list[object]:
    """An EndpointSlice: its Service (label ``kubernetes.io/service-name``), endpoints, ports."""
    p = Problems(doc)
    meta = parse_meta(doc, p, namespaced=True)
    type_node = doc.get("addressType")
    address_type = p.str_(type_node)
    if type_node is None or type_node.is_null():
        p.missing(doc, "addressType")
    elif address_type is not None and address_type not in _ADDRESS_TYPES:
        p.add(type_node, v.unsupported(address_type, _ADDRESS_TYPES))
        address_type = None
    endpoints = [e for item in p.list_(doc.get("endpoints")) or []
                 if (e := _slice_endpoint(item, address_type, p)) is not None]
    ports = [port for item in p.list_(doc.get("ports")) or []
             if (port := _slice_port(item, p)) is not None]
    p.check()
    assert meta is not None and address_type is not None
    service = meta.labels.get(SERVICE_NAME_LABEL) or None
    if service is None:
        _warn(p, doc, f"EndpointSlice {meta.namespace}/{meta.name} has no "
                    f"{SERVICE_NAME_LABEL} label, so no Service forwards to it; ignored")
    if address_type == "FQDN":
        _warn(p, doc, f"EndpointSlice {meta.namespace}/{meta.name} holds FQDN endpoints, "
                    "which kube-proxy does not forward to; ignored")
    return [EndpointSlice(meta, address_type, service, tuple(endpoints), tuple(ports)),
            *p.notes]


def _warn(p: Problems, doc: Node, text: str) -> None:
    """A warning about the whole object (no field path)."""
    p.notes.append(Note(doc.position, text, warning=True))


def _slice_endpoint(node: Node, address_type: str | None, p: Problems) -> SliceEndpoint | None:
    fields = p.map_(node)
    if fields is None:
        return None
    before = len(p.errors)
    addresses_node = fields.get("addresses")
    items = p.list_(addresses_node)
    if not items:
        if addresses_node is None or addresses_node.is_null() or items == []:
            p.add(addresses_node or node, "must have at least one address",
                  node.child_path("addresses"))
        items = []
    elif len(items) > 100:
        p.add(fields["addresses"], f"must have at most 100 addresses, got {len(items)}")
    addresses: list[IPAddress] = []
    for item in items:
        text = p.str_(item)
        if not text or address_type in (None, "FQDN"):
            continue
        ip = _ip_text(item, text, p)
        if ip is not None and f"IPv{ip.version}" != address_type:
            p.add(item, f"invalid IP address {quote(text)}: must be an {address_type} "
                        "address (addressType)")
        elif ip is not None:
            addresses.append(ip)
    conditions = p.map_(fields.get("conditions")) or {}
    ready = p.bool_(conditions.get("ready"))
    ref = p.map_(fields.get("targetRef")) or {}
    node_name = p.str_(fields.get("nodeName")) or None
    if len(p.errors) != before:
        return None
    return SliceEndpoint(tuple(addresses), ready, p.str_(ref.get("kind")) or None,
                         p.str_(ref.get("namespace")) or None, p.str_(ref.get("name")) or None,
                         node_name, node.position)


def _slice_port(node: Node, p: Problems) -> SlicePort | None:
    fields = p.map_(node)
    if fields is None:
        return None
    before = len(p.errors)
    name = p.str_(fields.get("name")) or ""
    if name and (problem := v.dns1123_label(name)) is not None:
        p.add(fields["name"], f"invalid port name {quote(name)}: {problem}")
    number = p.int_(fields.get("port"))
    if number is not None and (problem := v.port_number(number)) is not None:
        p.add(fields["port"], f"invalid port {number}: {problem}")
    protocol = p.str_(fields.get("protocol")) or "TCP"
    if protocol not in v.PORT_NAME_PROTOCOLS:
        p.add(fields["protocol"], v.unsupported(protocol, v.PORT_NAME_PROTOCOLS))
    if len(p.errors) != before:
        return None
    return SlicePort(name, number, protocol)
