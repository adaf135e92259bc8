"""kube-proxy in nftables: Service frontends → a random ready backend, in a table of its own.

``render_services`` turns frontends (an address, protocol and port, each
with its backends on their own target ports) into ``table inet
netwarden-services``, written like every table by a ``TableWriter`` (one
atomic batch)::

    firewall   (filter, prerouting -110)  loadBalancerSourceRanges: other clients dropped
                                      (only when a frontend has ranges)
    prerouting (nat, priority -100)   ip daddr . meta l4proto . th dport vmap @front4
    output     (nat, priority -100)   the same, for connections the node itself opens
    fe-<digest>                       [log group G prefix "nw service"]  (``log_group``)
                                      meta l4proto tcp dnat ip to numgen random mod N map
                                        { 0 : 10.244.1.2 . 8080, 1 : 10.244.1.3 . 9090 }
    hairpin    (filter, prerouting -90)  after DNAT, a pod reaching itself: mark HAIRPIN_MARK,
                                      which the policy table accepts like loopback
    postrouting (nat, priority 100)   hairpin: ct status dnat ip saddr . ip daddr @hairpin4
                                        snat ip to 169.254.1.1   (a pod reached itself)
                                      external Cluster traffic: meta mark & MASQ masquerade

DNAT runs at -100, before the policy table's ``forward`` chain (filter,
priority 0), so policy judges the packet addressed to the backend pod on its
target port, as kube-proxy and every network plugin arrange it. Each
backend's target port is resolved per backend (a named ``targetPort`` may be
a different number on each pod). A frontend without a ready backend gets no
DNAT: the packet goes on to the ClusterIP, which nothing routes, and the
client gets "network unreachable" at once (kube-proxy rejects it too).

With ``log_group``, each frontend chain first logs the packet to that NFLOG
group with the prefix ``nw service`` (``flowlog.SERVICE_PREFIX``): a nat
chain sees only a connection's first packet, so this is one message per new
connection, carrying the address and port the client sent it to, before DNAT
rewrites them. The flow recorder pairs it with the forward hook's message of
the same packet (``flowlog.Addressed``), so a connection the policy table
drops still names the Service it was addressed to (conntrack never confirms a
dropped connection, and only kernels with the netlink glue attach the
unconfirmed entry to NFLOG messages).

A frontend with ``masquerade`` (``externalTrafficPolicy: Cluster`` entering
from outside) is source-NATed to ``snat4``/``snat6`` after DNAT, so the
backend sees that address instead of the client's; ``Local`` frontends list
only the node's own backends and keep the client's address.

>>> f = Frontend("staging/backend", TCP, ip_address("10.96.0.20"), 80,
...              (Backend("staging/backend-0", ip_address("10.244.1.2"), 8080),))
>>> print(render_services([f]).chain(frontend_chain(f)).rules[0].body)
meta l4proto tcp dnat ip to 10.244.1.2:8080
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from ipaddress import ip_address

from ..ir import Cluster
from ..ir.endpoints import IPAddress, IPNetwork
from ..ir.kube_services import FrontendKind, KubeService
from ..ir.services import SCTP, TCP, UDP
from .flowlog import SERVICE_PREFIX
from .names import digest
from .nft.objects import Chain, Map, Rule, Set, Table
from .ruleset import Ruleset

__all__ = [
    "ADDRESSED_TABLE",
    "EDGE_MARK",
    "HAIRPIN_MARK",
    "MASQUERADE_MARK",
    "SERVICES_TABLE",
    "Backend",
    "Frontend",
    "cluster_frontends",
    "external_frontends",
    "frontend_chain",
    "render_addressed",
    "render_services",
]

SERVICES_TABLE = Table("netwarden-services", "inet")
ADDRESSED_TABLE = Table("netwarden-addressed", "inet")
ADDRESSED_PRIORITY = -110  # before any kube-proxy's DNAT (dstnat, -100), after conntrack (-200)
MASQUERADE_MARK = 0x4000  # kube-proxy's masquerade bit; the policy table uses 0x10000/0x20000
EDGE_MARK = 0x8000  # connections that came in from the edge: their replies are routed back there
HAIRPIN_MARK = 0x40000  # a pod reaching itself through a Service (``RenderOptions.hairpin_mark``)
_PROTO_NAMES = {TCP: "tcp", UDP: "udp", SCTP: "sctp"}
HAIRPIN_SOURCE4 = "169.254.1.1"  # the lab's pod gateway: the pod answers it on eth0
HAIRPIN_SOURCE6 = "fe80::1"


@dataclass(frozen=True, slots=True)
class Backend:
    """A ready endpoint of a Service port: the pod, its address and its target port."""

    key: str
    ip: IPAddress
    port: int


@dataclass(frozen=True, slots=True)
class Frontend:
    """Where clients connect (``ip:port/protocol``) and the backends behind it."""

    service: str
    protocol: int
    ip: IPAddress
    port: int
    backends: tuple[Backend, ...]
    masquerade: bool = False
    source_ranges: tuple[IPNetwork, ...] = ()  # loadBalancerSourceRanges; empty: every client


def frontend_chain(front: Frontend) -> str:
    """The frontend's chain, named by what it does (so an unchanged one is kept)."""
    return "fe-" + digest(front.service, front.protocol, str(front.ip), front.port,
                          tuple((str(b.ip), b.port) for b in _family_backends(front)),
                          front.masquerade)


