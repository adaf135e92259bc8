"""What a lab is made of: its nodes, pods and hosts, their names and addresses.

``plan`` decides everything a lab will be, without touching the kernel (so it is
testable without root); ``wiring.build`` then makes it real. Calico-style routed
pods: every pod (and every external ``LabHost``) is its own network namespace
with ``eth0`` holding its addresses as /32 and /128 and a default route via the
link-local gateways 169.254.1.1 and fe80::1. The node namespace answers for both
(169.254.1.1 sits on its ``lo``, fe80::1 on each pod veth), routes each pod's
/32 and /128 to that pod's veth and forwards. Several nodes are joined by a full
mesh of veth pairs; a route to a remote pod uses the peer node's IPv6 link-local
address as next hop, so the underlay needs no addresses of its own.

Each node has an address of its own (``LabNode.ips``): the cluster's
(``Cluster.node_addresses``, as the engine uses for NodePorts and SNAT). When the
cluster has Services that take traffic from outside (NodePort, LoadBalancer,
external IPs), that address lives in the node's *edge* namespace
(``<prefix>-n<i>e``, behind the node's veth ``<prefix>e<i>``), where those
frontends are DNATed and, for ``externalTrafficPolicy: Cluster``,
source-NATed to the node address before the packet comes back into the node
namespace, so the policy there judges the address the backend really sees.
nftables can only source-NAT after the forward hook of its own namespace;
the extra hop puts the SNAT before policy, as a remote node's SNAT is.

With a ``dns`` zone (the lab's cluster DNS, ``netwarden.lab.dns``) the pods'
resolvers name the kube-dns ClusterIPs (``Topology.nameservers``). The lab's
state file (``write_state``/``read_state``) holds the topology as JSON, so
another process can reattach to the lab.
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import json
import os
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import yaml

from .._errors import LabError
from ..compile.felix import FAILSAFE_INBOUND
from ..ir import Cluster, Endpoint, EndpointKind, IPAddress, NamedPort
from ..ir.services import TCP, UDP, protocol_number
from . import _ns
from .dns import DNS_SERVICE, Zone, zone_for

__all__ = [
    "DEFAULT_PORTS",
    "GATEWAY4",
    "GATEWAY6",
    "STATE_DIR",
    "Attachment",
    "LabHost",
    "LabNode",
    "Topology",
    "new_lab_id",
    "parse_host_arg",
    "parse_lab_hosts",
    "plan",
    "read_state",
    "state_path",
    "write_state",
]

STATE_DIR = "/run/netwarden/labs"
NETNS_ETC = "/etc/netns"  # ip netns exec bind-mounts /etc/netns/<name>/* over /etc/*
NODE_NETWORK = ipaddress.IPv4Network("172.18.0.0/16")  # node addresses, as kind's network
GATEWAY4 = "169.254.1.1"
GATEWAY6 = "fe80::1"
# Ports served by pods that declare none: the usual web, database and cache ports.
DEFAULT_PORTS: tuple[tuple[int, int], ...] = tuple(
    (port, proto) for port in (80, 443, 5432, 3306, 6379, 8080) for proto in (TCP, UDP)
)

POD, HOST, HOSTNET, HEP = "pod", "host", "hostnet", "hep"
IN_NODE = frozenset((HOSTNET, HEP))  # attachments living in their node's namespace
_IFNAME = re.compile(r"^[A-Za-z0-9_.\-]{1,15}$")


@dataclass(frozen=True, slots=True)
class LabHost:
    """A machine outside the cluster (for ipBlock peers), e.g. a backup server."""

    name: str
    ips: tuple[IPAddress, ...]
    ports: tuple[NamedPort, ...] = ()
    node: str | None = None


def parse_lab_hosts(texts: Iterable[str]) -> tuple[LabHost, ...]:
    """``kind: LabHost`` documents (apiVersion ``netwarden.dev/v1``) from YAML texts.

    >>> parse_lab_hosts(['''
    ... apiVersion: netwarden.dev/v1
    ... kind: LabHost
    ... metadata: {name: backup}
    ... spec: {ip: 192.168.5.10, ports: [{port: 873, protocol: TCP}]}
    ... '''])[0].ips
    (IPv4Address('192.168.5.10'),)
    """
    hosts: list[LabHost] = []
    for text in texts:
        for doc in yaml.safe_load_all(text):
            if not isinstance(doc, dict) or doc.get("kind") != "LabHost":
                continue
            if doc.get("apiVersion") != "netwarden.dev/v1":
                raise LabError("LabHost needs apiVersion netwarden.dev/v1, "
                               f"not {doc.get('apiVersion')}")
            name = (doc.get("metadata") or {}).get("name")
            spec = doc.get("spec") or {}
            if not name:
                raise LabError("LabHost without metadata.name")
            raw = list(spec.get("ips") or []) + ([spec["ip"]] if spec.get("ip") else [])
            try:
                ips = tuple(ipaddress.ip_address(str(ip)) for ip in raw)
                ports = tuple(
                    NamedPort(int(p["port"]), protocol_number(str(p.get("protocol", "TCP"))),
                              p.get("name"))
                    for p in spec.get("ports") or []
                )
            except (ValueError, KeyError, TypeError) as e:
                raise LabError(f"LabHost {name}: {e}") from None
            if not ips:
                raise LabError(f"LabHost {name} has no spec.ip or spec.ips")
            hosts.append(LabHost(str(name), ips, ports, spec.get("node")))
    return tuple(hosts)


def parse_host_arg(text: str) -> LabHost:
    """``name=ip[,ip...][@node]`` as given to ``--host``.

    >>> parse_host_arg("kube-01=192.168.2.1@kube-02").node
    'kube-02'
    """
    name, sep, rest = text.partition("=")
    if not sep or not name:
        raise LabError(f"--host wants name=ip[@node], not {text!r}")
    ips, _, node = rest.partition("@")
    try:
        return LabHost(name, tuple(ipaddress.ip_address(i) for i in ips.split(",")),
                       node=node or None)
    except ValueError as e:
        raise LabError(f"--host {text}: {e}") from None


@dataclass(frozen=True, slots=True)
class LabNode:
    """A node namespace; ``uplinks`` are the named host endpoint interfaces it gets."""

    name: str
    index: int
    netns: str
    uplinks: tuple[str, ...] = ()
    ips: tuple[IPAddress, ...] = ()
    edge: str | None = None  # the namespace holding ``ips`` and the external frontends

    @property
    def edge_veth(self) -> str:
        """The node-side veth towards the edge namespace (``<prefix>e<index>``)."""
        return self.netns.rsplit("-", 1)[0] + f"e{self.index}"


@dataclass(frozen=True, slots=True)
class Attachment:
    """One thing that answers probes: a pod, an external host or a host-network pod."""

    key: str
    kind: str
    node: str
    netns: str
    veth: str | None
    ips: tuple[IPAddress, ...]
    ports: tuple[tuple[int, int], ...]

    def ip(self, family: int | None = None) -> IPAddress | None:
        for ip in self.ips:
            if family is None or ip.version == family:
                return ip
        return None


@dataclass(frozen=True, slots=True)
class Topology:
    id: str
    nodes: tuple[LabNode, ...]
    attachments: tuple[Attachment, ...]
    dns: Zone | None = None
    nameservers: tuple[str, ...] = ()  # what pods' resolv.conf names (kube-dns ClusterIPs)
    dns_servers: tuple[str, ...] = ()  # keys of the pods that answer DNS on port 53
    # LoadBalancer ingress addresses and external IPs: every node routes them to its edge,
    # which holds them, as a load balancer (or the network) hands them to a node
    entry_ips: tuple[IPAddress, ...] = ()
    by_key: dict[str, Attachment] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_key.update({a.key: a for a in self.attachments})

    @property
    def prefix(self) -> str:
        return f"nw{self.id}"

    @property
    def netns_names(self) -> tuple[str, ...]:
        return tuple(n.netns for n in self.nodes) + tuple(
            n.edge for n in self.nodes if n.edge) + tuple(
            a.netns for a in self.attachments if a.kind not in IN_NODE
        )

    @property
    def resolv_dirs(self) -> tuple[str, ...]:
        """``/etc/netns/<netns>`` of every pod whose resolver the lab sets."""
        if not self.nameservers:
            return ()
        return tuple(os.path.join(NETNS_ETC, a.netns) for a in self.attachments
                     if a.kind == POD)

    def node(self, name: str) -> LabNode:
        for n in self.nodes:
            if name in (n.name, f"n{n.index}", n.netns):
                return n
        raise LabError(f"lab {self.id} has no node {name!r}")

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "nodes": [[n.name, n.index, n.netns, list(n.uplinks), [str(i) for i in n.ips],
                       n.edge] for n in self.nodes],
            "dns": self.dns.to_json() if self.dns else None,
            "nameservers": list(self.nameservers),
            "dns_servers": list(self.dns_servers),
            "entry_ips": [str(i) for i in self.entry_ips],
            "attachments": [
                {"key": a.key, "kind": a.kind, "node": a.node, "netns": a.netns, "veth": a.veth,
                 "ips": [str(i) for i in a.ips], "ports": [list(p) for p in a.ports]}
                for a in self.attachments
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Topology:
        nodes = tuple(LabNode(str(n[0]), int(n[1]), str(n[2]),
                              tuple(n[3]) if len(n) > 3 else (),
                              tuple(ipaddress.ip_address(i) for i in n[4]) if len(n) > 4 else (),
                              n[5] if len(n) > 5 else None)
                      for n in data["nodes"])  # type: ignore[attr-defined]
        atts = tuple(
            Attachment(a["key"], a["kind"], a["node"], a["netns"], a["veth"],
                       tuple(ipaddress.ip_address(i) for i in a["ips"]),
                       tuple((int(p), int(q)) for p, q in a["ports"]))
            for a in data["attachments"]  # type: ignore[attr-defined]
        )
        dns = data.get("dns")
        return cls(str(data["id"]), nodes, atts,
                   Zone.from_json(dns) if isinstance(dns, dict) else None,
                   tuple(data.get("nameservers") or ()),  # type: ignore[arg-type]
                   tuple(data.get("dns_servers") or ()),  # type: ignore[arg-type]
                   tuple(ipaddress.ip_address(i)
                         for i in data.get("entry_ips") or ()))  # type: ignore[attr-defined]


def new_lab_id() -> str:
    """4 hex digits not used by a state file or a namespace on this machine."""
    taken = {n[2:6] for n in _ns.list_netns() if _ns.LAB_NETNS_RE.match(n)}
    if os.path.isdir(STATE_DIR):
        taken.update(f.split(".")[0] for f in os.listdir(STATE_DIR))
    for _ in range(1000):
        lab_id = secrets.token_hex(2)
        if lab_id not in taken:
            return lab_id
    raise LabError("no free lab id")


def _ports(ports: Sequence[NamedPort]) -> tuple[tuple[int, int], ...]:
    """Declared ports are served on TCP and UDP both, so a protocol-only rule is tested."""
    if not ports:
        return DEFAULT_PORTS
    out: set[tuple[int, int]] = set()
    for p in ports:
        out.add((p.port, p.protocol))
        if p.protocol in (TCP, UDP):
            out.update({(p.port, TCP), (p.port, UDP)})
    return tuple(sorted(out))


def _hep_ports(ports: Sequence[NamedPort]) -> tuple[tuple[int, int], ...]:
    """A host endpoint serves its ports (or the defaults) plus Felix's inbound failsafe
    ports, so that a probe of a failsafe port reaches a listener."""
    failsafe = {(p, proto) for proto, numbers in FAILSAFE_INBOUND for p in numbers}
    return tuple(sorted(set(_ports(ports)) | failsafe))


def _uplink(e: Endpoint) -> str | None:
    """The node interface a host endpoint's addresses go on (None: ``lo``)."""
    name = e.interface or "*"
    if name in ("*", "lo"):
        return None
    if not _IFNAME.match(name) or name.startswith("nw"):
        raise LabError(f"host endpoint {e.key}: the lab cannot create interface {name!r}")
    return name


