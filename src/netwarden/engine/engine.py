"""The engine: is a connection allowed, and why.

>>> from netwarden import load_cluster
>>> engine = Engine(load_cluster(["examples/seed-prod-dev"]))   # doctest: +SKIP
>>> engine.check("dev/testserver-1", "prod/webserver-1", "TCP", 80).allowed  # doctest: +SKIP
True
"""

from __future__ import annotations

import difflib
import ipaddress
from functools import cached_property

from .._errors import LookupFailed
from ..ir import Cluster, Direction, Endpoint, EndpointKind, IPAddress, Peer, PolicyIndex
from ..ir.services import ECHO_REQUEST, protocol_number
from .by_name import NameVerdict, address_rules_in_play, dns_name
from .connectivity import Connectivity, is_loopback
from .evaluate import evaluate_side
from .verdict import Packet, SideVerdict, Verdict

__all__ = ["Engine", "Subject"]

Subject = Endpoint | IPAddress



class Engine:
    """Answers questions about one compiled cluster; build one per cluster."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.index = PolicyIndex(cluster)

    # -- naming things --------------------------------------------------------
    def resolve(self, name: str | Subject) -> Subject:
        """``ns/pod``, ``ns/Kind/workload`` (the pod a workload's template stands for; the
        kind in any case, as kubectl takes ``deployment/web``), a pod name in ``default``,
        a host endpoint key, or an IP address. Every command names endpoints this way
        and prints their key, ``ns/pod``."""
        if not isinstance(name, str):
            return name
        try:
            ip = ipaddress.ip_address(name)
        except ValueError:
            pass
        else:
            return self.cluster.endpoint_at(ip) or ip
        endpoint = (self.cluster.endpoint(name) or self.cluster.endpoint(f"default/{name}")
                    or self._workloads.get(_alias_key(name))
                    or self._workloads.get(_alias_key(f"default/{name}")))
        if endpoint is None or endpoint.kind is EndpointKind.NETWORK_SET:
            guess = self._closest_name(name)
            hint = f"; did you mean {guess}?" if guess else " (use namespace/pod or an IP)"
            raise LookupFailed(f"no pod or endpoint named {name!r}{hint}")
        return endpoint

    @cached_property
    def _workloads(self) -> dict[str, Endpoint]:
        """``ns/kind/name`` (kind lower-cased) of every endpoint a workload stands for."""
        return {_alias_key(f"{e.namespace}/{e.workload}"): e for e in self.cluster.endpoints
                if e.workload and e.namespace}

    def _closest_name(self, name: str) -> str | None:
        """The endpoint ``name`` was probably meant to be: same pod in one other namespace,
        or the closest spelling (of its key or its ``ns/Kind/workload`` form); the answer
        is always the key."""
        named = [e for e in self.cluster.endpoints if e.kind is not EndpointKind.NETWORK_SET]
        keys = [e.key for e in named]
        same_pod = [k for k in keys if k.rpartition("/")[2] == name.rpartition("/")[2]]
        if len(same_pod) == 1:
            return same_pod[0]
        spellings = {e.key: e.key for e in named}
        spellings.update({f"{e.namespace}/{e.workload}": e.key for e in named
                          if e.workload and e.namespace})
        wanted = name if "/" in name else f"default/{name}"
        close = difflib.get_close_matches(wanted, list(spellings), n=1, cutoff=0.6)
        return spellings[close[0]] if close else None

    def peer(self, subject: Subject, family: int | None = None) -> Peer:
        if isinstance(subject, Endpoint):
            ip = _address(subject, family)
            sets = self.cluster.network_sets_at(ip) if ip is not None else ()
            return Peer(ip, subject, sets)
        owner = self.cluster.endpoint_at(subject)
        return Peer(subject, owner, self.cluster.network_sets_at(subject))

    # -- the question ---------------------------------------------------------
    def check(
        self,
        src: str | Subject,
        dst: str | Subject,
        protocol: str | int = "TCP",
        port: int | None = None,
        family: int | None = None,
    ) -> Verdict:
        """Would a new connection from ``src`` to ``dst`` be allowed?

        ``port`` None asks about every port of the protocol at once (ICMP:
        an echo request). ``family`` (4 or 6) picks the pods' addresses of that
        family, since ipBlocks may treat a dual-stack pair differently per family;
        by default the family both sides share, preferring primary addresses.
        """
        source, destination = self.resolve(src), self.resolve(dst)
        proto = protocol_number(protocol)
        if port is None and proto in ECHO_REQUEST:
            port = ECHO_REQUEST[proto]
        family = family or _family(source, destination)
        src_peer, dst_peer = self.peer(source, family), self.peer(destination, family)
        packet = Packet(src_peer.ip, dst_peer.ip, proto, port)
        names = (_name(source), _name(destination))
        notes: list[str] = []
        if isinstance(source, Endpoint) and isinstance(destination, Endpoint) \
                and is_loopback(source, destination):
            note = f"{names[0]} talking to itself goes over loopback, which policy cannot block"
            return Verdict(True, *names, packet, notes=(note,))
        if isinstance(source, Endpoint) and source == destination:
            count = "one pod per node" if source.replicas is None else (
                f"{source.replicas} replicas")
            notes.append(f"{names[0]} stands for {count}: this is one replica connecting to "
                         "another, policed like any pair")
        egress = self._side(source, Direction.EGRESS, src_peer, dst_peer, packet, notes)
        ingress = self._side(destination, Direction.INGRESS, src_peer, dst_peer, packet, notes)
        forwarded = self._forwarded(src_peer, dst_peer, packet)
        sides = [s for s in (egress, ingress, *forwarded) if s is not None]
        allowed = all(side.allowed for side in sides)
        return Verdict(allowed, *names, packet, egress, ingress, tuple(notes), forwarded)

    def check_name(
        self,
        src: str | Subject,
        name: str,
        protocol: str | int = "TCP",
        port: int | None = None,
    ) -> NameVerdict:
        """Would ``src`` be allowed to connect to the host known by DNS ``name``?

        AdminNetworkPolicy ``domainNames`` peers are matched against the name
        (``*.example.com`` stands for one or more labels); to every other rule
        the destination is an address outside the cluster that netwarden
        cannot know without DNS, and the rules naming addresses that might
        match it are returned with the verdict (see ``engine.by_name``).
        """
        source = self.resolve(src)
        if not isinstance(source, Endpoint):
            raise LookupFailed(f"--from {src}: with --to-name the source must be a pod or "
                               "endpoint of the cluster (an outside address has no policy)")
        wanted = dns_name(name)
        proto = protocol_number(protocol)
        if port is None and proto in ECHO_REQUEST:
            port = ECHO_REQUEST[proto]
        src_peer, dst_peer = self.peer(source), Peer(None, name=wanted)
        packet = Packet(src_peer.ip, None, proto, port)
        notes: list[str] = []
        egress = self._side(source, Direction.EGRESS, src_peer, dst_peer, packet, notes)
        notes.append(f"{wanted} is treated as an address outside the cluster: netwarden has "
                     "no DNS, so only domainNames peers see the name")
        forwarded = self._forwarded(src_peer, dst_peer, packet)
        sides = [s for s in (egress, *forwarded) if s is not None]
        allowed = all(side.allowed for side in sides)
        verdict = Verdict(allowed, source.key, wanted, packet, egress, None, tuple(notes),
                          forwarded)
        rules = address_rules_in_play(self.index, source, egress, packet) \
            if egress is not None and egress.isolated else ()
        return NameVerdict(verdict, rules)

    def _forwarded(self, src: Peer, dst: Peer, packet: Packet) -> tuple[SideVerdict, ...]:
        """Host endpoints the connection crosses, leaving the source's node and
        entering the destination's; only their applyOnForward policies apply."""
        cluster = self.cluster
        if not cluster.crosses_host(src.endpoint, dst.endpoint):
            return ()
        out = []
        for peer, direction in ((src, Direction.EGRESS), (dst, Direction.INGRESS)):
            if peer.endpoint is None:
                continue
            for hep in cluster.forwarding_host_endpoints(peer.endpoint.node):
                out.append(evaluate_side(self.index, hep, direction, src, dst, packet,
                                         forwarded=True))
        return tuple(out)

    def _side(
        self,
        subject: Subject,
        direction: Direction,
        src: Peer,
        dst: Peer,
        packet: Packet,
        notes: list[str],
    ) -> SideVerdict | None:
        if not isinstance(subject, Endpoint):
            notes.append(f"{subject} is outside the cluster: only the other side's policies apply")
            return None
        if subject.host_network:
            notes.append(f"{subject.key} uses the host network: NetworkPolicy does not apply to it")
            return None
        other = (dst if direction is Direction.EGRESS else src).endpoint
        if _own_node(subject, other):
            assert other is not None
            notes.append(f"{subject.key} and {other.key} are on the same node: traffic between "
                         "a pod and its own node is always allowed by the pod's policies")
            return None
        return evaluate_side(self.index, subject, direction, src, dst, packet)

    def allows(
        self, src: str | Subject, dst: str | Subject, protocol: str | int = "TCP",
        port: int | None = None,
    ) -> bool:
        return self.check(src, dst, protocol, port).allowed

    @cached_property
    def connectivity(self) -> Connectivity:
        """The full connectivity map, built on first use."""
        return Connectivity(self.cluster, self.index)