def _family_backends(front: Frontend) -> tuple[Backend, ...]:
    """Backends of the frontend's address family, in a stable order (NAT cannot change it)."""
    return tuple(sorted({b for b in front.backends if b.ip.version == front.ip.version},
                        key=lambda b: (b.ip, b.port, b.key)))


def _target(ip: IPAddress, port: int) -> str:
    return f"{ip} . {port}"


def _log_rule(group: int) -> Rule:
    return Rule(f'log group {group} prefix "{SERVICE_PREFIX}"', comment="flow log: addressed")


def _dnat_rule(front: Frontend) -> Rule | None:
    backends = _family_backends(front)
    if not backends or front.protocol not in _PROTO_NAMES:
        return None
    family = "ip" if front.ip.version == 4 else "ip6"
    proto = _PROTO_NAMES[front.protocol]
    if len(backends) == 1:
        b = backends[0]
        to = f"{b.ip}:{b.port}" if b.ip.version == 4 else f"[{b.ip}]:{b.port}"
    else:
        items = ", ".join(f"{i} : {_target(b.ip, b.port)}" for i, b in enumerate(backends))
        to = f"numgen random mod {len(backends)} map {{ {items} }}"
    return Rule(f"meta l4proto {proto} dnat {family} to {to}",
                comment=f"{front.service} {front.port}/{proto}"[:127])