def _node_names(cluster: Cluster, nodes: int) -> tuple[list[str], list[str]]:
    """(nodes pods may be spread on, nodes only host endpoints need)."""
    pods = [e for e in cluster.endpoints if e.kind is EndpointKind.POD]
    names = sorted({e.node for e in pods if e.node})
    k = 1
    while len(names) < nodes:
        if f"node-{k}" not in names:
            names.append(f"node-{k}")
        k += 1
    heps = sorted({e.node for e in cluster.endpoints
                   if e.kind is EndpointKind.HOST and e.node and e.node not in names})
    return names, heps


def plan(cluster: Cluster, hosts: Sequence[LabHost] = (), nodes: int = 1,
         lab_id: str | None = None) -> Topology:
    """Decide names and placement; pure, so it is testable without root.

    Nodes are the pods' node names (sorted), padded with ``node-<k>`` up to
    ``nodes``, then the nodes of host endpoints; pods without a node are spread
    round-robin over the former (a node that only has host endpoints stays
    free of them, so pod ↔ node traffic crosses a node boundary); hosts sit on
    their ``node``, else the first node with a host endpoint, else the first
    node. Pods without an IP are an error.
    """
    lab_id = lab_id or new_lab_id()
    prefix = f"nw{lab_id}"
    pods = [e for e in cluster.endpoints if e.kind is EndpointKind.POD]
    heps = sorted((e for e in cluster.endpoints if e.kind is EndpointKind.HOST and e.node),
                  key=lambda e: e.key)
    pod_nodes, hep_only = _node_names(cluster, nodes)
    names = pod_nodes + hep_only
    uplinks = {n: tuple(sorted({u for e in heps if e.node == n
                                for u in [_uplink(e)] if u})) for n in names}
    lab_nodes = tuple(LabNode(n, i, f"{prefix}-n{i}", uplinks[n])
                      for i, n in enumerate(names, 1))
    node_ns = {n.name: n.netns for n in lab_nodes}
    used: set[str] = set()

    def ns_for(key: str) -> str:
        digest = hashlib.sha1(key.encode()).hexdigest()
        for start in range(0, 34):
            name = f"{prefix}-{digest[start:start + 6]}"
            if name not in used:
                used.add(name)
                return name
        raise LabError(f"no free namespace name for {key}")

    atts: list[Attachment] = []
    seen: set[str] = set()
    rr = 0
    spread = pod_nodes or names
    for e in pods:
        if not e.ips:
            raise LabError(f"pod {e.key} has no IP; the lab needs one per pod")
        if e.key in seen:
            raise LabError(f"duplicate endpoint {e.key}")
        seen.add(e.key)
        node = e.node
        if node is None:
            node, rr = spread[rr % len(spread)], rr + 1
        if e.host_network:
            atts.append(Attachment(e.key, HOSTNET, node, node_ns[node], None, e.ips,
                                   _ports(e.ports)))
        else:
            veth = f"{prefix}p{sum(1 for a in atts if a.kind == POD)}"
            atts.append(Attachment(e.key, POD, node, ns_for(e.key), veth, e.ips, _ports(e.ports)))
    for e in heps:
        if e.ips and e.node:  # without expectedIPs there is nothing to probe
            seen.add(e.key)
            atts.append(Attachment(e.key, HEP, e.node, node_ns[e.node], None, e.ips,
                                   _hep_ports(e.ports)))
    default = next((e.node for e in heps if e.node), names[0] if names else None)
    for i, h in enumerate(hosts):
        if h.name in seen:
            raise LabError(f"duplicate lab host {h.name}")
        seen.add(h.name)
        node = h.node or default
        if node not in node_ns:
            raise LabError(f"lab host {h.name} names unknown node {node}")
        atts.append(Attachment(h.name, HOST, node, ns_for("host:" + h.name), f"{prefix}h{i}",
                               h.ips, _ports(h.ports)))
    owners: dict[IPAddress, Attachment] = {}
    for a in atts:
        for ip in a.ips:
            other = owners.setdefault(ip, a)
            if other is not a and not (a.kind in IN_NODE and other.kind in IN_NODE
                                       and a.node == other.node):
                raise LabError(f"address {ip} is used by both {other.key} and {a.key}")
    lab_nodes = _with_addresses(lab_nodes, cluster, set(owners), edges=_has_external(cluster))
    zone, nameservers, servers = _cluster_dns(cluster)
    return Topology(lab_id, lab_nodes, tuple(atts), zone, nameservers, servers,
                    _entry_ips(cluster, owners, lab_nodes))


