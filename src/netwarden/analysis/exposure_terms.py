"""Peer sets in selector terms, and the ordered walk that builds them from the IR.

An exposure line is the set of peers that rules admit, written with the
rules' own selectors rather than enumerated over existing pods. A ``Term``
is such a set: peers the far side of every ``pos`` rule matches and of no
``neg`` rule matches, on ``services``. ``allowed_terms`` walks a subject's
tiers, policies and rules in the engine's order (``PolicyIndex.layers``) on
terms instead of peer classes: an Allow keeps what it matches of the
undecided terms, a Deny removes it (the term gains a ``neg``), a Pass moves
it on to the next tier, the end of a tier drops what is left unless the
tier's default is Pass, and what no tier decided is allowed.

Earlier Allow rules are not subtracted from what later rules see: what they
matched is allowed whatever comes next, so leaving it in a later term adds
nothing to the union of allowed terms. Deny and Pass rules are subtracted
exactly: in address terms by set difference, otherwise as a ``neg``.

>>> from netwarden.ir import selector as s
>>> label_witness([s.Eq("app", "db")], [s.In("tier", frozenset({"a"}))])
Labels({'app': 'db'})
>>> label_witness([s.Eq("app", "db"), s.Ne("app", "db")], []) is None
True
"""

from __future__ import annotations

import functools
import ipaddress
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from ..ir import (
    NAME_LABEL,
    Action,
    Cluster,
    Direction,
    Endpoint,
    EndpointKind,
    EntityMatch,
    Labels,
    Namespace,
    Peer,
    PolicyIndex,
    Rule,
    Scope,
    Selector,
    ServiceSet,
)
from ..ir import selector as sel
from ..ir.addresses import AddressSet
from ..ir.services import PORT_PROTOCOLS
from ..load.addresses import POD_CIDR

__all__ = [
    "Term",
    "address_only",
    "allowed_terms",
    "covers",
    "disjoint",
    "identity",
    "label_witness",
    "match_covers",
    "merge_passed",
    "remote",
    "term_addresses",
    "term_matches",
    "witness",
]

_ALL = ServiceSet.all()
_FRESH = "nw-any-other-value"
_EXACT = (sel.All, sel.Eq, sel.Ne, sel.In, sel.NotIn, sel.Has, sel.Not, sel.And, sel.Or)
_WITNESS_LIMIT = 20_000


@dataclass(frozen=True, slots=True)
class Term:
    """Peers the far side of every ``pos`` rule matches and of no ``neg`` rule, on ``services``.

    ``partial`` holds egress Deny/Pass rules on named ports (which resolve on
    each peer): they take only those ports from the peers they match.
    ``names``: (protocol or None for any, name) of egress ports named on the peer;
    a term with names is about those ports only (``services`` is empty), and
    only where the name resolves into ``within`` (what earlier rules left
    undecided: an admin Deny of TCP 81 before an Allow of the port named alt
    leaves the name to pods where alt is not 81).
    ``default`` marks what is allowed because no tier decided.
    """

    direction: Direction
    pos: tuple[Rule, ...]
    neg: tuple[Rule, ...]
    services: ServiceSet
    names: tuple[tuple[int | None, str], ...] = ()
    partial: tuple[Rule, ...] = ()
    default: bool = False
    within: ServiceSet = _ALL

    @property
    def open(self) -> ServiceSet:
        """What the term is still about: its services, or where its names may resolve."""
        return self.within if self.names else self.services

    def reopened(self, value: ServiceSet) -> Term:
        """The same peers on ``value`` (services, or where the names may resolve)."""
        return replace(self, within=value) if self.names else replace(self, services=value)


def remote(rule: Rule, direction: Direction) -> EntityMatch:
    return rule.sides(direction)[1]


def term_matches(term: Term, peer: Peer, cluster: Cluster) -> bool:
    """Whether ``peer`` belongs to the term's peer set (the IR's own matching)."""
    ns = cluster.ns_labels
    return (all(r.matches_remote(term.direction, peer, ns) for r in term.pos)
            and not any(r.matches_remote(term.direction, peer, ns) for r in term.neg))


# -- labels ----------------------------------------------------------------------
def _atoms(selector: Selector) -> Iterator[Selector]:
    if isinstance(selector, sel.Not):
        yield from _atoms(selector.operand)
    elif isinstance(selector, sel.And | sel.Or):
        for op in selector.operands:
            yield from _atoms(op)
    else:
        yield selector