def render_services(frontends: Iterable[Frontend], *, snat4: str | None = None,
                    snat6: str | None = None, output: bool = True,
                    edge_interface: str | None = None, log_group: int | None = None) -> Ruleset:
    """The ``netwarden-services`` table for ``frontends`` (pure: no kernel involved).

    ``snat4``/``snat6`` are the addresses masquerading frontends rewrite the
    source to (the node's); ``output`` adds the hook for connections opened
    in the namespace itself (host-network pods, host endpoints). With
    ``edge_interface`` (where external frontends DNAT), connections entering
    from it get ``EDGE_MARK`` on their conntrack entry and their replies get
    it as packet mark, which the node's routing sends back to that interface
    (a ``Local`` connection keeps the client's address, so the reply would
    otherwise bypass the edge and its un-NAT). ``log_group``: each new connection to a
    frontend is logged there before DNAT (``nw service``, for the flow recorder).
    """
    chains: list[Chain] = []
    entries: dict[int, dict[str, str]] = {4: {}, 6: {}}
    hairpin: dict[int, set[str]] = {4: set(), 6: set()}
    masq = False
    order = sorted(frontends, key=lambda f: (f.ip.version, f.ip, f.protocol, f.port, f.service))
    for front in order:
        rule = _dnat_rule(front)
        if rule is None:
            continue
        rules = [rule] if log_group is None else [_log_rule(log_group), rule]
        if front.masquerade:
            masq = True
            rules.insert(0, Rule(f"meta mark set meta mark | 0x{MASQUERADE_MARK:x}"))
        name = frontend_chain(front)
        key = f"{front.ip} . {_PROTO_NAMES[front.protocol]} . {front.port}"
        if key in entries[front.ip.version]:
            continue  # the same address and port twice: the API server refuses that
        entries[front.ip.version][key] = f"goto {name}"
        chains.append(Chain(name, tuple(rules)))
        for b in _family_backends(front):
            hairpin[b.ip.version].add(f"{b.ip} . {b.ip}")
    sets: list[Set] = []
    lookups: list[Rule] = []
    post: list[Rule] = []
    for version, field_, addr, source, snat in (
        (4, "ip", "ipv4_addr", HAIRPIN_SOURCE4, snat4),
        (6, "ip6", "ipv6_addr", HAIRPIN_SOURCE6, snat6),
    ):
        fam = "4" if version == 4 else "6"
        sets.append(Map(f"front{fam}", f"{addr} . inet_proto . inet_service : verdict",
                        entries=tuple(sorted(entries[version].items()))))
        sets.append(Set(f"hairpin{fam}", f"{addr} . {addr}",
                        elements=tuple(sorted(hairpin[version]))))
        lookups.append(Rule(f"{field_} daddr . meta l4proto . th dport vmap @front{fam}"))
        post.append(Rule(f"ct status dnat {field_} saddr . {field_} daddr @hairpin{fam} "
                         f"snat {field_} to {source}", comment="hairpin"))
        if masq and snat:
            post.append(Rule(f"meta nfproto ipv{version} meta mark & 0x{MASQUERADE_MARK:x} != 0 "
                             f"snat {field_} to {snat}", comment="externalTrafficPolicy Cluster"))
    base = _firewall(order)
    if edge_interface:
        mark = f"0x{EDGE_MARK:x}"
        base.append(Chain("edge-return", (
            Rule(f'iifname "{edge_interface}" ct state new ct mark set ct mark | {mark}'),
            Rule(f"ct direction reply ct mark & {mark} != 0 meta mark set meta mark | {mark}"),
        ), "filter", "prerouting", -150))
    base.append(Chain("prerouting", tuple(lookups), "nat", "prerouting", -100))
    base.append(Chain("hairpin", tuple(
        Rule(f"ct status dnat {f} saddr . {f} daddr @hairpin{v} "
             f"meta mark set meta mark | 0x{HAIRPIN_MARK:x}") for f, v in (("ip", 4), ("ip6", 6))
    ), "filter", "prerouting", -90))
    if output:
        base.append(Chain("output", tuple(lookups), "nat", "output", -100))
    base.append(Chain("postrouting", tuple(post), "nat", "postrouting", 100))
    return Ruleset(SERVICES_TABLE, (*base, *chains), (*sets, *_firewall_sets(order)))


def _ranged(frontends: Sequence[Frontend], version: int) -> list[Frontend]:
    return [f for f in frontends if f.source_ranges and f.ip.version == version
            and f.protocol in _PROTO_NAMES]


def _firewall(frontends: Sequence[Frontend]) -> list[Chain]:
    """``firewall`` (filter, prerouting -110, before DNAT): a connection to a frontend with
    ``loadBalancerSourceRanges`` from elsewhere is dropped, as kube-proxy does; none
    without such a frontend."""
    rules = [Rule(f"{field_} daddr . meta l4proto . th dport @ranged{v} {field_} daddr . "
                  f"meta l4proto . th dport . {field_} saddr != @allowed{v} drop",
                  comment="loadBalancerSourceRanges")
             for v, field_ in ((4, "ip"), (6, "ip6")) if _ranged(frontends, v)]
    return [Chain("firewall", tuple(rules), "filter", "prerouting", -110)] if rules else []


def _firewall_sets(frontends: Sequence[Frontend]) -> list[Set]:
    out: list[Set] = []
    for version, addr in ((4, "ipv4_addr"), (6, "ipv6_addr")):
        ranged = _ranged(frontends, version)
        if not ranged:
            continue
        keys = {f"{f.ip} . {_PROTO_NAMES[f.protocol]} . {f.port}" for f in ranged}
        allowed = {f"{f.ip} . {_PROTO_NAMES[f.protocol]} . {f.port} . {net}"
                   for f in ranged for net in f.source_ranges if net.version == version}
        out.append(Set(f"ranged{version}", f"{addr} . inet_proto . inet_service",
                       elements=tuple(sorted(keys))))
        out.append(Set(f"allowed{version}", f"{addr} . inet_proto . inet_service . {addr}",
                       elements=tuple(sorted(allowed)), flags=("interval",)))
    return out


def frontends_for(addresses: Sequence[str], protocol: int, port: int, service: str,
                  backends: Sequence[Backend], masquerade: bool = False) -> list[Frontend]:
    """One frontend per address (a dual-stack Service has one per family).

    >>> [f.ip.version for f in frontends_for(["10.96.0.1", "fd00::1"], TCP, 80, "a/b", [])]
    [4, 6]
    """
    return [Frontend(service, protocol, ip_address(a), port, tuple(backends), masquerade)
            for a in addresses]


