"""Exposure: what could reach a workload (or what it could reach), in selector terms.

The matrix answers for the pods in the manifests; exposure answers for every
peer the policies admit, existing or not: "pods with team=payments in all
namespaces on TCP 8080", "entire cluster", "any IPv4 address outside the
cluster". Each line is computed from the IR by ``exposure_terms.allowed_terms``
(the engine's walk of tiers, policies and rules, on peer sets instead of peer
classes) and lists the existing pods it matches.

Vocabulary (docs/semantics.md, "Exposure"):

* ``entire cluster and outside``: every peer, pods and addresses alike (a
  rule with no peers, or a direction no policy isolates);
* ``entire cluster``: every pod in every namespace;
* ``any IPv4 address outside the cluster``: ranges covering every address
  but the cluster's (the default pod CIDR 10.244.0.0/16, and every address a
  pod or host endpoint of the input has);
* ``except …``: what an earlier Deny (or Pass, to a tier that does not allow
  it) takes out of the line, in the rules' own terms when it cannot be
  subtracted from an address range.

>>> from netwarden import load_cluster
>>> report = exposure(load_cluster(["examples/seed-prod-dev"]))  # doctest: +SKIP
>>> [str(line) for line in report.workload("prod/Deployment/db").ingress]  # doctest: +SKIP
"""

from __future__ import annotations

import difflib
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .._errors import LookupFailed
from ..engine import Engine
from ..engine.connectivity import Connectivity
from ..ir import (
    Action,
    Cluster,
    Direction,
    Endpoint,
    EndpointKind,
    EntityMatch,
    Peer,
    PolicyIndex,
    Rule,
    Scope,
    ServiceSet,
)
from ..ir import selector as sel
from ..ir.addresses import AddressSet
from ..ir.services import PORT_PROTOCOLS, protocol_name, protocol_number
from ..load.addresses import POD_CIDR
from .exposure_ingress import ControllerRule, ingress_lines
from .exposure_services import service_lines
from .exposure_terms import (
    Term,
    address_only,
    allowed_terms,
    covers,
    disjoint,
    identity,
    match_covers,
    remote,
    term_addresses,
)
from .exposure_words import CLUSTER, match_text, selector_text
from .workload_names import WorkloadNames, workload_name

__all__ = ["Exposure", "ExposureLine", "Side", "WorkloadExposure", "exposure",
           "selector_text"]

ANY = "entire cluster and outside"
_EVERY_SERVICE = ServiceSet.all()
_EVERY_POD = EntityMatch(selector=sel.All(), scope=Scope(namespace_selector=sel.All()),
                         kinds=frozenset((EndpointKind.POD,)))
OUTSIDE = "any address outside the cluster"
KINDS = ("any", "cluster", "pods", "addresses", "names")