def _exact(selector: Selector) -> bool:
    return all(isinstance(a, _EXACT) for a in _atoms(selector))


def _candidates(selectors: Sequence[Selector]) -> dict[str, list[str | None]]:
    values: dict[str, list[str | None]] = {}
    for selector in selectors:
        for atom in _atoms(selector):
            read = atom.keys()
            for key in read:
                out = values.setdefault(key, [None, _FRESH])
                literal = [v for v in (getattr(atom, "value", None),) if v is not None]
                literal += sorted(getattr(atom, "values", ()))
                out.extend(v for v in literal if v not in out)
    for key, out in values.items():  # prefix + suffix, for starts/ends-with pairs
        joined = "".join(v for v in out[2:] if v)
        if joined and joined not in out:
            out.append(joined)
        values[key] = out
    return values


def label_witness(must: Sequence[Selector], must_not: Sequence[Selector],
                  base: Labels | None = None) -> Labels | None:
    """Labels every ``must`` selector matches and no ``must_not`` selector does.

    Tries, for each label key the selectors read, absence, every value they
    name and one other value; for ``==``, ``!=``, ``in``, ``notin`` and
    ``has`` this is exhaustive, so None then means no label set exists.
    ``base`` labels are kept for keys no selector reads.
    """
    selectors = list(must) + list(must_not)
    choices = _candidates(selectors)
    keys = sorted(choices)
    total = 1
    for key in keys:
        total *= len(choices[key])
    if total > _WITNESS_LIMIT:
        return None
    start = dict(base or {})
    for combo in itertools.product(*(choices[k] for k in keys)):
        labels = dict(start)
        for key, value in zip(keys, combo, strict=True):
            if value is None:
                labels.pop(key, None)
            else:
                labels[key] = value
        frozen = Labels(labels)
        if all(s.matches(frozen) for s in must) and not any(s.matches(frozen) for s in must_not):
            return frozen
    return None


def _unsatisfiable(selectors: Sequence[Selector]) -> bool:
    """Provably no label set matches them all (only claimed for the exact operators)."""
    return all(_exact(s) for s in selectors) and label_witness(selectors, []) is None


# -- addresses -------------------------------------------------------------------
def _family(version: int | None) -> AddressSet:
    everything = AddressSet.everything()
    if version == 4:
        return AddressSet(everything.v4, ())
    if version == 6:
        return AddressSet((), everything.v6)
    return everything


def identity(match: EntityMatch) -> bool:
    return match.selector is not None or bool(match.service_accounts)


def address_only(rule: Rule, direction: Direction) -> bool:
    """The rule's far side is a plain address range: no selector, names or source ports."""
    far = remote(rule, direction)
    return (not identity(far) and far.not_selector is None and not far.domains
            and not (direction is Direction.INGRESS and far.ports is not None)
            and not (direction is Direction.INGRESS and far.not_ports is not None))


@functools.lru_cache(maxsize=8192)
def _addresses(rule: Rule, direction: Direction) -> AddressSet:
    far = remote(rule, direction)
    out = _family(rule.ip_version)
    if far.nets:
        out = out & AddressSet.of(far.nets)
    if far.not_nets:
        out = out - AddressSet.of(far.not_nets)
    return out


def term_addresses(term: Term) -> AddressSet:
    """The addresses the term's peers may have: its rules' ranges, less address-only negs."""
    out = AddressSet.everything()
    for rule in term.pos:
        out = out & _addresses(rule, term.direction)
    for rule in term.neg:
        if address_only(rule, term.direction):
            out = out - _addresses(rule, term.direction)
    return out


# -- relations between a rule and a term -----------------------------------------
def _named(scope: Scope) -> tuple[str, ...] | None:
    """The namespaces a scope is limited to by name, when it is (else None)."""
    if scope.namespace is not None:
        return (scope.namespace,)
    chosen = scope.namespace_selector
    parts = chosen.operands if isinstance(chosen, sel.And) else (chosen,)
    for part in parts:
        if isinstance(part, sel.Eq) and part.key == NAME_LABEL:
            return (part.value,)
        if isinstance(part, sel.In) and part.key == NAME_LABEL:
            return tuple(sorted(part.values))
    return None