def _backends(cluster: Cluster, svc: KubeService, index: int,
              local: Callable[[str], bool] | None) -> tuple[Backend, ...]:
    """Where DNAT may send Service port ``index``: ready backends on their target port,
    only the local ones when ``local`` is given; a dual-stack pod with each of its
    addresses (each frontend keeps those of its own family)."""
    out: list[Backend] = []
    for b, port in svc.destinations(index):
        if local is not None and not local(b.key):
            continue
        pod = cluster.endpoint(b.key) if b.pod else None
        ips = pod.ips if pod is not None and b.ip in pod.ips else (b.ip,)
        out.extend(Backend(b.key, ip, port) for ip in ips)
    return tuple(out)


def cluster_frontends(cluster: Cluster, local: Callable[[str], bool]) -> list[Frontend]:
    """ClusterIP frontends as a node's kube-proxy programs them for its own clients.

    ``local(key)`` says whether an endpoint runs on this node:
    ``internalTrafficPolicy: Local`` Services only reach those.
    """
    out: list[Frontend] = []
    for svc in cluster.services:
        if svc.headless or svc.external_name is not None:
            continue
        only = local if svc.internal_traffic_policy == "Local" else None
        for f in svc.frontends:
            if f.kind == FrontendKind.CLUSTER_IP and f.ip is not None:
                out.append(Frontend(svc.key, f.protocol, f.ip, f.port,
                                    _backends(cluster, svc, f.port_index, only)))
    return out


def external_frontends(cluster: Cluster, node_ips: Sequence[IPAddress],
                       local: Callable[[str], bool]) -> list[Frontend]:
    """NodePorts on ``node_ips``, LoadBalancer ingress addresses and external IPs.

    ``externalTrafficPolicy: Local`` reaches only this node's backends and
    keeps the client's address; ``Cluster`` reaches every ready backend and
    masquerades to the node address.
    """
    out: list[Frontend] = []
    for svc in cluster.services:
        if svc.external_name is not None:
            continue
        is_local = svc.external_traffic_policy == "Local"
        for f in svc.frontends:
            if f.kind == FrontendKind.CLUSTER_IP:
                continue
            backends = _backends(cluster, svc, f.port_index, local if is_local else None)
            ranges = svc.source_ranges if f.kind == FrontendKind.LOAD_BALANCER else ()
            for ip in (node_ips if f.ip is None else (f.ip,)):
                out.append(Frontend(svc.key, f.protocol, ip, f.port, backends,
                                    masquerade=not is_local, source_ranges=ranges))
    return out


def render_addressed(frontends: Iterable[Frontend], log_group: int) -> Ruleset:
    """``table inet netwarden-addressed``: each new connection to a frontend logged to
    ``log_group`` as addressed (``nw service``), before whatever kube-proxy DNATs it.

    For a node whose kube-proxy is not netwarden's (the agent's): one filter chain
    at prerouting priority -110 looks the destination up in a set of every
    frontend's address, protocol and port, so only new connections to a Service
    are logged. A kube-proxy that translates before netfilter (eBPF) leaves
    nothing to match: such flows name no Service.

    >>> f = Frontend("shop/db", TCP, ip_address("10.96.0.20"), 5432, ())
    >>> [r.body for r in render_addressed([f], 7).chain("prerouting").rules][0]
    'ct state new ip daddr . meta l4proto . th dport @front4 log group 7 prefix "nw service"'
    """
    elements: dict[int, set[str]] = {4: set(), 6: set()}
    for front in frontends:
        if front.protocol in _PROTO_NAMES:
            elements[front.ip.version].add(
                f"{front.ip} . {_PROTO_NAMES[front.protocol]} . {front.port}")
    sets, rules = [], []
    for version, field_, addr in ((4, "ip", "ipv4_addr"), (6, "ip6", "ipv6_addr")):
        sets.append(Set(f"front{version}", f"{addr} . inet_proto . inet_service",
                        elements=tuple(sorted(elements[version]))))
        rules.append(Rule(f"ct state new {field_} daddr . meta l4proto . th dport "
                          f'@front{version} log group {log_group} prefix "{SERVICE_PREFIX}"'))
    chain = Chain("prerouting", tuple(rules), "filter", "prerouting", ADDRESSED_PRIORITY)
    return Ruleset(ADDRESSED_TABLE, (chain,), tuple(sets))
