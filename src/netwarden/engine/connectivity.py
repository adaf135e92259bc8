"""The full connectivity map, computed on equivalence classes of endpoints.

Endpoints are grouped by what the policies can observe (``classes.py``), so
each rule is matched once per class, and each class pair gets a
``ServiceSet``. Each class side is walked once for every peer class at a time
(``side_walk.py``).

The ordered evaluation below is ``evaluate_side`` run on sets of services
instead of one packet: the same tiers, the same rule matching methods, the
same end-of-tier and default outcomes; a property test holds them equal.
"""

from __future__ import annotations

import bisect
import copy
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

from ..ir import (
    Action,
    Cluster,
    Direction,
    Endpoint,
    EndpointKind,
    EntityMatch,
    IPNetwork,
    Peer,
    Policy,
    PolicyIndex,
    Rule,
    ServiceSet,
)
from .candidates import LabelIndex
from .classes import EndpointClass, classify
from .side_walk import Program, SideMap, Step, WalkState, patched

__all__ = ["Connectivity", "EndpointClass", "SideMap", "is_loopback"]

_ALL = ServiceSet.all()


class Connectivity:
    """Connectivity between every pair of pods (and host endpoints) of a cluster.

    ``external`` adds places outside the cluster as nodes of the map: each
    endpoint (kind network set, never policed, one address standing for a
    range every policy treats alike) becomes a class of its own after the
    pods' classes, so pod → outside and outside → pod services come from the
    same evaluation. ``pods`` are the cluster's own endpoints, ``endpoints``
    both.
    """

    def __init__(self, cluster: Cluster, index: PolicyIndex | None = None,
                 external: Sequence[Endpoint] = ()) -> None:
        self._cluster: Cluster | None = cluster
        # What the map reads while it walks (endpoints, namespaces, host endpoints):
        # the same in every variant, whose own cluster is built only when asked for.
        self._world = cluster
        self._pending: tuple[Connectivity, Rule, list[tuple[int, Direction]]] | None = None
        self.index = index or PolicyIndex(cluster)
        self.pods = tuple(
            e for e in cluster.endpoints if e.kind is EndpointKind.POD and e.ips
        )
        self.external = tuple(external)
        self.endpoints = self.pods + self.external
        classes = classify(cluster, self.pods)
        self._labels: LabelIndex | None = None   # the pods' classes, built on first use
        for e in self.external:
            if e.kind is not EndpointKind.NETWORK_SET or not e.ips:
                raise ValueError(f"{e.key}: an external node is a network set with an address")
            ip = e.ips[0]
            classes.append(EndpointClass(len(classes), [e], Peer(ip, None,
                                                                 cluster.network_sets_at(ip))))
        self.classes: tuple[EndpointClass, ...] = tuple(classes)
        self.class_of = {e.key: c.index for c in self.classes for e in c.members}
        self._masks: dict[tuple[object, ...], frozenset[int] | None] = {}
        self._by_ip: dict[int, tuple[list[int], list[int]]] | None = None
        self._all: frozenset[int] | None = None
        self._sides: dict[tuple[int, Direction, str | None], SideMap | None] = {}
        # A variant (``without_rule``): the map it was made from, the ids of the rules it
        # skips and, per direction, of the policies that held them (in ``index``).
        self._base: Connectivity | None = None
        self._skipped: frozenset[int] = frozenset()
        self._touched: dict[Direction, frozenset[int]] = {}
        self._owners: dict[int, list[tuple[int, Direction]]] | None = None
        self._removed: int | None = None   # the rule a variant removed from its base
        self._programs: dict[tuple[int, Direction, str | None], Program | None] = {}
        self._root_policies: tuple[Policy, ...] = cluster.policies
        # Host endpoints make node placement matter: pods on different nodes
        # cross the nodes' interfaces, where applyOnForward policies apply.
        self._forwarding = any(e.kind is EndpointKind.HOST for e in cluster.endpoints)

    # -- variants ---------------------------------------------------------------
    def without_rule(self, rule: Rule) -> Connectivity:
        """The map of the same cluster with ``rule`` (an object of its policies) removed.

        Classes, peer masks and the policy index are shared: removing a rule never
        makes two members of a class distinguishable, a mask depends only on the
        rule's far side, and a policy applies to the same endpoints with or
        without one of its rules. A side the rule cannot take part in (the other
        direction, or an endpoint its policy does not apply to) is this map's;
        the others are computed afresh, on demand, skipping the rule.
        """
        owners = () if id(rule) in self._skipped else self._rule_owners().get(id(rule), ())
        if not owners:
            raise ValueError(f"{rule.origin}: not a rule of this cluster")
        variant = copy.copy(self)
        variant._touched = dict(self._touched)
        for at, direction in owners:
            variant._touched[direction] = variant._touched.get(direction, frozenset()) | {
                id(self._root_policies[at])}
        variant._cluster = None
        variant._pending = (self, rule, list(owners))
        variant._sides = {}
        variant._base = self
        variant._skipped = self._skipped | {id(rule)}
        variant._removed = id(rule)
        return variant

    @property
    def cluster(self) -> Cluster:
        """The cluster this map is of (for a variant: its base's without the removed rule)."""
        if self._cluster is None:
            assert self._pending is not None
            base, rule, owners = self._pending
            policies = list(base.cluster.policies)
            for at, _ in owners:
                policies[at] = _without(policies[at], rule)
            self._cluster = replace(base.cluster, policies=tuple(policies))
        return self._cluster

    def _rule_owners(self) -> dict[int, list[tuple[int, Direction]]]:
        """Rule object id → where the policies hold it: (position in ``policies``, direction).

        Built once, on the map variants are made from, whose policies (those of
        ``index``) variants keep evaluating, skipping the rules they removed.
        """
        if self._owners is None:
            owners: dict[int, list[tuple[int, Direction]]] = defaultdict(list)
            for at, policy in enumerate(self.cluster.policies):
                for direction in Direction:
                    for rule in policy.rules(direction):
                        owners[id(rule)].append((at, direction))
            self._owners = dict(owners)
            self._root_policies = self.cluster.policies
        return self._owners

    def _untouched(self, c: int, direction: Direction, via: Endpoint | None) -> bool:
        """Whether no removed rule can take part in this side (the base map's side holds)."""
        touched = self._touched.get(direction)
        if not touched:
            return True
        layers = self.index.layers(via or self.classes[c].rep, direction,
                                   forwarded=via is not None)
        return not any(id(p) in touched for _, ps in layers for p in ps)

    @property
    def forwarding(self) -> bool:
        """Whether host endpoints police traffic between pods (forwarded sides join a cell)."""
        return self._forwarding

    def is_external(self, endpoint: Endpoint) -> bool:
        return endpoint.kind is EndpointKind.NETWORK_SET and endpoint in self.external

    # -- public queries -------------------------------------------------------
    def between(self, src: Endpoint, dst: Endpoint) -> ServiceSet:
        """Services on which ``src`` may open connections to ``dst``.

        An endpoint to itself: loopback (everything) for one pod; for a replicated
        workload, one replica to another, policed like any pair.
        """
        if is_loopback(src, dst):
            return _ALL
        return self.class_pair(self.class_of[src.key], self.class_of[dst.key])

    def class_pair(self, s: int, d: int) -> ServiceSet:
        egress = self.side(s, Direction.EGRESS)
        ingress = self.side(d, Direction.INGRESS)
        out = egress.get(d) if egress is not None else _ALL
        if ingress is not None and out:
            out = out & ingress.get(s)
        if self._forwarding and out:
            out = out & self._forwarded(s, d)
        return out

    def _forwarded(self, s: int, d: int) -> ServiceSet:
        """What the host endpoints between two classes' nodes let through."""
        src, dst = self.classes[s].rep, self.classes[d].rep
        if not self._world.crosses_host(src, dst):
            return _ALL
        out = _ALL
        for local, peer, direction in ((s, d, Direction.EGRESS), (d, s, Direction.INGRESS)):
            node = self.classes[local].rep.node
            for hep in self._world.forwarding_host_endpoints(node):
                side = self.side(local, direction, hep)
                if side is not None:
                    out = out & side.get(peer)
        return out

    def class_matrix(self, classes: Sequence[int] | None = None) -> list[list[ServiceSet]]:
        """``m[i][j]``: services from ``classes[i]`` to ``classes[j]`` (two distinct members).

        A pod talking to itself (loopback) is not in here; ``pairs`` and ``between`` add
        it. The cell of a replicated endpoint's class to itself is that of two replicas.
        """
        chosen = list(range(len(self.classes))) if classes is None else list(classes)
        egress, ingress = self._all_sides()
        rows = []
        for s in chosen:
            e = egress[s]
            e_default, e_per = (_ALL, {}) if e is None else (e.default, e.per)
            row = []
            for d in chosen:
                out = e_per.get(d, e_default)
                i = ingress[d]
                if i is not None and out:
                    out = out & i.per.get(s, i.default)
                if self._forwarding and out:
                    out = out & self._forwarded(s, d)
                row.append(out)
            rows.append(row)
        return rows

    def coarse_groups(self) -> list[list[int]]:
        """Classes that certainly have identical rows and columns, without the full matrix.

        Two classes qualify when their own side maps are equal and every class
        treats them alike as a peer; this is sufficient, not necessary, so the
        caller refines the result on the (much smaller) group matrix.
        """
        egress, ingress = self._all_sides()
        forwarded = self._all_forwarded_sides()
        as_peer: dict[int, list[int]] = defaultdict(list)
        token = 0
        for side in egress + ingress + [s for sides in forwarded for s in sides]:
            if side is None:
                continue
            for _, peers in side.buckets:
                token += 1  # "treated like this by that side"
                for peer in peers:
                    as_peer[peer].append(token)
        groups: dict[tuple[object, ...], list[int]] = {}
        for c in range(len(self.classes)):
            key = (_side_key(egress[c]), _side_key(ingress[c]),
                   tuple(_side_key(side) for side in forwarded[c]) if forwarded else (),
                   self.classes[c].rep.node if self._forwarding else None,
                   tuple(as_peer.get(c, ())))
            groups.setdefault(key, []).append(c)
        return list(groups.values())

    def pairs(self) -> Iterator[tuple[Endpoint, Endpoint, ServiceSet]]:
        matrix = self.class_matrix()
        for src in self.endpoints:
            row = matrix[self.class_of[src.key]]
            for dst in self.endpoints:
                yield src, dst, (_ALL if is_loopback(src, dst) else row[self.class_of[dst.key]])

    def _all_forwarded_sides(self) -> list[list[SideMap | None]]:
        if not self._forwarding:
            return []
        out = []
        for c in self.classes:
            heps = self._world.forwarding_host_endpoints(c.rep.node)
            out.append([self.side(c.index, direction, hep) for hep in heps
                        for direction in (Direction.EGRESS, Direction.INGRESS)])
        return out

    def _all_sides(self) -> tuple[list[SideMap | None], list[SideMap | None]]:
        n = len(self.classes)
        return ([self.side(c, Direction.EGRESS) for c in range(n)],
                [self.side(c, Direction.INGRESS) for c in range(n)])

    # -- one side, all peers --------------------------------------------------
    def side(
        self, c: int, direction: Direction, via: Endpoint | None = None
    ) -> SideMap | None:
        """What class ``c`` allows in one direction, per peer class (None: not isolated).

        With ``via``, the policies are those of host endpoint ``via`` that the
        traffic is forwarded through; rules still match ``c`` and its peers.
        """
        key = (c, direction, via.key if via is not None else None)
        if key not in self._sides:
            if self._base is not None and self._untouched(c, direction, via):
                self._sides[key] = self._base.side(c, direction, via)
            else:
                self._sides[key] = self._evaluate(self.classes[c], direction, via)
        return self._sides[key]

    def _evaluate(
        self, local: EndpointClass, direction: Direction, via: Endpoint | None = None
    ) -> SideMap | None:
        program = self._program(local, direction, via)
        if program is None:
            return None
        if self._base is not None and self._removed is not None:
            # Only the peers the removed rule matched can end differently: walk for
            # them alone and patch the side of the map this variant was made from.
            masks = [mask for steps, _ in program for rid, _, mask, _ in steps
                     if rid == self._removed]
            base = self._base.side(local.index, direction, via)
            if not masks or base is None:
                return base
            if all(mask is not None for mask in masks):
                peers = frozenset().union(*(m for m in masks if m is not None))
                return patched(base, self._run(program, peers).values(), len(self.classes))
        return self._run(program, self._everyone()).result()

    def _run(self, program: Program, peers: frozenset[int]) -> WalkState:
        """The ordered walk of ``_evaluate`` for ``peers``, skipping removed rules."""
        state = WalkState(peers)
        skipped = self._skipped
        some = len(peers) < len(self.classes)
        for steps, pass_through in program:
            for rid, action, mask, services in steps:
                if (skipped and rid in skipped) or (
                        some and mask is not None and peers.isdisjoint(mask)):
                    continue   # removed, or a rule none of these peers meets: no change
                state.apply(action, mask, services)
            state.end_tier(pass_through)
        return state

    def _program(self, local: EndpointClass, direction: Direction,
                 via: Endpoint | None) -> Program | None:
        """One side's walk, prepared: per tier the steps (rule id, action, peer mask,
        services) of the rules that match the local class, and whether the tier
        passes on at its end; None when no tier takes part (not isolated).

        Shared with the variants: a removed rule is skipped by its id.
        """
        key = (local.index, direction, via.key if via is not None else None)
        if key in self._programs:
            return self._programs[key]
        layers = self.index.layers(via or local.rep, direction, forwarded=via is not None)
        program: Program | None = None
        if layers:
            ingress = direction is Direction.INGRESS
            ns_labels = self._world.ns_labels
            tiers = []
            for tier, policies in layers:
                steps: list[Step] = []
                for policy in policies:
                    for rule in policy.rules(direction):
                        if rule.action is Action.LOG:
                            continue
                        if not rule.matches_local(direction, local.peer, ns_labels):
                            continue
                        mask = self._mask(rule, direction)
                        if ingress or not rule.depends_on_named_ports:
                            steps.append((id(rule), rule.action, mask,
                                          rule.services(local.rep) if ingress
                                          else rule.services(None)))
                        else:
                            by_services: dict[ServiceSet, set[int]] = defaultdict(set)
                            for peer in mask if mask is not None else range(len(self.classes)):
                                by_services[rule.services(self.classes[peer].rep)].add(peer)
                            steps.extend((id(rule), rule.action, frozenset(peers), services)
                                         for services, peers in by_services.items())
                tiers.append((tuple(steps), tier.default_action is Action.PASS))
            program = tuple(tiers)
        self._programs[key] = program
        return program

    def _everyone(self) -> frozenset[int]:
        if self._all is None or len(self._all) != len(self.classes):
            self._all = frozenset(range(len(self.classes)))
        return self._all

    def peer_classes(self, rule: Rule, direction: Direction) -> frozenset[int]:
        """The classes the far side of ``rule`` (in a ``direction`` policy) matches."""
        mask = self._mask(rule, direction)
        return frozenset(range(len(self.classes))) if mask is None else mask

    def _mask(self, rule: Rule, direction: Direction) -> frozenset[int] | None:
        """Peer classes the rule's far side matches; None means every class."""
        _, remote = rule.sides(direction)
        source_ports = direction is Direction.INGRESS and (
            rule.source.ports is not None or rule.source.not_ports is not None
        )
        # What ``matches_remote`` reads: the far side (with its source ports), the
        # family, and the protocol the source ports are of.
        key: tuple[object, ...] = (remote, rule.ip_version,
                                   rule.protocol if source_ports else None, source_ports)
        if key in self._masks:
            return self._masks[key]
        ns_labels = self._world.ns_labels
        hits = [c.index for c in self._candidates(remote)
                if rule.matches_remote(direction, c.peer, ns_labels)]
        mask = None if len(hits) == len(self.classes) else frozenset(hits)
        self._masks[key] = mask
        return mask

    def _candidates(self, remote: EntityMatch) -> Iterable[EndpointClass]:
        if remote.nets:
            # ``matches_peer`` needs the peer's address in one of ``nets``.
            return (self.classes[i] for i in sorted(self._in_nets(remote.nets)))
        if (remote.selector is not None or remote.service_accounts) \
                and not self._world.network_sets:
            # Without network sets a selector only sees the pods' classes (each
            # class's representative carries its labels on every key a selector
            # reads): those in the namespaces the scope admits that carry the
            # labels the selector requires.
            pods = self.classes[:len(self.classes) - len(self.external)]
            if self._labels is None:
                self._labels = LabelIndex([(c.rep.namespace, c.rep.labels) for c in pods])
            found = self._labels.candidates(remote.selector, remote.scope, self._world.ns_labels)
            return pods if found is None else (pods[i] for i in found)
        return self.classes

    def _in_nets(self, nets: Iterable[IPNetwork]) -> set[int]:
        """The classes whose peer address lies in one of ``nets`` (sorted addresses, bisected)."""
        if self._by_ip is None:
            by_version: dict[int, list[tuple[int, int]]] = defaultdict(list)
            for c in self.classes:
                if c.peer.ip is not None:
                    by_version[c.peer.ip.version].append((int(c.peer.ip), c.index))
            self._by_ip = {}
            for version, entries in by_version.items():
                entries.sort()
                self._by_ip[version] = ([ip for ip, _ in entries], [i for _, i in entries])
        out: set[int] = set()
        for net in nets:
            ips, indexes = self._by_ip.get(net.version, ([], []))
            lo = bisect.bisect_left(ips, int(net.network_address))
            hi = bisect.bisect_right(ips, int(net.broadcast_address))
            out.update(indexes[lo:hi])
        return out


def is_loopback(src: Endpoint, dst: Endpoint) -> bool:
    """One pod talking to itself: loopback, which policy cannot block. An endpoint that
    stands for two or more replicas talking to itself is one replica talking to
    another: a real pair, policed (docs/semantics.md, "Replicas")."""
    return src.key == dst.key and not src.replicated


def _without(policy: Policy, rule: Rule) -> Policy:
    for direction in Direction:
        rules = policy.rules(direction)
        if any(r is rule for r in rules):
            kept = tuple(r for r in rules if r is not rule)
            return (replace(policy, ingress=kept) if direction is Direction.INGRESS
                    else replace(policy, egress=kept))
    return policy


def _side_key(side: SideMap | None) -> object:
    return None if side is None else (side.default, frozenset(side.buckets))