def _admits(scope: Scope, namespace: str, cluster: Cluster) -> bool:
    """Whether ``scope`` admits endpoints of ``namespace`` (with its labels in the input)."""
    if scope.global_only:
        return False
    if scope.namespace is not None:
        return scope.namespace == namespace
    return scope.namespace_selector is None or scope.namespace_selector.matches(
        cluster.ns_labels(namespace))


def _scopes_conflict(a: EntityMatch, b: EntityMatch, cluster: Cluster) -> bool:
    sa, sb = a.scope, b.scope
    for one, other in ((sa, sb), (sb, sa)):
        names = _named(one)
        if names is not None:
            return not any(_admits(one, n, cluster) and _admits(other, n, cluster)
                           for n in names)
        if one.global_only and (other.namespace is not None
                                or other.namespace_selector is not None):
            return True
    if sa.namespace_selector is not None and sb.namespace_selector is not None:
        return _unsatisfiable([sa.namespace_selector, sb.namespace_selector])
    return False


def disjoint(rule: Rule, pos: Sequence[Rule], direction: Direction, cluster: Cluster) -> bool:
    """Provably no peer matches the far side of ``rule`` and of every ``pos`` rule."""
    rules = [rule, *pos]
    versions = {r.ip_version for r in rules if r.ip_version is not None}
    if len(versions) > 1:
        return True
    addresses = AddressSet.everything()
    for r in rules:
        addresses = addresses & _addresses(r, direction)
    if not addresses:
        return True
    owners = [remote(r, direction) for r in rules if identity(remote(r, direction))]
    if len(owners) < 2:
        return False
    kinds = frozenset(EndpointKind)
    for match in owners:
        kinds = kinds & match.kinds
    if not kinds:
        return True
    if any(_scopes_conflict(a, b, cluster) for a, b in itertools.combinations(owners, 2)):
        return True
    return _unsatisfiable([m.selector for m in owners if m.selector is not None])


def _implied(selector: Selector, by: Selector) -> bool:
    """Every label set ``by`` matches, ``selector`` matches too.

    Syntactically first (every operand of ``selector`` is an operand of
    ``by``); else, for the exact operators, when no label set matches ``by``
    and not ``selector`` (``env notin (p)`` is implied by ``env=q``).
    """
    if selector.is_all or selector == by:
        return True
    needed = selector.operands if isinstance(selector, sel.And) else (selector,)
    have = by.operands if isinstance(by, sel.And) else (by,)
    return all(n in have for n in needed) or _implied_by_labels(selector, by)


@functools.lru_cache(maxsize=8192)
def _implied_by_labels(selector: Selector, by: Selector) -> bool:
    return _exact(selector) and _exact(by) and label_witness([by], [selector]) is None


def match_covers(wide: EntityMatch, narrow: EntityMatch, cluster: Cluster) -> bool:
    """Provably every endpoint ``narrow`` selects is selected by ``wide`` too."""
    if not identity(narrow) or wide.not_selector is not None or wide.domains \
            or wide.service_accounts or wide.nets or wide.not_nets:
        return False
    if not wide.kinds >= narrow.kinds:
        return False
    ws, nsc = wide.scope, narrow.scope
    namespaced = nsc.namespace is not None or nsc.namespace_selector is not None
    every_namespace = ws.namespace_selector is not None and ws.namespace_selector.is_all
    names = _named(nsc)
    labelled = names is not None and all(_admits(ws, n, cluster) for n in names)
    # Namespaces chosen by labels: every label set the narrow selector admits, the wide one does.
    implied = ws.namespace_selector is not None and nsc.namespace_selector is not None \
        and not ws.global_only and not nsc.global_only \
        and _implied(ws.namespace_selector, nsc.namespace_selector)
    if not (ws == nsc or ws == Scope() or (every_namespace and namespaced) or labelled
            or implied):
        return False
    if wide.selector is None:
        return False
    return narrow.selector is not None and _implied(wide.selector, narrow.selector)


def covers(rule: Rule, pos: Sequence[Rule], direction: Direction, cluster: Cluster) -> bool:
    """Provably every peer of the ``pos`` rules also matches the far side of ``rule``."""
    far = remote(rule, direction)
    if direction is Direction.INGRESS and (far.ports is not None or far.not_ports is not None):
        return False
    if rule.ip_version is not None and not any(p.ip_version == rule.ip_version for p in pos):
        return False
    if address_only(rule, direction):
        wanted = _addresses(rule, direction)
        have = AddressSet.everything()
        for p in pos:
            have = have & _addresses(p, direction)
        return not (have - wanted)
    return any(match_covers(far, remote(p, direction), cluster) for p in pos)