@dataclass(frozen=True, slots=True)
class ExposureLine:
    """One set of peers a workload is open to (or may open connections to), and on what.

    ``kind``: ``any`` (every peer), ``cluster`` (every pod), ``pods`` (pods
    or other endpoints chosen by selectors), ``addresses`` (address ranges),
    ``names`` (DNS names). ``peer`` is the simplified text; ``namespaces`` and
    ``pods`` its selector parts, ``addresses`` its ranges; ``except_`` what
    earlier Deny/Pass rules take out of it. ``port_names``: egress ports
    named on the peer (resolved per peer pod), counted only where the name
    resolves into ``names_within`` (earlier rules decided the other numbers).
    ``existing``: the workloads (or pods, host endpoints, network sets) of
    the input it matches.
    ``rules``: the rules that admit it. ``via``: the Service (``ns/svc/name``)
    through which outside addresses reach it, for lines of external
    Services (NodePort, LoadBalancer, externalIPs), or the Ingress
    (``ns/ingress/name``). ``caveat``: what the line holds only if, said
    beside it (an Ingress whose controller pods the input does not have).
    ``terms``: the same peer set in IR
    terms (``exposure_terms.Term``: rules whose far side a peer must and must
    not match), for programs that want to test a peer against the line.
    """

    direction: Direction
    kind: str
    peer: str
    services: ServiceSet
    namespaces: str | None = None
    pods: str | None = None
    addresses: tuple[str, ...] = ()
    except_: tuple[str, ...] = ()
    port_names: tuple[tuple[str, str], ...] = ()
    names_within: ServiceSet = _EVERY_SERVICE
    existing: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    via: str | None = None
    caveat: str | None = None
    terms: tuple[Term, ...] = field(default=(), compare=False, repr=False)

    @property
    def ports(self) -> str:
        """``all ports``, ``TCP 5432``, ``port named http``…"""
        parts = [] if not self.services else [
            "all ports" if self.services.is_all else str(self.services)]
        for proto, name in self.port_names:
            text = f"{proto} port named {name}" if proto != "any" else f"port named {name}"
            numbers = [protocol_number(proto)] if proto != "any" else sorted(PORT_PROTOCOLS)
            taken = ServiceSet.none()
            for number in numbers:
                taken = taken | (ServiceSet.protocol(number) - self.names_within)
            if self.names_within.is_all:
                taken = ServiceSet.none()
            parts.append(text + (f" unless it is {taken}" if taken else ""))
        return "; ".join(parts) or "no port"

    @property
    def text(self) -> str:
        """The peer and its exceptions, as one phrase."""
        return self.peer + "".join(f", except {e}" for e in self.except_)

    def __str__(self) -> str:
        return f"{self.text} : {self.ports}"

    def to_data(self) -> dict[str, Any]:
        return {"kind": self.kind, "peer": self.peer, "namespaces": self.namespaces,
                "pods": self.pods, "addresses": list(self.addresses),
                "except": list(self.except_), "services": self.services.to_json()
                if self.services else [],
                "port_names": [{"protocol": p, "name": n,
                                "within": self.names_within.to_json()}
                               for p, n in self.port_names],
                "ports": self.ports, "existing": list(self.existing),
                "rules": list(self.rules), "via": self.via, "caveat": self.caveat}


@dataclass(frozen=True, slots=True)
class Side:
    """One direction of one workload: isolated or not, and its lines."""

    direction: Direction
    isolated: bool
    lines: tuple[ExposureLine, ...]

    def to_data(self) -> dict[str, Any]:
        return {"isolated": self.isolated, "lines": [line.to_data() for line in self.lines]}


@dataclass(frozen=True, slots=True)
class WorkloadExposure:
    """``name`` as other answers name it (the pod key, ``prod/Deployment/db`` for several
    pods of one workload); ``workload`` is ``ns/Kind/name`` either way."""

    name: str
    namespace: str | None
    pods: tuple[str, ...]
    ingress: Side
    egress: Side
    workload: str = ""  # ``ns/Kind/name``, which every command also takes

    def side(self, direction: Direction) -> Side:
        return self.ingress if direction is Direction.INGRESS else self.egress

    def to_data(self) -> dict[str, Any]:
        return {"workload": self.name, "namespace": self.namespace, "pods": list(self.pods),
                "ingress": self.ingress.to_data(), "egress": self.egress.to_data()}


@dataclass(frozen=True, slots=True)
class Exposure:
    """Every workload's exposure, by name; ``to_data`` is the JSON contract (README)."""

    workloads: tuple[WorkloadExposure, ...]
    notes: tuple[str, ...] = field(default=())

    def workload(self, name: str) -> WorkloadExposure:
        for w in self.workloads:
            if name in (w.name, w.workload) or name in w.pods:
                return w
        raise LookupFailed(f"{name!r} is not a workload or pod with an address in this input")

    def to_data(self) -> dict[str, Any]:
        return {"workloads": [w.to_data() for w in self.workloads], "notes": list(self.notes)}


