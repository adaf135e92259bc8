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
from dataclasses import dataclass, field, replace
from typing import Any

from ..ir import Cluster, Endpoint, EndpointKind
from ..ir.services import protocol_number
from .flow_verdicts import FlowVerdicts, Unplaced
from .flows import Flow, FlowEnd
from .suggest_labels import Selection, choose_selector

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
    used: tuple[Flow, ...]
    warnings: tuple[str, ...] = ()
    skipped: dict[str, int] = field(default_factory=dict)


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


class _Builder:
    def __init__(self, cluster: Cluster, options: SuggestOptions) -> None:
        self.cluster = cluster
        self.options = options
        self.verdicts = FlowVerdicts(cluster)
        self.warnings: list[str] = []
        self.skipped: dict[str, int] = defaultdict(int)
        members: dict[str, list[Endpoint]] = defaultdict(list)
        for e in cluster.endpoints:
            if e.kind is EndpointKind.POD and e.namespace is not None:
                members[_unit_id(e)].append(e)
        self.members = members
        self.units: dict[str, _Unit] = {}
        self.dns_peers: set[PeerKey] = set()   # kube-dns as peers resolved names from

    def unit(self, endpoint: Endpoint) -> _Unit:
        uid = _unit_id(endpoint)
        found = self.units.get(uid)
        if found is None:
            pods = self.members[uid]
            others = [e.labels for e in self.cluster.endpoints
                      if e.kind is EndpointKind.POD and e.namespace == endpoint.namespace
                      and _unit_id(e) != uid]
            selection = choose_selector([p.labels for p in pods], others, uid)
            if selection.warning:
                self.warnings.append(selection.warning)
            name = (endpoint.workload or endpoint.name).rpartition("/")[2].lower()
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

    def add(self, flow: Flow) -> bool:
        src, dst = self.verdicts.place(flow.source), self.verdicts.place(flow.destination)
        if flow.protocol not in PORT_PROTOCOLS and self.options.format == "k8s":
            self.skipped[f"{flow.protocol} (NetworkPolicy cannot name it; --format calico)"] += 1
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
            self.skipped["flows with no workload of the manifests at either end"] += 1
        return added


def _is_dns(flow: Flow) -> bool:
    service = flow.service
    return (dict(flow.destination.labels).get(KUBE_DNS[0]) == KUBE_DNS[1]
            or (service is not None and service.name == "kube-dns"))


def suggestion(cluster: Cluster, flows: Iterable[Flow],
               options: SuggestOptions | None = None) -> Suggestion:
    """Policies allowing exactly the observed flows' workloads, peers and ports."""
    options = options or SuggestOptions()
    builder = _Builder(cluster, options)
    used: list[Flow] = []
    seen: set[Flow] = set()
    for flow in flows:
        if not flow.allowed and not options.include_denied:
            builder.skipped["denied flows (--include-denied to allow them)"] += 1
            continue
        key = _dedupe_key(flow)
        if key in seen:
            used.append(flow)
            continue
        if builder.add(flow):
            seen.add(key)
            used.append(flow)
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
    for uid in sorted(builder.units):
        unit = builder.units[uid]
        for direction in ("ingress", "egress"):
            rules = _rules(getattr(unit, direction))
            if rules:
                manifests.append(render.policy(unit, direction, rules))
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
                      dict(builder.skipped))


def _dedupe_key(flow: Flow) -> Flow:
    """The same connection again (other time, other source port) adds nothing."""
    return replace(flow, time="", source=replace(flow.source, port=None), decision=None,
                   staged=None)


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