# -- the walk --------------------------------------------------------------------
def allowed_terms(index: PolicyIndex, local: Peer, direction: Direction) -> list[Term] | None:
    """What ``local``'s policies admit in ``direction``, as terms; None: not isolated."""
    endpoint = local.endpoint
    assert endpoint is not None
    layers = index.layers(endpoint, direction)
    if not layers:
        return None
    cluster = index.cluster
    ns = cluster.ns_labels
    ingress = direction is Direction.INGRESS
    undecided = [Term(direction, (), (), _ALL)]
    allowed: list[Term] = []
    for tier, policies in layers:
        passed: list[Term] = []
        for policy in policies:
            for rule in policy.rules(direction):
                if rule.action is Action.LOG or not rule.matches_local(direction, local, ns):
                    continue
                if ingress and _never_from_client_port(rule):
                    continue
                if not ingress and rule.depends_on_named_ports:
                    undecided = _named_step(rule, undecided, allowed, passed, cluster)
                    continue
                services = rule.services(endpoint if ingress else None)
                undecided = _step(rule, services, undecided, allowed, passed, cluster)
        undecided = undecided + passed if tier.default_action is Action.PASS else passed
    allowed.extend(replace(t, default=True) for t in undecided)
    return merge_passed(allowed, cluster)


def _never_from_client_port(rule: Rule) -> bool:
    """An ingress rule on numeric source ports that the model's client port misses
    (clients connect from ``EPHEMERAL_PORT``), so the engine never matches it."""
    far = rule.source
    numeric = not ((far.ports and far.ports.names) or (far.not_ports and far.not_ports.names))
    return numeric and not rule.matches_source_port(None)


def _step(rule: Rule, services: ServiceSet, undecided: list[Term], allowed: list[Term],
          passed: list[Term], cluster: Cluster) -> list[Term]:
    if not services:
        return undecided
    out: list[Term] = []
    for term in undecided:
        # A term of named ports meets a rule on numbers where its names may resolve:
        # the rule decides for the peers whose name resolves into its ports.
        inter = term.open & services
        direction = term.direction
        if not inter or disjoint(rule, term.pos, direction, cluster):
            out.append(term)
            continue
        pos = (*term.pos, rule)
        hit = replace(term.reopened(inter), pos=pos, neg=tuple(
            n for n in term.neg if not disjoint(n, pos, direction, cluster)), default=False)
        if _empty(hit, cluster):
            out.append(term)
            continue
        if rule.action is Action.ALLOW:
            allowed.append(hit)
            out.append(term)
            continue
        if rule.action is Action.PASS:
            passed.append(hit)
        rest = term.open - services
        if rest:
            out.append(term.reopened(rest))
        if not covers(rule, term.pos, direction, cluster):
            left = replace(term.reopened(inter), neg=(*term.neg, rule))
            if not _empty(left, cluster):
                out.append(left)
    return out


def _empty(term: Term, cluster: Cluster) -> bool:
    """Provably no peer is left: an exception takes all the term's peers, or together
    they do (no pod can be built that the term admits)."""
    if any(covers(r, term.pos, term.direction, cluster) for r in term.neg):
        return True
    if _owned_by_exceptions(term, cluster):
        return True
    return len(term.neg) > 1 and witness(term, cluster) is False


def _owned_by_exceptions(term: Term, cluster: Cluster) -> bool:
    """An address term whose every address belongs to an existing endpoint that an
    exception takes: an address that is a pod's is that pod, so no peer is left."""
    direction = term.direction
    if not term.neg or not all(address_only(r, direction) for r in term.pos):
        return False
    addresses = term_addresses(term)
    if not addresses:
        return False
    ns = cluster.ns_labels
    taken = [ip for e in cluster.endpoints for ip in e.ips
             if any(r.matches_remote(direction, Peer(ip, e), ns) for r in term.neg)]
    return bool(taken) and not (addresses - AddressSet.of(taken))


_WITNESS_NEGS = 5