# -- the computation -------------------------------------------------------------
def exposure(cluster: Cluster, subjects: Iterable[str] | None = None,
             conn: Connectivity | None = None,
             controllers: Sequence[ControllerRule] | None = None) -> Exposure:
    """The exposure of every workload (or only of ``subjects``: workload names or pod keys).

    Pods are grouped by workload as ``who-can-reach`` groups them; pods of one
    workload with different exposure (labels that differ) are listed apart.
    ``controllers`` says which pods are the Ingress controller
    (``exposure_ingress``; None: the conventional namespaces).
    """
    conn = conn or Connectivity(cluster)
    builder = _Builder(cluster, conn, controllers)
    wanted = set(subjects) if subjects is not None else None
    groups: dict[tuple[str | None, str], list[Endpoint]] = {}
    for pod in conn.pods:
        name = workload_name(pod)
        if wanted is not None and name not in wanted and pod.key not in wanted:
            continue
        groups.setdefault((pod.namespace, name), []).append(pod)
    if wanted is not None and not groups:
        known = sorted({workload_name(p) for p in conn.pods} | {p.key for p in conn.pods})
        close = [c for name in sorted(wanted) for c in difflib.get_close_matches(name, known, 1)]
        hint = f"; did you mean {close[0]}?" if close else ""
        raise LookupFailed(f"{', '.join(sorted(wanted))!r}: no workload or pod with an "
                           f"address of that name in this input{hint}")
    out: list[WorkloadExposure] = []
    for shown, (namespace, pods) in sorted((builder.name(pods[0]), (ns, pods))
                                           for (ns, _), pods in groups.items()):
        by_result: dict[tuple[Side, Side], list[Endpoint]] = {}
        for pod in pods:
            sides = builder.sides(pod, pods)
            by_result.setdefault(sides, []).append(pod)
        split = len(by_result) > 1
        for (ingress, egress), members in by_result.items():
            keys = tuple(sorted(p.key for p in members))
            label = f"{shown} ({', '.join(keys)})" if split else shown
            out.append(WorkloadExposure(label, namespace, keys, ingress, egress,
                                        workload_name(pods[0])))
    return Exposure(tuple(out), builder.notes())