def _entry_ips(cluster: Cluster, owners: dict[IPAddress, Attachment],
               nodes: tuple[LabNode, ...]) -> tuple[IPAddress, ...]:
    """The Services' LoadBalancer ingress addresses and external IPs (``Topology.entry_ips``);
    one a pod, a host or a node already has is an error (the lab could not route it)."""
    node_ips = {ip: n.name for n in nodes for ip in n.ips}
    out: dict[IPAddress, None] = {}
    for svc in cluster.services:
        if svc.external_name is not None:
            continue
        for ip in (*svc.load_balancer_ips, *svc.external_ips):
            user = owners[ip].key if ip in owners else node_ips.get(ip)
            if user is not None:
                raise LabError(f"address {ip} of {svc.key} is also {user}'s")
            out[ip] = None
    return tuple(out)


def _has_external(cluster: Cluster) -> bool:
    return any(s.external for s in cluster.services)


def _with_addresses(nodes: tuple[LabNode, ...], cluster: Cluster, taken: set[IPAddress], *,
                    edges: bool) -> tuple[LabNode, ...]:
    """Each node's address: the cluster's (``Cluster.node_addresses``: a Node's declared
    address, else kind's numbering), or a free one of 172.18.0.0/16 for a node the
    cluster does not know or whose address a pod or host already has."""
    known = set(cluster.node_addresses.values())
    free = (ip for ip in NODE_NETWORK.hosts() if ip not in taken and ip not in known)
    out = []
    for n in nodes:
        ip = cluster.node_addresses.get(n.name)
        if ip is None or ip in taken:
            ip = next(free)
        taken.add(ip)
        out.append(dataclasses.replace(n, ips=(ip,), edge=f"{n.netns}e" if edges else None))
    return tuple(out)


