"""Allow-only tiers as set lookups, so a packet's cost does not grow with the policies.

In a tier whose applicable policies hold only Allow rules (every Kubernetes
NetworkPolicy tier), the order of the rules cannot change the verdict: the
tier allows exactly the union of its rules. So instead of one ``jump`` (and
mark check) per policy, an endpoint chain makes at most three lookups per
address family, each into one interval set of that union::

    ip saddr . meta l4proto . th dport @u4p-…   # some ports of TCP/UDP/SCTP/UDP-Lite
    ip saddr . meta l4proto @u4w-…              # whole protocols
    ip saddr @u4a-…                             # any protocol

(``daddr`` for egress). Rules that do not fit (source ports, ICMP types,
narrowed local addresses) stay in a residual policy chain that is jumped to
after the lookups. Sets are named by content, so endpoints with the same
union share them.

Counters: every set carries a counter per element, and each element's
comment is the origin of the rule it stands for. Elements are made disjoint,
and a part covered by several rules goes to the first of them in policy
order, the rule whose counter the packet would have hit in a chain of
jumps. A packet that several lookups would match counts on the first one
(ports, then whole protocols, then any), and on a set element rather than on
a residual rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from ..ir.addresses import AddressSet
from ..ir.intervals import Intervals
from ..ir.intervals import merge as _merge
from ..ir.intervals import subtract as _subtract
from .matches import AllowPiece, Registry
from .nft.objects import Rule, Set, quote
from .options import Marks

__all__ = ["UnionCompiler", "disjoint"]

_ADDR = {4: ("ip", "ipv4_addr"), 6: ("ip6", "ipv6_addr")}
# kind: (set name letter, type after the address, match after the address)
_KINDS = (
    ("p", " . inet_proto . inet_service", " . meta l4proto . th dport"),
    ("w", " . inet_proto", " . meta l4proto"),
    ("a", "", ""),
)
Box = tuple[tuple[int, int], tuple[int, int], str]  # (secondary range, address range, origin)


def disjoint(items: Sequence[tuple[Intervals, Intervals, str]]) -> list[Box]:
    """Disjoint boxes covering the union of ``(secondary, addresses, origin)`` items.

    Each part goes to the first item covering it. The secondary dimension
    (protocol << 16 | port, or protocol) is cut at every range edge; along
    it, equal neighbouring pieces are merged again.

    >>> disjoint([(((80, 80),), ((1, 5),), "a"), (((80, 90),), ((1, 9),), "b")])
    [((80, 80), (1, 5), 'a'), ((80, 80), (6, 9), 'b'), ((81, 90), (1, 9), 'b')]
    """
    cuts = sorted({v for sec, _, _ in items for lo, hi in sec for v in (lo, hi + 1)})
    runs: dict[tuple[tuple[int, int], str], list[list[int]]] = {}
    for lo, nxt in pairwise(cuts):
        covered: Intervals = ()
        for sec, remote, origin in items:
            if not any(a <= lo <= b for a, b in sec):
                continue
            new = _subtract(remote, covered) if covered else remote
            if not new:
                continue
            covered = _merge(covered + remote)
            for part in new:
                spans = runs.setdefault((part, origin), [])
                if spans and spans[-1][1] + 1 == lo:
                    spans[-1][1] = nxt - 1
                else:
                    spans.append([lo, nxt - 1])
    return sorted(((a, b), part, origin) for (part, origin), spans in runs.items()
                  for a, b in spans)


def _range(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo}-{hi}"


def _elements(version: int, kind: str, boxes: list[Box]) -> tuple[str, ...]:
    out: list[str] = []
    for (lo, hi), (alo, ahi), origin in boxes:
        family = ((alo, ahi),)
        addrs = AddressSet(family, ()) if version == 4 else AddressSet((), family)
        if kind == "p":  # one protocol's range at a time, should a run span two
            seconds = []
            for proto in range(lo >> 16, (hi >> 16) + 1):
                first, last = max(lo, proto << 16), min(hi, proto << 16 | 0xFFFF)
                seconds.append(f" . {proto} . {_range(first & 0xFFFF, last & 0xFFFF)}")
        elif kind == "w":
            seconds = [f" . {_range(lo, hi)}"]
        else:
            seconds = [""]
        comment = f" comment {quote(origin)}"
        out.extend(f"{a}{s}{comment}" for a in addrs.elements(version) for s in seconds)
    return tuple(out)


class UnionCompiler:
    """Lookup rules for allow-only tiers; equal unions compile once (per renderer)."""

    def __init__(self, registry: Registry, marks: Marks) -> None:
        self.registry = registry
        self.marks = marks
        self._done: dict[tuple[tuple[AllowPiece, ...], bool], tuple[list[Rule], list[Set]]] = {}

    def rules(self, pieces: tuple[AllowPiece, ...], ingress: bool) -> list[Rule]:
        """The lookups for ``pieces`` (in policy order); their sets go to the registry."""
        key = (pieces, ingress)
        done = self._done.get(key)
        if done is None:
            done = self._done[key] = self._compile(pieces, ingress)
        for item in done[1]:  # the registry may have pruned them since
            self.registry.sets.setdefault(item.name, item)
        return done[0]

    def prune(self) -> None:
        """Forget compiled unions whose sets the registry no longer keeps."""
        keep = self.registry.sets
        self._done = {k: v for k, v in self._done.items() if all(s.name in keep for s in v[1])}

    def _compile(self, pieces: tuple[AllowPiece, ...],
                 ingress: bool) -> tuple[list[Rule], list[Set]]:
        side = "saddr" if ingress else "daddr"
        verdict = f"meta mark set meta mark | 0x{self.marks.allow:x} return"
        rules: list[Rule] = []
        sets: list[Set] = []
        for version in (4, 6):
            keyword, addr_type = _ADDR[version]
            mine = [p for p in pieces if p.version == version]
            for kind, type_suffix, match_suffix in _KINDS:
                items = [(_secondary(p, kind), p.remote, p.origin) for p in mine]
                items = [i for i in items if i[0]]
                if not items:
                    continue
                elements = _elements(version, kind, disjoint(items))
                ref = self.registry.union(f"u{version}{kind}", addr_type + type_suffix, elements)
                sets.append(self.registry.sets[ref[1:]])
                rules.append(Rule(f"{keyword} {side}{match_suffix} {ref} {verdict}"))
        return rules, sets


def _secondary(piece: AllowPiece, kind: str) -> Intervals:
    if kind == "p":
        return piece.ports
    if kind == "w":
        return piece.protocols
    return ((0, 0),) if piece.anything else ()