class _Builder:
    def __init__(self, cluster: Cluster, conn: Connectivity,
                 controllers: Sequence[ControllerRule] | None = None) -> None:
        self.cluster = cluster
        self.conn = conn
        self.index = PolicyIndex(cluster)
        self.space = AddressSet.of([POD_CIDR]) | AddressSet.of(
            a for e in cluster.endpoints if e.kind is not EndpointKind.NETWORK_SET
            for a in e.addresses)
        peers: list[tuple[Peer, tuple[Endpoint, ...]]] = [
            (c.peer, tuple(c.members)) for c in conn.classes]
        for e in cluster.endpoints:
            if e.kind is EndpointKind.HOST and e.ips:
                peers.append((Peer(e.ips[0], e, cluster.network_sets_at(e.ips[0])), (e,)))
            elif e.kind is EndpointKind.NETWORK_SET and e.nets:
                peers.append((Peer(e.nets[0].network_address, None, (e,)), (e,)))
        self.peers = peers
        self.name = WorkloadNames(cluster.pods)
        self._names = [frozenset(self.name(e) for e in members) for _, members in peers]
        elsewhere = sorted({str(ip) for e in cluster.pods for ip in e.ips if ip not in POD_CIDR})
        self.pod_nets = tuple(ipaddress.ip_network(n) for n in (str(POD_CIDR), *elsewhere))
        self._cache: dict[tuple[int, Direction, frozenset[str]], Side] = {}
        self._masks: dict[tuple[Rule, Direction], frozenset[int]] = {}
        engine = Engine(cluster)
        self.through = service_lines(engine, self.space) if cluster.services else {}
        self.ingress = ingress_lines(engine, controllers)

    def notes(self) -> tuple[str, ...]:
        """What the lines leave out, said once."""
        out = []
        hosts = sum(e.kind is EndpointKind.HOST for e in self.cluster.endpoints)
        if hosts:
            out.append(f"{hosts} host endpoint(s) appear as peers only: exposure is listed "
                       "for pods")
        if _unfollowed_names(self.cluster):
            out.append("an egress Pass on named ports hands those ports to later tiers, "
                       "whose rules on other port names the lines do not follow (two names "
                       "may stand for one number on some peer): they may show less than "
                       "is allowed")
        return (*out, *self.ingress.notes)

    def sides(self, pod: Endpoint, group: Sequence[Endpoint]) -> tuple[Side, Side]:
        klass = self.conn.classes[self.conn.class_of[pod.key]]
        own = frozenset((pod.key,)) if len(group) == 1 else frozenset()
        result = []
        for direction in Direction:
            key = (klass.index, direction, own)
            if key not in self._cache:
                self._cache[key] = self._side(klass.peer, direction, own)
            result.append(self._cache[key])
        extra = tuple(ExposureLine(Direction.INGRESS, "addresses", sl.peer, sl.services,
                                   rules=sl.rules, via=sl.service.key)
                      for sl in self.through.get(pod.key, ()))
        extra += tuple(ExposureLine(Direction.INGRESS, "addresses", il.peer, il.services,
                                    existing=il.admitted, rules=il.rules,
                                    via=il.ingress.key, caveat=il.caveat)
                       for il in self.ingress.lines.get(pod.key, ()))
        if extra:
            ingress = result[0]
            result[0] = Side(ingress.direction, ingress.isolated, ingress.lines + extra)
        return result[0], result[1]

    def _side(self, local: Peer, direction: Direction, own: frozenset[str]) -> Side:
        terms = allowed_terms(self.index, local, direction)
        if terms is None:
            every = Term(direction, (), (), ServiceSet.all())
            assert local.endpoint is not None
            why = ("not isolated: hostNetwork, so no policy applies to it"
                   if local.endpoint.host_network
                   else f"not isolated: no policy selects it for {direction.lower}")
            return Side(direction, False, (self._line([every], own, (why,)),))
        lines: dict[tuple[object, ...], tuple[list[Term], set[str]]] = {}
        assert local.endpoint is not None
        families = {ip.version for ip in local.endpoint.ips}
        for term in terms:
            term = self._pods_as_addresses(term)
            addresses = term_addresses(term)
            # Peers of an address family the workload has no address of never reach it.
            if not any(addresses.family(v) for v in families) \
                    or not (term.services or term.names):
                continue
            rendered = self._render(term)
            entry = lines.setdefault(rendered, ([], set()))
            entry[0].append(term)
            entry[1].add(_origin(term))
        built = [(terms, self._line(terms, own, tuple(sorted(origins))))
                 for terms, origins in lines.values()]
        wider = [[j != i and _subsumes(other_terms, other, ts, line, self.cluster)
                  for j, (other_terms, other) in enumerate(built)]
                 for i, (ts, line) in enumerate(built)]
        # Two lines that say the same set: the first one stays.
        kept = [line for i, (_, line) in enumerate(built)
                if not any(wider[i][j] and (not wider[j][i] or j < i)
                           for j in range(len(built)))]
        kept.sort(key=lambda line: (KINDS.index(line.kind), line.peer, line.except_))
        return Side(direction, True, tuple(kept))

    # -- rendering --------------------------------------------------------------
    def _render(self, term: Term) -> tuple[Any, ...]:
        kind, peer, namespaces, pods, addresses = self._peer(term)
        if term.direction is Direction.INGRESS:
            for rule in term.pos:
                clients = rule.source
                if clients.ports is not None or clients.not_ports is not None:
                    shown = ", ".join(f"{lo}-{hi}" if lo != hi else str(lo)
                                      for lo, hi in rule.source_ports(None) or ())
                    peer += f" from source ports {shown or 'none'}"
        excepts = tuple(self._exception(term, r) for r in term.neg
                        if not address_only(r, term.direction) or kind != "addresses")
        excepts += tuple(self._partial(term, r) for r in term.partial)
        names = tuple((protocol_name(p) if p is not None else "any", n) for p, n in term.names)
        return (kind, peer, namespaces, pods, addresses, excepts, names,
                term.within if names else ServiceSet.all())

    def _line(self, terms: list[Term], own: frozenset[str], rules: tuple[str, ...]) -> ExposureLine:
        kind, peer, namespaces, pods, addresses, excepts, names, within = \
            self._render(terms[0])
        services = ServiceSet.none()
        for term in terms:
            services = services | term.services
        hits: set[int] = set()
        for term in terms:
            hits |= self._members(term)
        existing: set[str] = set()
        for i in hits:
            members = self.peers[i][1]
            if own and any(e.key in own for e in members):
                existing.update(self.name(e) for e in members if e.key not in own)
            else:
                existing |= self._names[i]
        return ExposureLine(terms[0].direction, kind, peer, services, namespaces, pods,
                            addresses, excepts, names, within, tuple(sorted(existing)), rules,
                            terms=tuple(terms))

    def _pods_as_addresses(self, term: Term) -> Term:
        """An address line less "every pod" is the range less the pods' addresses.

        Pods take their addresses from the pod CIDR (and the input's pod IPs),
        so a Deny of every pod takes those addresses out of an address range,
        exactly; it is then subtracted like any range.
        """
        direction = term.direction
        if not term.pos or not all(address_only(r, direction) for r in term.pos):
            return term
        neg = tuple(self._pod_space_rule(r) if match_covers(remote(r, direction), _EVERY_POD,
                                                           self.cluster) else r
                    for r in term.neg)
        return term if neg == term.neg else replace(term, neg=neg)

    def _pod_space_rule(self, rule: Rule) -> Rule:
        far = EntityMatch(nets=self.pod_nets)
        return (replace(rule, source=far) if rule.origin.direction is Direction.INGRESS
                else replace(rule, destination=far))

    def _members(self, term: Term) -> set[int]:
        """Indexes of ``self.peers`` in the term: in every ``pos`` mask, in no ``neg`` one
        (``term_matches``, one rule at a time, each rule's mask computed once)."""
        out = set(range(len(self.peers)))
        for rule in term.pos:
            out &= self._mask(rule, term.direction)
        for rule in term.neg:
            out -= self._mask(rule, term.direction)
        return out

    def _mask(self, rule: Rule, direction: Direction) -> frozenset[int]:
        key = (rule, direction)
        if key not in self._masks:
            ns = self.cluster.ns_labels
            self._masks[key] = frozenset(i for i, (peer, _) in enumerate(self.peers)
                                         if rule.matches_remote(direction, peer, ns))
        return self._masks[key]

    def _peer(self, term: Term) -> tuple[str, str, str | None, str | None, tuple[str, ...]]:
        direction = term.direction
        owners = _narrowest([remote(r, direction) for r in term.pos
                             if identity(remote(r, direction))], self.cluster)
        domains = [d for r in term.pos for d in remote(r, direction).domains]
        addresses = term_addresses(term)
        if domains:
            return "names", "DNS names " + ", ".join(sorted(set(domains))), None, None, ()
        if not owners:
            if addresses == AddressSet.everything():
                return "any", ANY, None, None, ()
            text, spans = self._address_text(term, addresses)
            return "addresses", text, None, None, spans
        parts = [match_text(m) for m in owners]
        namespaces = " and ".join(dict.fromkeys(p[0] for p in parts))
        pods = " and ".join(dict.fromkeys(p[1] for p in parts))
        peer = " and ".join(dict.fromkeys(p[2] for p in parts))
        ranges: tuple[str, ...] = ()
        if any(remote(r, direction).nets or remote(r, direction).not_nets for r in term.pos) \
                or any(address_only(r, direction) for r in term.neg):
            ranges = tuple(_elements(addresses))
            peer += " at " + ", ".join(ranges)
        elif not addresses.v6 or not addresses.v4:
            peer += " (IPv4 only)" if addresses.v4 else " (IPv6 only)"
        kind = "cluster" if peer == CLUSTER else "pods"
        return kind, peer, namespaces, pods, ranges

    def _address_text(self, term: Term, addresses: AddressSet) -> tuple[str, tuple[str, ...]]:
        ranges = tuple(_elements(addresses))
        everything = AddressSet.everything()
        outside = everything - self.space
        parts = []
        for version, label in ((4, "IPv4 "), (6, "IPv6 ")):
            have = AddressSet(addresses.v4, ()) if version == 4 else AddressSet((), addresses.v6)
            if not have:
                continue
            out_f = AddressSet(outside.v4, ()) if version == 4 else AddressSet((), outside.v6)
            in_f = have & self.space
            if have.is_full(version):
                parts.append(f"any {label}address" + (" (the cluster's included)"
                                                       if version == 4 else ""))
            elif not (out_f - have):
                text = f"any {label}address outside the cluster"
                if in_f:
                    text += " and " + ", ".join(_elements(in_f))
                parts.append(text)
            else:
                parts.append(self._written(term) or ", ".join(_elements(have)))
        if len(parts) == 2 and parts[0].startswith("any IPv4 address outside") \
                and parts[1] == "any IPv6 address outside the cluster":
            return OUTSIDE, ranges
        return "; ".join(dict.fromkeys(parts)), ranges

    def _written(self, term: Term) -> str | None:
        """The range as the rule wrote it (``10.0.0.0/8 except 10.1.0.0/16``), when exact."""
        direction = term.direction
        written = [r for r in term.pos if remote(r, direction).nets]
        if len(written) != 1 or any(address_only(r, direction) for r in term.neg):
            return None
        far = remote(written[0], direction)
        text = ", ".join(str(n) for n in far.nets)
        if far.not_nets:
            text += " except " + ", ".join(str(n) for n in far.not_nets)
        return text

    def _exception(self, term: Term, rule: Rule, numbers: bool = True) -> str:
        far = remote(rule, term.direction)
        if identity(far):
            text = match_text(far)[2]
            if far.nets or far.not_nets:
                text += " at " + ", ".join(_elements(_far_addresses(far)))
        elif far.domains:
            text = "DNS names " + ", ".join(far.domains)
        elif far.nets or far.not_nets:
            text = ", ".join(_elements(_far_addresses(far)))
        else:
            text = "every peer"
        if numbers and (rule.protocol is not None or far.ports is not None
                        or rule.destination.ports):
            text += f" on {rule.services(None)}"
        return f"{text} ({_verb(rule)} by {rule.origin})"

    def _partial(self, term: Term, rule: Rule) -> str:
        """``TCP port named http towards …`` (and its numbers, when it has some)."""
        ports = rule.destination.ports
        names = ", ".join(ports.names) if ports is not None else ""
        numeric = rule.services(None)
        base = self._exception(term, rule, numbers=bool(numeric))
        proto = f"{protocol_name(rule.protocol)} " if rule.protocol is not None else ""
        return f"{proto}port named {names} towards {base}"