def witness(term: Term, cluster: Cluster) -> bool | None:
    """Whether some pod, existing or not, belongs to the term (None: cannot tell).

    Tries every namespace of the input and fresh namespaces whose labels the
    selectors allow, with pod labels built by ``label_witness``, each way of
    escaping the exceptions (by namespace or by pod labels); a candidate is
    tested with the IR's own matching. False is claimed only when every
    selector uses operators for which that search is exhaustive.
    """
    direction = term.direction
    owners = [remote(r, direction) for r in term.pos if identity(remote(r, direction))]
    negs = [remote(r, direction) for r in term.neg]
    if not owners or len(negs) > _WITNESS_NEGS or any(
            EndpointKind.POD not in m.kinds or m.domains or m.service_accounts
            or m.not_selector is not None for m in owners):
        return None
    addresses = term_addresses(term)
    pod_range = AddressSet.of([POD_CIDR]) & addresses
    spans = (pod_range or addresses).v4 or (pod_range or addresses).v6
    if not spans:
        return False
    value = spans[0][0]
    ip = ipaddress.ip_address(value) if (pod_range or addresses).v4 else \
        ipaddress.IPv6Address(value)
    pod_selectors = [m.selector for m in owners if m.selector is not None]
    ns_selectors = [m.scope.namespace_selector for m in owners
                    if m.scope.namespace_selector is not None]
    fixed = {m.scope.namespace for m in owners if m.scope.namespace is not None}
    neg_pods = [m.selector for m in negs if m.selector is not None]
    neg_ns = [m.scope.namespace_selector for m in negs if m.scope.namespace_selector is not None]
    every = pod_selectors + ns_selectors + neg_pods + neg_ns
    subsets = [list(c) for k in range(len(neg_ns) + 1)
               for c in itertools.combinations(neg_ns, k)]
    label_sets = {label_witness(pod_selectors, list(c)) for k in range(len(neg_pods) + 1)
                  for c in itertools.combinations(neg_pods, k)}
    namespaces: dict[str, Labels | None] = {n: None for n in cluster.all_namespaces}
    existing = frozenset(namespaces)
    for avoid in subsets:
        fresh = label_witness([*ns_selectors, sel.Has(NAME_LABEL)],
                              [*avoid, sel.In(NAME_LABEL, existing)] if existing else avoid)
        if fresh is not None:
            namespaces.setdefault(fresh[NAME_LABEL], fresh)
    for name, labels in namespaces.items():
        if fixed and name not in fixed:
            continue
        view = cluster if labels is None else replace(
            cluster, namespaces={**cluster.namespaces, name: Namespace(name, labels)})
        for pod_labels in label_sets:
            if pod_labels is None:
                continue
            candidate = Endpoint(f"{name}/nw-witness", EndpointKind.POD, "nw-witness", name,
                                 pod_labels, (ip,))
            if term_matches(term, Peer(ip, candidate), view):
                return True
    return False if all(_exact(s) for s in every) else None


def merge_passed(terms: list[Term], cluster: Cluster) -> list[Term]:
    """Drop exceptions that another allowed term gives back.

    A Pass leaves a term ``T except P`` and hands ``T and P`` on; when both
    end up allowed on the same services, the union is ``T`` without the
    exception, and ``T and P`` says nothing more unless it has fewer exceptions
    (a Deny after the Pass never applied to it). The same holds for a Pass on
    a named port: ``T except port named n towards P`` and ``T and P on the port
    named n``, allowed wherever the name may resolve in ``T``'s services.
    """
    out = _merge_named(list(terms))
    changed = True
    while changed:
        changed = False
        for i, term in enumerate(out):
            for rule in term.neg:
                others = [r for r in term.neg if r is not rule]
                for j, back in enumerate(out):
                    if j == i or set(back.pos) != {*term.pos, rule} \
                            or not set(back.neg) <= set(others) \
                            or (term.services - back.services) or back.partial != term.partial \
                            or back.names != term.names or (term.within - back.within):
                        continue
                    out[i] = replace(term, neg=tuple(others))
                    if set(back.neg) == set(others) and not (back.services - term.services) \
                            and not (back.within - term.within):
                        del out[j]
                    changed = True
                    break
                if changed:
                    break
            if changed:
                break
    return out


