"""Translate one IR rule, seen from one local endpoint, into nft rule bodies.

The local side of a rule (the destination for ingress, the source for egress)
is resolved statically against the endpoint: a rule whose local side does not
match the endpoint is left out, and one that matches only some of its
addresses is narrowed to them. The remote side becomes a named interval set of
addresses, and protocol × port a named ``inet_proto . inet_service`` set, so a
packet costs one lookup per side whatever the number of peers.

``Registry`` names sets by their content, so equal sets are shared by every
rule and endpoint and a set's name changes exactly when its content does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise

from ..ir import (
    Action,
    Cluster,
    Direction,
    Endpoint,
    EndpointKind,
    EntityMatch,
    IPAddress,
    Peer,
    Rule,
)
from ..ir.addresses import AddressSet
from ..ir.intervals import Intervals
from ..ir.services import ICMP_PROTOCOLS, PORT_PROTOCOLS, ServiceSet, full_range
from .names import digest, log_prefix, rule_comment
from .nft.objects import Rule as NftRule
from .nft.objects import Set, quote, set_literal
from .options import Marks

__all__ = ["AllowPiece", "Registry", "RuleTranslator", "service_fragments"]

_FAMILY = {4: ("ip", "ipv4_addr", "ipv4"), 6: ("ip6", "ipv6_addr", "ipv6")}


@dataclass
class Registry:
    """Named sets collected while rendering, keyed by content."""

    sets: dict[str, Set] = field(default_factory=dict)
    _by_intervals: dict[tuple[int, Intervals], str] = field(default_factory=dict)

    def _named(self, prefix: str, type_: str, elements: tuple[str, ...]) -> str:
        name = f"{prefix}-{digest(type_, elements)}"
        if name not in self.sets:
            self.sets[name] = Set(name, type_, ("interval",), elements)
        return "@" + name

    def addresses(self, version: int, intervals: Intervals) -> str:
        key = (version, intervals)
        ref = self._by_intervals.get(key)
        if ref is None:
            elements = AddressSet(intervals, ()).elements(4) if version == 4 else (
                AddressSet((), intervals).elements(6)
            )
            ref = self._by_intervals[key] = self._named(
                f"a{version}", _FAMILY[version][1], elements
            )
        return ref

    def services(self, elements: tuple[str, ...]) -> str:
        return self._named("svc", "inet_proto . inet_service", elements)

    def union(self, prefix: str, type_: str, elements: tuple[str, ...]) -> str:
        """An allow-union set (``fastpath``): interval, with a counter per element."""
        name = f"{prefix}-{digest(type_, elements)}"
        if name not in self.sets:
            self.sets[name] = Set(name, type_, ("interval",), elements, counter=True)
        return "@" + name

    def prune(self, names: Iterable[str]) -> None:
        """Forget every set but ``names`` (a long-lived renderer's sets come and go)."""
        keep = set(names)
        self.sets = {n: s for n, s in self.sets.items() if n in keep}
        self._by_intervals = {k: r for k, r in self._by_intervals.items() if r[1:] in keep}


def _ranges(values: Intervals) -> list[str]:
    return [str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in values]


def _icmp_elements(values: Intervals) -> list[str]:
    out: list[str] = []
    for lo, hi in values:
        for icmp_type in range(lo >> 8, (hi >> 8) + 1):
            first = lo & 255 if icmp_type == lo >> 8 else 0
            last = hi & 255 if icmp_type == hi >> 8 else 255
            codes = str(first) if first == last else f"{first}-{last}"
            out.append(f"{icmp_type} . {codes}")
    return out


def service_fragments(services: ServiceSet, registry: Registry) -> list[str]:
    """Disjoint nft matches whose union is ``services`` ([""] for everything)."""
    if services.is_all:
        return [""]
    whole: list[int] = []
    ports: list[str] = []
    out: list[str] = []
    for proto, values in services.protocols():
        if not values:
            continue
        if values == full_range(proto):
            whole.append(proto)
        elif proto in PORT_PROTOCOLS:
            ports.extend(f"{proto} . {r}" for r in _ranges(values))
        elif proto in ICMP_PROTOCOLS:
            kind = "icmp" if proto == 1 else "icmpv6"
            # Always braced: nft refuses a concatenation matched against a
            # singleton value ("use concatenations with sets and maps").
            elements = "{ " + ", ".join(_icmp_elements(values)) + " }"
            out.append(f"meta l4proto {proto} {kind} type . {kind} code {elements}")
        else:  # no second coordinate for other protocols: listed means all of it
            whole.append(proto)
    if ports:
        out.insert(0, f"meta l4proto . th dport {registry.services(tuple(ports))}")
    if whole:
        out.insert(0, f"meta l4proto {set_literal(str(p) for p in whole)}")
    if services.others:
        listed = [str(p) for p, _ in services.protocols()]
        out.append(f"meta l4proto != {set_literal(listed)}")
    return out


@dataclass(frozen=True, slots=True)
class AllowPiece:
    """Part of an Allow rule a set lookup can take, for one address family.

    ``ports`` holds ``protocol << 16 | port`` ranges (port protocols, some
    ports), ``protocols`` whole protocols, ``anything`` any protocol; the
    remote side is ``remote`` (the source for ingress, the destination for
    egress). ``origin`` is the rule's comment, for per-element counters.
    """

    version: int
    remote: Intervals
    ports: Intervals
    protocols: Intervals
    anything: bool
    origin: str


def _service_shape(services: ServiceSet) -> tuple[Intervals, Intervals, bool] | None:
    """(ports, whole protocols, anything) for ``services``; None for ICMP types/codes."""
    if services.is_all:
        return (), (), True
    ports: list[tuple[int, int]] = []
    whole: list[tuple[int, int]] = []
    listed: list[int] = []
    for proto, values in services.protocols():
        listed.append(proto)
        if not values:
            continue
        if values == full_range(proto) or proto not in PORT_PROTOCOLS | ICMP_PROTOCOLS:
            whole.append((proto, proto))
        elif proto in PORT_PROTOCOLS:
            ports.extend((proto << 16 | lo, proto << 16 | hi) for lo, hi in values)
        else:
            return None
    if services.others:  # every protocol not listed, with all its values
        edges = [-1, *sorted(listed), 256]
        whole.extend((a + 1, b - 1) for a, b in pairwise(edges) if a + 1 <= b - 1)
    return tuple(sorted(ports)), tuple(sorted(whole)), False


class RuleTranslator:
    """Rule → nft bodies for one cluster; caches peer resolution across endpoints.

    ``used`` collects the keys of the cluster-wide results a translation read
    (an ``EntityMatch`` for a resolved peer set, a ``Rule`` for its
    per-destination named ports); ``update`` moves the translator to a new
    cluster and says which of those results changed, so a ``Renderer``
    re-renders only the endpoints that read them.
    """

    def __init__(self, cluster: Cluster, registry: Registry, marks: Marks,
                 drop_log: str | None = None) -> None:
        self.cluster = cluster
        self.registry = registry
        self.marks = marks
        self.drop_log = drop_log  # "limit rate ... log group N": put before each Deny
        self.used: set[object] = set()
        self._remote: dict[EntityMatch, AddressSet] = {}
        self._by_dest: dict[Rule, tuple[AddressSet, list[tuple[AddressSet, ServiceSet]]]] = {}
        self._owned = [e for e in cluster.endpoints if e.kind is not EndpointKind.NETWORK_SET]

    def update(self, cluster: Cluster, changed: Iterable[Endpoint]) -> set[object]:
        """Switch to ``cluster``, which differs only in the ``changed`` endpoints.

        ``changed`` holds the old and the new version of every endpoint that
        was added, removed or modified; namespaces and network sets must be
        the same (the caller starts afresh otherwise). Returns the keys of
        cached results that changed or were dropped.
        """
        changed = list(changed)
        self.cluster = cluster
        self._owned = [e for e in cluster.endpoints if e.kind is not EndpointKind.NETWORK_SET]
        ns = cluster.ns_labels
        dirty: set[object] = set()
        for match, before in list(self._remote.items()):
            if any(match.reads(e, ns) for e in changed):
                after = self._remote[match] = self.cluster.peer_addresses(match)
                if after != before:
                    dirty.add(match)
        ips = [ip for e in changed for ip in e.ips]
        for rule, (remote, _) in list(self._by_dest.items()):
            if any(ip in remote for ip in ips):
                del self._by_dest[rule]
                dirty.add(rule)
        return dirty

    # -- peers --------------------------------------------------------------
    def remote_addresses(self, match: EntityMatch) -> AddressSet:
        """Every address ``match`` accepts as the far side, computed once per match."""
        self.used.add(match)
        cached = self._remote.get(match)
        if cached is None:
            cached = self._remote[match] = self.cluster.peer_addresses(match)
        return cached

    def local_addresses(self, match: EntityMatch, endpoint: Endpoint) -> AddressSet:
        """The endpoint's own addresses that ``match`` accepts."""
        ns = self.cluster.ns_labels
        ips = [
            ip
            for ip in endpoint.ips
            if match.matches_peer(Peer(ip, endpoint, self.cluster.network_sets_at(ip)), ns)
        ]
        return AddressSet.of(ips)

    # -- rules --------------------------------------------------------------
    def _groups(
        self, rule: Rule, direction: Direction, endpoint: Endpoint
    ) -> tuple[AddressSet, AddressSet, str, list[tuple[AddressSet, ServiceSet]]] | None:
        """(local, full local, sport match, [(remote part, services)]) or None: no match."""
        ingress = direction is Direction.INGRESS
        local_match, remote_match = rule.sides(direction)
        if endpoint.kind is EndpointKind.HOST and not endpoint.ips:
            # A host endpoint known by interface only: the interface match in
            # its base chain identifies it, any address of it is local.
            local = AddressSet.everything()
        else:
            local = self.local_addresses(local_match, endpoint)
        if not local:
            return None
        sport = self._source_ports(rule, None if ingress else endpoint)
        if sport is None:
            return None
        remote = self.remote_addresses(remote_match)
        groups: list[tuple[AddressSet, ServiceSet]]
        if ingress or not rule.depends_on_named_ports:
            target = endpoint if ingress else None
            groups = [(remote, rule.services(target))]
        else:
            groups = self._by_destination(rule, remote)
        full_local = AddressSet.of(endpoint.ips) if endpoint.ips else local
        return local, full_local, sport, groups

    def translate(self, rule: Rule, direction: Direction, endpoint: Endpoint) -> list[NftRule]:
        """nft rules for ``rule`` in ``endpoint``'s ``direction`` chain (maybe none)."""
        planned = self._groups(rule, direction, endpoint)
        if planned is None:
            return []
        local, full_local, sport, groups = planned
        ingress = direction is Direction.INGRESS
        out: list[NftRule] = []
        verdicts: list[tuple[str, str | None]] = [
            (self._verdict(rule), rule_comment(rule.origin))]
        if rule.action is Action.DENY and self.drop_log:  # logged, then dropped unlimited
            prefix = quote(log_prefix(str(rule.origin)))
            verdicts.insert(0, (f"{self.drop_log} prefix {prefix}", None))
        for remote_part, services in groups:
            fragments = service_fragments(services, self.registry)
            if not fragments:
                continue
            for body in self._address_bodies(rule, ingress, local, full_local, remote_part):
                out.extend(
                    NftRule(_join(body, svc, sport, verdict), comment)
                    for svc in fragments for verdict, comment in verdicts
                )
        return out

    def allow_pieces(
        self, rule: Rule, direction: Direction, endpoint: Endpoint
    ) -> list[AllowPiece] | None:
        """``rule`` (an Allow) as set-lookup pieces, or None when it needs a rule of its own.

        It fits when it has no source ports, does not narrow the endpoint's own
        addresses and names no ICMP type: then it is remote addresses ×
        (ports | whole protocols | anything) per family. ``[]``: never matches.
        """
        if rule.action is not Action.ALLOW:
            return None
        planned = self._groups(rule, direction, endpoint)
        if planned is None:
            return []
        local, full_local, sport, groups = planned
        if sport:
            return None
        origin = rule_comment(rule.origin)
        out: list[AllowPiece] = []
        for remote_part, services in groups:
            shape = _service_shape(services)
            if shape is None:
                return None
            if not services:
                continue
            for version in (4, 6):
                if rule.ip_version not in (None, version):
                    continue
                mine, theirs = local.family(version), remote_part.family(version)
                if not mine or not theirs:
                    continue
                if mine != full_local.family(version):
                    return None
                out.append(AllowPiece(version, theirs, *shape, origin))
        return out

    def _by_destination(
        self, rule: Rule, remote: AddressSet
    ) -> list[tuple[AddressSet, ServiceSet]]:
        """Egress with named ports: ports depend on which endpoint owns the address.

        The same for every local endpoint, so computed once per rule and peer set.
        """
        self.used.add(rule)
        cached = self._by_dest.get(rule)
        if cached is not None and cached[0] == remote:
            return cached[1]
        by_services: dict[ServiceSet, list[IPAddress]] = {}
        owned: list[IPAddress] = []
        for e in self._owned:
            ips = [ip for ip in e.ips if ip in remote]
            if ips:
                by_services.setdefault(rule.services(e), []).extend(ips)
                owned.extend(ips)
        groups = [(AddressSet.of(ips), svc) for svc, ips in by_services.items()]
        rest = remote - AddressSet.of(owned)
        if rest:
            groups.append((rest, rule.services(None)))
        self._by_dest[rule] = (remote, groups)
        return groups

    def _source_ports(self, rule: Rule, endpoint: Endpoint | None) -> str | None:
        """``th sport`` match text, "" for any port, None when the rule cannot match."""
        ranges = rule.source_ports(endpoint)
        if ranges is None:
            return ""
        return f"th sport {set_literal(_ranges(ranges))}" if ranges else None

    def _address_bodies(
        self, rule: Rule, ingress: bool, local: AddressSet, full_local: AddressSet,
        remote: AddressSet,
    ) -> Iterable[str]:
        remote_dir, local_dir = ("saddr", "daddr") if ingress else ("daddr", "saddr")
        per_family: list[str] = []
        unrestricted = 0
        for version in (4, 6):
            if rule.ip_version not in (None, version):
                continue
            mine, theirs = local.family(version), remote.family(version)
            if not mine or not theirs:
                continue
            kw = _FAMILY[version][0]
            parts = []
            if mine != full_local.family(version):
                parts.append(f"{kw} {local_dir} {_inline(local, version)}")
            if not remote.is_full(version):
                parts.append(f"{kw} {remote_dir} {self.registry.addresses(version, theirs)}")
            if not parts:
                unrestricted += 1
                parts.append(f"meta nfproto {_FAMILY[version][2]}")
            per_family.append(" ".join(parts))
        if unrestricted == 2:
            # Both families, no address match: one family-less rule does it.
            return [""]
        return per_family

    def _verdict(self, rule: Rule) -> str:
        marks = self.marks
        if rule.action is Action.ALLOW:
            return f"counter meta mark set meta mark | 0x{marks.allow:x} return"
        if rule.action is Action.PASS:
            return f"counter meta mark set meta mark | 0x{marks.pass_:x} return"
        if rule.action is Action.DENY:
            return "counter drop"
        prefix = quote(log_prefix(f"{rule.origin} "))  # the kernel writes IN=... right after
        return f"counter limit rate {marks.log_rate} log prefix {prefix}"


def _inline(addresses: AddressSet, version: int) -> str:
    return set_literal(addresses.elements(version))


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)