def _name_covered(name: tuple[str, str], within: ServiceSet, wide: ExposureLine) -> bool:
    """``wide`` has the port ``name`` wherever it may resolve (``within``): it names it
    too, resolving at least as widely, or its numbers hold all of ``within``."""
    if name in wide.port_names and not (within - wide.names_within):
        return True
    proto = name[0]
    space = ServiceSet.none()
    for number in ([protocol_number(proto)] if proto != "any" else sorted(PORT_PROTOCOLS)):
        space = space | ServiceSet.protocol(number)
    return not ((within & space) - wide.services)


def _port_names(rule: Rule) -> set[tuple[int | None, str]]:
    ports = rule.destination.ports
    return {(rule.protocol, n) for n in ports.names} if ports is not None else set()


def _unfollowed_names(cluster: Cluster) -> bool:
    """An egress Pass on named ports and another egress rule on other names (or on
    names excluded by ``notPorts``): a passed name meets a rule it may or may not match."""
    rules = [r for p in cluster.policies for r in p.egress
             if r.depends_on_named_ports and r.action is not Action.LOG]
    return any(p.action is Action.PASS and any(
        r is not p and (r.destination.not_ports is not None
                        or not {n for _, n in _port_names(p)} <= {n for _, n in _port_names(r)})
        for r in rules) for p in rules)