def _merge_named(terms: list[Term]) -> list[Term]:
    out = list(terms)
    for i, term in enumerate(out):
        if term.names or not term.partial:
            continue
        kept = []
        for rule in term.partial:
            wanted = {(rule.protocol, n) for _, n in _names_of(rule)}
            back = [t for t in out if t.names and set(t.names) <= wanted
                    and set(t.pos) == {*term.pos, _pods_only(rule), rule}
                    and not t.partial and set(t.neg) <= set(term.neg)]
            got = {n for t in back for n in t.names
                   if not ((term.services & _name_space(n)) - t.within)}
            if got != wanted:
                kept.append(rule)
        if len(kept) != len(term.partial):
            out[i] = replace(term, partial=tuple(kept))
    return out


def _pods_only(rule: Rule) -> Rule:
    """A rule whose far side is every pod: a port name resolves on pods only."""
    pods = EntityMatch(selector=sel.All(), scope=Scope(namespace_selector=sel.All()),
                       kinds=frozenset((EndpointKind.POD,)))
    return Rule(Action.ALLOW, rule.origin, destination=pods)


def _names_of(rule: Rule) -> tuple[tuple[int | None, str], ...]:
    ports = remote(rule, Direction.EGRESS).ports
    return tuple((rule.protocol, n) for n in ports.names) if ports is not None else ()


def _name_space(name: tuple[int | None, str]) -> ServiceSet:
    """Every number a port name of this protocol (None: any with ports) may stand for."""
    protocol = name[0]
    if protocol is not None:
        return ServiceSet.protocol(protocol)
    out = ServiceSet.none()
    for number in sorted(PORT_PROTOCOLS):
        out = out | ServiceSet.protocol(number)
    return out


def _named_term(term: Term, name: tuple[int | None, str], within: ServiceSet) -> Term:
    """``term`` on the one port ``name``: an exception on the same name takes its peers
    outright (a ``neg``); one on other names of its protocol may, by peer (it stays
    ``partial``: two names may be one number); one of another protocol never does."""
    same = tuple(r for r in term.partial if _same_port(name, r))
    other = tuple(r for r in term.partial if r not in same and (
        r.protocol is None or name[0] is None or r.protocol == name[0]))
    return Term(term.direction, term.pos, (*term.neg, *same), ServiceSet.none(), (name,),
                other, within=within)


def _same_port(name: tuple[int | None, str], rule: Rule) -> bool:
    """The rule's named ports include ``name`` (a term's one named port), whatever the peer."""
    protocol, text = name
    return (rule.protocol is None or rule.protocol == protocol) and any(
        text == n for _, n in _names_of(rule))


def _named_step(rule: Rule, undecided: list[Term], allowed: list[Term], passed: list[Term],
                cluster: Cluster) -> list[Term]:
    """An egress rule on named ports: its ports are those of each peer, by name.

    A term of numbers gains, for the peers the rule matches, a term per name,
    which may resolve only into the numbers the term still holds (``within``).
    A term of one named port (passed on by an earlier tier) is decided by a
    rule naming the same port for the peers it matches; a rule on other names
    may or may not meet it, by peer, and leaves it alone (``notes`` says so).
    """
    names = _names_of(rule)
    undecided = _step(rule, rule.services(None), undecided, allowed, passed, cluster)
    out = []
    for term in undecided:
        direction = term.direction
        if term.names:
            if not all(_same_port(n, rule) for n in term.names):
                out.append(term)
                continue
            hit_terms = [term]
            added: tuple[Rule, ...] = (rule,)
        else:
            added = (_pods_only(rule), rule)
            hit_terms = [_named_term(term, name, within) for name in names
                         if (within := term.services & _name_space(name))]
        pos = (*term.pos, *added)
        if any(disjoint(r, term.pos, direction, cluster) for r in added):
            out.append(term)
            continue
        hits = [h for h in (replace(t, pos=pos, neg=tuple(
            n for n in t.neg if not disjoint(n, pos, direction, cluster))) for t in hit_terms)
            if not _empty(h, cluster)]
        if rule.action is Action.ALLOW:
            allowed.extend(hits)
            out.append(term)
            continue
        if rule.action is Action.PASS:
            passed.extend(hits)
        if term.names:  # the same named port: the rule takes these peers, exactly
            if not covers(rule, term.pos, direction, cluster):
                left = replace(term, neg=(*term.neg, rule))
                if not _empty(left, cluster):
                    out.append(left)
        else:
            out.append(replace(term, partial=(*term.partial, rule)))
    return out
