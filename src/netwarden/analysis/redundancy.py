"""Rules whose removal leaves the connectivity map unchanged, and what covers them.

The definition is semantic: drop the rule, recompute, compare. To make that
cheap, only the sides that can change are recomputed — those of the classes
the rule's policy applies to, in the rule's direction — on
``Connectivity.without_rule``, which keeps the classes and peer masks. A side that changed may still
leave every connection unchanged when the peers' own policies deny what it
allowed; that counts as redundant too, and says so.

Naming the rule that covers a redundant one is best effort: a rule of the
same direction, applying to the same classes, whose peer classes and
services include the redundant rule's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from ..engine.connectivity import Connectivity, SideMap
from ..ir import Action, Direction, Policy, Rule, ServiceSet

__all__ = ["Redundant", "redundant_rules"]


@dataclass(frozen=True, slots=True)
class Redundant:
    """``rule`` of ``policy`` changes nothing; ``covering`` names what does the work.

    ``reason``: ``covered`` (other rules already decide the same traffic),
    ``other-side`` (what it allows, the peers' policies deny) or ``dead``
    (it matches no connection of this cluster).
    """

    policy: Policy
    rule: Rule
    reason: str
    covering: tuple[Rule, ...] = ()
    shadowing_allow: bool = False  # an earlier Allow covers this Deny/Pass


def redundant_rules(conn: Connectivity, skip: frozenset[tuple[str, str, int]] = frozenset(),
                    ) -> Iterator[Redundant]:
    """Every redundant rule of the cluster, policy by policy in evaluation order.

    ``skip`` holds ``(policy id, direction, rule index)`` already reported elsewhere.
    """
    cluster = conn.cluster
    finder = _Finder(conn)
    for _, policies in cluster.evaluation_order:
        for policy in policies:
            for direction in (Direction.INGRESS, Direction.EGRESS):
                rules = policy.rules(direction)
                if direction not in policy.types or not rules:
                    continue
                affected = finder.affected(policy, direction)
                if not affected:
                    continue
                for i, rule in enumerate(rules):
                    o = rule.origin
                    if rule.action is Action.LOG or (policy.id, direction.value, o.rule) in skip:
                        continue
                    found = finder.check(policy, direction, i, affected)
                    if found is not None:
                        yield found


class _Finder:
    def __init__(self, conn: Connectivity) -> None:
        self.conn = conn
        self.n = len(conn.classes)
        self._applied: dict[Direction, dict[int, list[int]]] = {}

    def affected(self, policy: Policy, direction: Direction) -> list[int]:
        """The classes ``policy`` applies to in ``direction``, in class order."""
        by_policy = self._applied.get(direction)
        if by_policy is None:
            # One pass over the classes for every policy, not one per policy.
            by_policy = self._applied[direction] = defaultdict(list)
            index = self.conn.index
            for c in self.conn.classes:
                for _, ps in index.layers(c.rep, direction):
                    for p in ps:
                        by_policy[id(p)].append(c.index)
        return by_policy.get(id(policy), [])

    # -- the semantic test ---------------------------------------------------
    def check(self, policy: Policy, direction: Direction, i: int,
              affected: Sequence[int]) -> Redundant | None:
        rule = policy.rules(direction)[i]
        live = [c for c in affected if self._local(rule, c, direction)]
        if not live or not self.mask(rule, direction) or not any(
                self._services(rule, c, direction) for c in live):
            return Redundant(policy, rule, "dead")
        variant = self.conn.without_rule(rule)
        changed = [c for c in affected
                   if not _same(self.conn.side(c, direction), variant.side(c, direction), self.n)]
        if not changed:
            covering = self._covering(policy, rule, direction, live)
            allow = rule.action is not Action.ALLOW and any(
                r.action is Action.ALLOW for r in covering)
            return Redundant(policy, rule, "covered", covering, allow)
        if all(self._cells_equal(variant, c, direction) for c in changed):
            return Redundant(policy, rule, "other-side")
        return None

    def _cells_equal(self, variant: Connectivity, c: int, direction: Direction) -> bool:
        conn = self.conn
        # A cell can change only where the side changed, unless host endpoints on
        # the way (forwarded sides) may change too: then every cell is compared.
        others: Iterable[int] = range(self.n) if conn.forwarding else _differing(
            conn.side(c, direction), variant.side(c, direction), self.n)
        for other in others:
            if direction is Direction.EGRESS:
                old, new = conn.class_pair(c, other), variant.class_pair(c, other)
            else:
                old, new = conn.class_pair(other, c), variant.class_pair(other, c)
            if old != new:
                return False
        return True

    # -- naming what covers it --------------------------------------------------
    def _covering(self, policy: Policy, rule: Rule, direction: Direction,
                  live: Sequence[int]) -> tuple[Rule, ...]:
        index = self.conn.index
        candidates: list[tuple[Policy, Rule]] = []
        seen: set[int] = set()
        for c in live:
            for _, ps in index.layers(self.conn.classes[c].rep, direction):
                for p in ps:
                    if id(p) in seen:
                        continue
                    seen.add(id(p))
                    candidates.extend((p, r) for r in p.rules(direction)
                                      if r is not rule and r.action is not Action.LOG)
        mask = self.mask(rule, direction)
        whole = [r for p, r in candidates
                 if self.mask(r, direction) >= mask and all(
                     self._local(r, c, direction) and p.applies_to(
                         self.conn.classes[c].rep, self.conn.cluster.ns_labels)
                     and not (self._services(rule, c, direction) - self._services(r, c, direction))
                     for c in live)]
        if whole:
            return (whole[0],)
        overlap = [r for _, r in candidates if self.mask(r, direction) & mask]
        return tuple(overlap[:3])

    def mask(self, rule: Rule, direction: Direction) -> frozenset[int]:
        return self.conn.peer_classes(rule, direction)

    def _local(self, rule: Rule, c: int, direction: Direction) -> bool:
        return rule.matches_local(direction, self.conn.classes[c].peer,
                                  self.conn.cluster.ns_labels)

    def _services(self, rule: Rule, c: int, direction: Direction) -> ServiceSet:
        if direction is Direction.INGRESS:
            return rule.services(self.conn.classes[c].rep)
        if not rule.depends_on_named_ports:
            return rule.services(None)
        out = ServiceSet.none()
        for peer in self.mask(rule, direction):
            out = out | rule.services(self.conn.classes[peer].rep)
        return out


def _differing(a: SideMap | None, b: SideMap | None, n: int) -> Iterable[int]:
    """The peer classes two sides treat differently (all of them, when one is not isolated)."""
    if a is None or b is None or a.default != b.default:
        return range(n)
    return sorted(p for p in set(a.per) | set(b.per) if a.get(p) != b.get(p))


def _same(a: SideMap | None, b: SideMap | None, n: int) -> bool:
    if a is None or b is None:
        return a is b
    if a.default == b.default:
        # Peers listed in neither map get the common default: only the listed ones can differ.
        return a.per == b.per or all(a.get(p) == b.get(p) for p in set(a.per) | set(b.per))
    return all(a.get(p) == b.get(p) for p in range(n))