def _alias_key(name: str) -> str:
    """``prod/Deployment/web`` → ``prod/deployment/web``: workload kinds in any case."""
    parts = name.split("/")
    if len(parts) == 3:
        parts[1] = parts[1].lower()
    return "/".join(parts)


def _own_node(pod: Endpoint, other: Endpoint | None) -> bool:
    """Kubernetes: traffic to and from the node where a pod runs is always allowed.

    Only the pod's side is waived; the node's host endpoint policies still apply.
    """
    return (
        other is not None
        and pod.kind is EndpointKind.POD
        and other.kind is EndpointKind.HOST
        and other.node is not None
        and pod.node == other.node
    )


def _address(endpoint: Endpoint, family: int | None) -> IPAddress | None:
    for ip in endpoint.ips:
        if family is None or ip.version == family:
            return ip
    return endpoint.ips[0] if endpoint.ips else None


def _family(a: Subject, b: Subject) -> int | None:
    """The address family both sides have, preferring each pod's primary address."""
    fa = {ip.version for ip in a.ips} if isinstance(a, Endpoint) else {a.version}
    fb = {ip.version for ip in b.ips} if isinstance(b, Endpoint) else {b.version}
    for endpoint in (a, b):
        if isinstance(endpoint, Endpoint) and endpoint.ips:
            primary = endpoint.ips[0].version
            if primary in fa and primary in fb:
                return primary
    common = fa & fb
    return min(common) if common else None


def _name(subject: Subject) -> str:
    return subject.key if isinstance(subject, Endpoint) else str(subject)