def _cluster_dns(cluster: Cluster) -> tuple[Zone | None, tuple[str, ...], tuple[str, ...]]:
    """The zone, the kube-dns ClusterIPs and the pods serving it; nothing without kube-dns."""
    kube_dns = cluster.service(*DNS_SERVICE)
    if kube_dns is None:
        return None, (), ()
    servers = tuple(sorted({b.key for i, p in enumerate(kube_dns.ports) if p.port == 53
                            for b, target in kube_dns.destinations(i) if target == 53 and b.pod}))
    addresses = tuple(str(ip) for ip in kube_dns.cluster_ips)
    if not addresses:  # a headless kube-dns: pods query its backends directly
        addresses = tuple(str(b.ip) for b in kube_dns.ready_backends)
    return zone_for(cluster), addresses, servers


def state_path(lab_id: str) -> str:
    return os.path.join(STATE_DIR, f"{lab_id}.json")


def write_state(topo: Topology, extra: dict[str, object]) -> str:
    os.makedirs(STATE_DIR, exist_ok=True)
    path = state_path(topo.id)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump({**topo.to_json(), **extra}, f)
    os.replace(tmp, path)
    return path


def read_state(lab_id: str) -> dict[str, object]:
    try:
        with open(state_path(lab_id)) as f:
            return json.load(f)  # type: ignore[no-any-return]
    except FileNotFoundError:
        raise LabError(f"no lab {lab_id} (no {state_path(lab_id)})") from None