def _far_addresses(far: EntityMatch) -> AddressSet:
    out = AddressSet.everything()
    if far.nets:
        out = out & AddressSet.of(far.nets)
    if far.not_nets:
        out = out - AddressSet.of(far.not_nets)
    return out


def _verb(rule: Rule) -> str:
    return {Action.DENY: "denied", Action.PASS: "handed to later tiers"}.get(
        rule.action, "matched")


def _origin(term: Term) -> str:
    allows = [r for r in term.pos if r.action is Action.ALLOW]
    if allows:
        return str(allows[-1].origin)
    passes = [r for r in term.pos if r.action is Action.PASS]
    if passes:
        return f"passed on by {passes[-1].origin}, then no tier decided: allowed by default"
    return "no tier decided: allowed by default"




def _narrowest(matches: list[EntityMatch], cluster: Cluster) -> list[EntityMatch]:
    unique = list(dict.fromkeys(matches))
    return [m for m in unique
            if not any(o is not m and match_covers(m, o, cluster)
                       and not match_covers(o, m, cluster) for o in unique)] or unique[:1]


def _elements(addresses: AddressSet) -> list[str]:
    return list(addresses.elements(4)) + list(addresses.elements(6))


def _subsumes(wide_terms: list[Term], wide: ExposureLine, narrow_terms: list[Term],
              narrow: ExposureLine, cluster: Cluster) -> bool:
    """``wide`` already says everything ``narrow`` says (and ``narrow`` adds no rule text)."""
    if wide is narrow or (narrow.services - wide.services) \
            or not all(_name_covered(name, narrow.names_within, wide)
                       for name in narrow.port_names):
        return False
    if (wide.kind, wide.peer, wide.except_) == (narrow.kind, narrow.peer, narrow.except_) \
            and not narrow.port_names:
        return False
    for term in narrow_terms:
        if not any(not t.partial
                   and all(n in term.neg or disjoint(n, term.pos, term.direction, cluster)
                           for n in t.neg)
                   and (not t.pos or (len(t.pos) == 1
                                      and covers(t.pos[0], term.pos, term.direction, cluster)))
                   for t in wide_terms):
            return False
    return True
