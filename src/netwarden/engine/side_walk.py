"""One side's walk on peer classes: its prepared program, its state, its result.

A side (one class's egress or ingress) is walked once for all peer classes at
a time: peers are partitioned by their (undecided, allowed, passed) service
sets, so a rule costs one step per distinct state, not one per peer. The
result is a ``SideMap``: what each peer class ends with.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from ..ir import Action, ServiceSet

__all__ = ["Program", "SideMap", "Step", "WalkState", "patched"]

_ALL = ServiceSet.all()
_NONE = ServiceSet.none()

Step = tuple[int, Action, frozenset[int] | None, ServiceSet]
"""One rule's part in a walk: rule id, action, peer mask (None: every peer), services."""
Program = tuple[tuple[tuple[Step, ...], bool], ...]
"""Per tier that takes part, its steps and whether the tier passes on at its end."""


@dataclass(frozen=True, slots=True)
class SideMap:
    """Allowed services per peer class; peers not listed get ``default``.

    ``buckets`` holds the same information grouped by value, for grouping.
    """

    default: ServiceSet
    per: dict[int, ServiceSet]
    buckets: tuple[tuple[ServiceSet, frozenset[int]], ...] = ()

    def get(self, peer: int) -> ServiceSet:
        return self.per.get(peer, self.default)


class WalkState:
    """Peers partitioned by their (undecided, allowed, passed) service sets.

    Most peers share a state, so a rule costs one step per distinct state
    plus set operations on peer indexes, not one step per peer.
    """

    def __init__(self, peers: frozenset[int]) -> None:
        # Never mutated: every step builds new sets, so sets can be shared.
        self.buckets: Mapping[tuple[ServiceSet, ServiceSet, ServiceSet], AbstractSet[int]] = {
            (_ALL, _NONE, _NONE): peers
        }

    def apply(self, action: Action, mask: frozenset[int] | None, services: ServiceSet) -> None:
        if not services:
            return
        out: dict[tuple[ServiceSet, ServiceSet, ServiceSet], list[AbstractSet[int]]] = {}
        for state, peers in self.buckets.items():
            hit = peers if mask is None else peers & mask
            if hit:
                new = _step(action, services, *state)
                if new == state:
                    out.setdefault(state, []).append(peers)
                    continue
                out.setdefault(new, []).append(hit)
                if len(hit) == len(peers):
                    continue
                peers = peers - hit
            out.setdefault(state, []).append(peers)
        self.buckets = _merged(out)

    def end_tier(self, pass_through: bool) -> None:
        out: dict[tuple[ServiceSet, ServiceSet, ServiceSet], list[AbstractSet[int]]] = {}
        for (undecided, allowed, passed), peers in self.buckets.items():
            state = (undecided | passed if pass_through else passed, allowed, _NONE)
            out.setdefault(state, []).append(peers)
        self.buckets = _merged(out)

    def values(self) -> dict[int, ServiceSet]:
        """What each peer ends with."""
        return {p: allowed | undecided
                for (undecided, allowed, _), peers in self.buckets.items() for p in peers}

    def result(self) -> SideMap:
        values: dict[ServiceSet, set[int]] = {}
        for (undecided, allowed, _), peers in self.buckets.items():
            values.setdefault(allowed | undecided, set()).update(peers)
        default = max(values, key=lambda v: len(values[v]))
        buckets = tuple((v, frozenset(peers)) for v, peers in values.items() if v != default)
        per = {p: v for v, peers in buckets for p in peers}
        return SideMap(default, per, buckets)



def patched(side: SideMap, values: Mapping[int, ServiceSet], n: int) -> SideMap:
    """``side`` with the peers of ``values`` changed: equal by ``get`` to a fresh walk.

    The default stays while it is still the most common value (a fresh walk could
    break a tie between equally common values the other way; lookups are alike).
    """
    per = dict(side.per)
    for peer, value in values.items():
        if value == side.default:
            per.pop(peer, None)
        else:
            per[peer] = value
    groups: dict[ServiceSet, set[int]] = defaultdict(set)
    for peer, value in per.items():
        groups[value].add(peer)
    if any(len(peers) > n - len(per) for peers in groups.values()):
        groups[side.default] = set(range(n)) - set(per)
        default = max(groups, key=lambda v: len(groups[v]))
        buckets = tuple((v, frozenset(peers)) for v, peers in groups.items() if v != default)
        return SideMap(default, {p: v for v, peers in buckets for p in peers}, buckets)
    return SideMap(side.default, per, tuple((v, frozenset(peers)) for v, peers in groups.items()))


def _merged(
    parts: dict[tuple[ServiceSet, ServiceSet, ServiceSet], list[AbstractSet[int]]],
) -> dict[tuple[ServiceSet, ServiceSet, ServiceSet], AbstractSet[int]]:
    """One set per state; a state's only part is kept as it is (sets are never mutated)."""
    return {state: sets[0] if len(sets) == 1 else frozenset().union(*sets)
            for state, sets in parts.items()}


def _step(
    action: Action, services: ServiceSet, undecided: ServiceSet, allowed: ServiceSet,
    passed: ServiceSet,
) -> tuple[ServiceSet, ServiceSet, ServiceSet]:
    hit = undecided & services
    if not hit:
        return undecided, allowed, passed
    if action is Action.ALLOW:
        allowed = allowed | hit
    elif action is Action.PASS:
        passed = passed | hit
    return undecided - hit, allowed, passed
