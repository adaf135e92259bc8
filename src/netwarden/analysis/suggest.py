"""Least-privilege policies from recorded flows: one per workload and direction.

``suggestion(cluster, flows)`` turns the allowed flows (all of them with
``include_denied``) into one NetworkPolicy per workload and direction, plus a default
deny per namespace: peers by stable labels (``suggest_labels``), namespaces by
``kubernetes.io/metadata.name``, ports as observed (by name where the destination pod
declares one), outside addresses as ipBlocks merged to a prefix length, DNS to kube-dns
on UDP and TCP 53 for pods that resolved names. ``suggest`` gives only the manifests.
``verify`` (in ``suggest_verify``) checks a suggestion with the engine and lint before
it is written.

Output is deterministic: names ``suggested-<workload>-ingress|egress`` and
``suggested-default-deny``, rules, peers and ports in sorted order.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..ir import Cluster, Endpoint, EndpointKind
from ..ir.services import protocol_number
from .flow_verdicts import FlowVerdicts, Unplaced
from .flows import Flow, FlowCount, FlowEnd
from .suggest_labels import BarePodGroup, Selection, bare_pod_groups, choose_selector

__all__ = ["MANAGED_BY", "SuggestOptions", "Suggestion", "suggest", "suggestion"]

MANAGED_BY = {"app.kubernetes.io/managed-by": "netwarden-suggest"}
DNS_PORT = 53
KUBE_DNS = ("k8s-app", "kube-dns")
PORT_PROTOCOLS = ("TCP", "UDP", "SCTP")
DNS_PORTS: tuple[PortKey, ...] = (("TCP", DNS_PORT), ("UDP", DNS_PORT))

# A peer: ("pod", namespace, matchLabels), ("ns", namespace, ()) for every pod of a
# namespace, or ("net", cidr, ())
PeerKey = tuple[str, str, tuple[tuple[str, str], ...]]
PortKey = tuple[str, int | str | None]     # (protocol, port or port name; None: ICMP)


@dataclass(frozen=True, slots=True)
class SuggestOptions:
    format: str = "k8s"                 # "k8s" or "calico"
    prefix_length: int = 32             # IPv4 ipBlocks
    prefix_length_v6: int = 128
    include_denied: bool = False        # also allow the flows that were denied

    def __post_init__(self) -> None:
        if self.format not in ("k8s", "calico"):
            raise ValueError(f"format {self.format!r}: k8s or calico")
        if not 0 <= self.prefix_length <= 32 or not 0 <= self.prefix_length_v6 <= 128:
            raise ValueError("prefix length: 0-32 for IPv4, 0-128 for IPv6")


@dataclass(frozen=True, slots=True)
class Suggestion:
    """The manifests, the flows they were made from, and what the user must know."""

    manifests: tuple[dict[str, Any], ...]
    used: tuple[Flow, ...]               # the flows they allow (one a connection when counted)
    warnings: tuple[str, ...] = ()
    skipped: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()          # what was decided that the user should know
    flows_used: int = 0                  # the flows of ``used``, counted as recorded


@dataclass(slots=True)
class _Unit:
    """A workload (or a bare pod): the subject of one policy per direction."""

    namespace: str
    name: str
    selection: Selection
    ingress: dict[PeerKey, set[PortKey]] = field(default_factory=lambda: defaultdict(set))
    egress: dict[PeerKey, set[PortKey]] = field(default_factory=lambda: defaultdict(set))


def suggest(cluster: Cluster, flows: Iterable[Flow], **options: Any) -> list[dict[str, Any]]:
    """The manifests suggested for ``flows`` (see ``suggestion`` and ``SuggestOptions``)."""
    return list(suggestion(cluster, flows, SuggestOptions(**options)).manifests)


def _unit_id(endpoint: Endpoint) -> str:
    return f"{endpoint.namespace}/{endpoint.workload or endpoint.name}"


def _dns_label(value: str) -> str:
    """A label value as part of a policy name: lower case, ``_`` as ``-``.

    >>> _dns_label("Web_Front.v2")
    'web-front.v2'
    """
    return value.lower().replace("_", "-")


class _Builder:
    def __init__(self, cluster: Cluster, options: SuggestOptions) -> None:
        self.cluster = cluster
        self.options = options
        self.verdicts = FlowVerdicts(cluster)
        self.warnings: list[str] = []
        self.skipped: dict[str, int] = defaultdict(int)
        pods = [e for e in cluster.endpoints
                if e.kind is EndpointKind.POD and e.namespace is not None]
        self.groups = {g.id: g for g in bare_pod_groups(pods)}
        self.unit_of = {e.key: _unit_id(e) for e in pods}
        self.unit_of.update({key: g.id for g in self.groups.values() for key in g.pods})
        members: dict[str, list[Endpoint]] = defaultdict(list)
        by_namespace: dict[str, list[Endpoint]] = defaultdict(list)
        for e in pods:
            members[self.unit_of[e.key]].append(e)
            by_namespace[str(e.namespace)].append(e)
        self.members = members
        self.by_namespace = by_namespace
        self.units: dict[str, _Unit] = {}
        self.dns_peers: set[PeerKey] = set()   # kube-dns as peers resolved names from

    def unit(self, endpoint: Endpoint) -> _Unit:
        uid = self.unit_of[endpoint.key]
        found = self.units.get(uid)
        if found is None:
            pods = self.members[uid]
            others = [e.labels for e in self.by_namespace[str(endpoint.namespace)]
                      if self.unit_of[e.key] != uid]
            selection = choose_selector([p.labels for p in pods], others, uid)
            if selection.warning:
                self.warnings.append(selection.warning)
            group = self.groups.get(uid)
            name = _dns_label(group.value) if group is not None else \
                (endpoint.workload or endpoint.name).rpartition("/")[2].lower()
            found = _Unit(str(endpoint.namespace), name, selection)
            self.units[uid] = found
        return found

    def net(self, address: str) -> PeerKey:
        ip = ipaddress.ip_address(address)
        length = self.options.prefix_length if ip.version == 4 else self.options.prefix_length_v6
        return ("net", str(ipaddress.ip_network(f"{ip}/{length}", strict=False)), ())

    def peer(self, end: FlowEnd, placed: Endpoint | Unplaced) -> PeerKey | None:
        if isinstance(placed, Endpoint) and placed.kind is EndpointKind.POD:
            selection = self.unit(placed).selection
            return ("pod", str(placed.namespace), selection.labels) if selection.labels else None
        if end.pod is not None:  # a pod outside the manifests: its recorded labels
            selection = choose_selector([end.label_map], [], str(end.key))
            if not selection.labels:
                return None
            return ("pod", str(end.namespace), selection.labels)
        return self.net(str(end.address))

    def ports(self, flow: Flow, destination: Endpoint | Unplaced) -> set[PortKey]:
        port = flow.destination.port
        if flow.protocol not in PORT_PROTOCOLS or port is None:
            return {(flow.protocol, None)}
        if _is_dns(flow) and port == DNS_PORT:
            return set(DNS_PORTS)
        if isinstance(destination, Endpoint):
            proto = protocol_number(flow.protocol)
            for named in destination.ports:
                if named.name and named.port == port and named.protocol == proto:
                    return {(flow.protocol, named.name)}
        return {(flow.protocol, port)}

    def same_as(self, flow: Flow) -> tuple[object, ...] | None:
        """What ``add`` reads of a flow from a pod of the manifests (None for another source):
        its unit (every pod of it gets the same rules), the destination, protocol, port and
        whether it is DNS."""
        src = self.verdicts.place(flow.source)
        if not isinstance(src, Endpoint) or src.key not in self.unit_of:
            return None
        dst = self.verdicts.place(flow.destination)
        far: object = dst.key if isinstance(dst, Endpoint) and dst.key in self.unit_of \
            else flow.destination
        return (self.unit_of[src.key], src.is_policed, far, flow.protocol,
                flow.destination.port, _is_dns(flow))

    def add(self, flow: Flow, count: int) -> bool:
        src, dst = self.verdicts.place(flow.source), self.verdicts.place(flow.destination)
        if flow.protocol not in PORT_PROTOCOLS and self.options.format == "k8s":
            self.skipped[f"{flow.protocol} (NetworkPolicy cannot name it; --format calico)"] \
                += count
            return False
        ports = self.ports(flow, dst)
        added = False
        if isinstance(src, Endpoint) and src.kind is EndpointKind.POD and src.is_policed:
            peer = self.peer(flow.destination, dst)
            if peer is not None and peer[0] == "pod" and _is_dns(flow) \
                    and flow.destination.port == DNS_PORT:
                self.dns_peers.add(peer)
            if peer is not None and self.unit(src).selection.labels:
                self.unit(src).egress[peer] |= ports
                added = True
        if isinstance(dst, Endpoint) and dst.kind is EndpointKind.POD and dst.is_policed:
            peer = self.peer(flow.source, src)
            if peer is not None and self.unit(dst).selection.labels:
                self.unit(dst).ingress[peer] |= ports
                added = True
        if not added:
            self.skipped["flows with no workload of the manifests at either end"] += count
        return added


def _is_dns(flow: Flow) -> bool:
    service = flow.service
    return (dict(flow.destination.labels).get(KUBE_DNS[0]) == KUBE_DNS[1]
            or (service is not None and service.name == "kube-dns"))


def suggestion(cluster: Cluster, flows: Iterable[Flow | FlowCount],
               options: SuggestOptions | None = None) -> Suggestion:
    """Policies allowing exactly the observed flows' workloads, peers and ports.

    ``flows`` may be counted (``FlowCount``, as ``read_flow_counts`` gives them): each
    connection is looked at once.
    """
    options = options or SuggestOptions()
    builder = _Builder(cluster, options)
    used: list[Flow] = []
    added: set[tuple[object, ...]] = set()
    flows_used = 0
    for item in flows:
        flow, count = (item.flow, item.count) if isinstance(item, FlowCount) else (item, 1)
        if not flow.allowed and not options.include_denied:
            builder.skipped["denied flows (--include-denied to allow them)"] += count
            continue
        # adding is idempotent: a flow that adds what an earlier one added is only counted
        key = builder.same_as(flow)
        if (key is not None and key in added) or builder.add(flow, count):
            if key is not None:
                added.add(key)
            used.append(flow)
            flows_used += count
    namespaces = sorted({e.namespace for e in cluster.endpoints
                         if e.kind is EndpointKind.POD and e.namespace})
    dns_servers = {e.namespace: e.key for e in cluster.endpoints
                   if e.kind is EndpointKind.POD and e.labels.get(KUBE_DNS[0]) == KUBE_DNS[1]}
    if builder.dns_peers:
        # every pod of a default-denied namespace may resolve names: the DNS server admits it
        for server in cluster.endpoints:
            if server.kind is EndpointKind.POD and server.labels.get(KUBE_DNS[0]) == KUBE_DNS[1]:
                unit = builder.unit(server)
                for namespace in namespaces:
                    if namespace not in dns_servers:
                        unit.ingress[("ns", namespace, ())] |= set(DNS_PORTS)
    render = _calico if options.format == "calico" else _k8s
    manifests: list[dict[str, Any]] = []
    _disambiguate(builder.units, builder.groups)
    notes = []
    for uid in sorted(builder.units):
        unit = builder.units[uid]
        written = len(manifests)
        for direction in ("ingress", "egress"):
            rules = _rules(getattr(unit, direction))
            if rules:
                manifests.append(render.policy(unit, direction, rules))
        group = builder.groups.get(uid)
        if group is not None and len(manifests) > written:
            notes.append(f"{group.namespace}: {len(group.pods)} bare pods labelled "
                         f"{group.key}={group.value} are one workload (suggested-{unit.name}-*):"
                         " each is allowed what any of them was seen doing")
    blocked = {u.namespace for u in builder.units.values() if not u.selection.labels}
    dns = builder.dns_peers
    for namespace in namespaces:
        if namespace in blocked:
            builder.warnings.append(f"{namespace}: no default deny suggested, since a pod of it "
                                    "cannot be selected by a stable label")
        elif namespace in dns_servers:
            builder.warnings.append(
                f"{namespace}: no default deny suggested: it runs the cluster's DNS server "
                f"({dns_servers[namespace]}), whose traffic to upstream servers the flows "
                "do not show")
        else:
            manifests.append(render.default_deny(namespace, sorted(dns, key=_peer_order)))
    return Suggestion(tuple(manifests), tuple(used), tuple(builder.warnings),
                      dict(builder.skipped), tuple(notes), flows_used)


def _disambiguate(units: dict[str, _Unit], groups: dict[str, BarePodGroup]) -> None:
    """Units of one namespace whose names clash get their kind appended (``web-deployment``,
    ``web-statefulset``, ``web-pod``, ``web-pods`` for a group), then a number."""
    by_name: dict[tuple[str, str], list[str]] = defaultdict(list)
    for uid in sorted(units):
        by_name[(units[uid].namespace, units[uid].name)].append(uid)
    taken = set(by_name)
    for (namespace, name), uids in by_name.items():
        if len(uids) == 1:
            continue
        for uid in uids:
            parts = uid.split("/")
            kind = "pods" if uid in groups else parts[1].lower() if len(parts) == 3 else "pod"
            new, n = f"{name}-{kind}", 2
            while (namespace, new) in taken:
                new, n = f"{name}-{kind}-{n}", n + 1
            taken.add((namespace, new))
            units[uid].name = new


def _port_order(port: PortKey) -> tuple[str, int, str]:
    proto, value = port
    return (proto, value if isinstance(value, int) else -1, str(value or ""))


def _peer_order(peer: PeerKey) -> tuple[int, str, str]:
    if peer[0] == "ns":
        return (-1, peer[1], "")
    if peer[0] == "pod":
        return (0, peer[1], repr(peer[2]))
    net = ipaddress.ip_network(peer[1])
    return (net.version, f"{int(net.network_address):040d}", str(net.prefixlen))


def _rules(peers: dict[PeerKey, set[PortKey]]) -> list[tuple[list[PeerKey], list[PortKey]]]:
    """Peers with equal ports share a rule; networks with equal ports are merged."""
    by_ports: dict[tuple[PortKey, ...], list[PeerKey]] = defaultdict(list)
    for peer, ports in peers.items():
        by_ports[tuple(sorted(ports, key=_port_order))].append(peer)
    rules = []
    for port_keys, members in by_ports.items():
        whole = {p[1] for p in members if p[0] == "ns"}   # a namespace's every pod
        pods = [p for p in members if p[0] == "ns" or (p[0] == "pod" and p[1] not in whole)]
        nets = [p[1] for p in members if p[0] == "net"]
        v4 = [ipaddress.IPv4Network(n) for n in nets if ":" not in n]
        v6 = [ipaddress.IPv6Network(n) for n in nets if ":" in n]
        merged: list[PeerKey] = [("net", str(n), ()) for n in ipaddress.collapse_addresses(v4)]
        merged += [("net", str(n), ()) for n in ipaddress.collapse_addresses(v6)]
        rules.append((sorted(pods + merged, key=_peer_order), list(port_keys)))
    return sorted(rules, key=lambda r: (_peer_order(r[0][0]), [_port_order(p) for p in r[1]]))


def _metadata(name: str, namespace: str) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": dict(MANAGED_BY)}


class _k8s:
    @staticmethod
    def peer(peer: PeerKey, namespace: str) -> dict[str, Any]:
        if peer[0] == "net":
            return {"ipBlock": {"cidr": peer[1]}}
        if peer[0] == "ns":
            return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": peer[1]}}}
        out: dict[str, Any] = {"podSelector": {"matchLabels": dict(peer[2])}}
        if peer[1] != namespace:
            out["namespaceSelector"] = {"matchLabels": {"kubernetes.io/metadata.name": peer[1]}}
        return out

    @staticmethod
    def policy(unit: _Unit, direction: str,
               rules: list[tuple[list[PeerKey], list[PortKey]]]) -> dict[str, Any]:
        side = "from" if direction == "ingress" else "to"
        body = []
        for peers, ports in rules:
            rule: dict[str, Any] = {side: [_k8s.peer(p, unit.namespace) for p in peers]}
            rule["ports"] = [{"protocol": proto, "port": value} for proto, value in ports]
            body.append(rule)
        return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": _metadata(f"suggested-{unit.name}-{direction}", unit.namespace),
                "spec": {"podSelector": {"matchLabels": dict(unit.selection.labels)},
                         "policyTypes": [direction.capitalize()], direction: body}}

    @staticmethod
    def default_deny(namespace: str, dns: list[PeerKey]) -> dict[str, Any]:
        spec: dict[str, Any] = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        if dns:
            spec["egress"] = [{"to": [_k8s.peer(p, namespace) for p in dns],
                               "ports": [{"protocol": proto, "port": port}
                                         for proto, port in DNS_PORTS]}]
        return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": _metadata("suggested-default-deny", namespace), "spec": spec}


def _calico_selector(labels: Iterable[tuple[str, str]]) -> str:
    return " && ".join(f"{k} == '{v}'" for k, v in labels)


class _calico:
    @staticmethod
    def policy(unit: _Unit, direction: str,
               rules: list[tuple[list[PeerKey], list[PortKey]]]) -> dict[str, Any]:
        side = "source" if direction == "ingress" else "destination"
        body = []
        for peers, ports in rules:
            protocols = sorted({proto for proto, _ in ports})
            for proto in protocols:
                values = [v for p, v in ports if p == proto]
                body += [_calico.rule(peer, unit.namespace, side, proto, values)
                         for peer in peers]
        return {"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
                "metadata": _metadata(f"suggested-{unit.name}-{direction}", unit.namespace),
                "spec": {"selector": _calico_selector(unit.selection.labels),
                         "types": [direction.capitalize()], direction: body}}

    @staticmethod
    def default_deny(namespace: str, dns: list[PeerKey]) -> dict[str, Any]:
        spec: dict[str, Any] = {"selector": "all()", "types": ["Ingress", "Egress"]}
        if dns:
            spec["egress"] = [_calico.rule(peer, namespace, "destination", proto, [port])
                              for peer in dns for proto, port in DNS_PORTS]
        return {"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
                "metadata": _metadata("suggested-default-deny", namespace), "spec": spec}

    @staticmethod
    def rule(peer: PeerKey, namespace: str, side: str, proto: str,
             values: list[int | str | None]) -> dict[str, Any]:
        rule: dict[str, Any] = {"action": "Allow", "protocol": proto}
        entity: dict[str, Any] = {}
        if peer[0] == "net":
            entity["nets"] = [peer[1]]
        elif peer[0] == "ns":
            entity["namespaceSelector"] = f"kubernetes.io/metadata.name == '{peer[1]}'"
        else:
            entity["selector"] = _calico_selector(peer[2])
            if peer[1] != namespace:
                entity["namespaceSelector"] = f"kubernetes.io/metadata.name == '{peer[1]}'"
        rule[side] = entity
        ports = [v for v in values if v is not None]
        if ports:
            rule["destination"] = {**rule.get("destination", {}), "ports": ports}
        return rule

