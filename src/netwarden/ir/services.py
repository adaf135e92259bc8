"""The space a rule matches besides addresses: protocol × port (or ICMP type/code).

A ``ServiceSet`` is an exact, immutable subset of that space. Connectivity is
computed on these sets rather than on single ports, so "TCP 1-65535" costs the
same as "TCP 80". The second coordinate is the destination port for TCP, UDP,
SCTP and UDPLite, ``type << 8 | code`` for ICMP and ICMPv6, and unused (always
the whole range) for every other protocol.

>>> web = ServiceSet.ports(TCP, [(80, 80), (8000, 8100)])
>>> web.contains(TCP, 8080), web.contains(UDP, 8080), str(web)
(True, False, 'TCP 80, 8000-8100')
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .intervals import Intervals
from .intervals import intersect as _intersect
from .intervals import merge as _normalize
from .intervals import subtract as _subtract

__all__ = [
    "ECHO_REQUEST",
    "ICMP",
    "ICMPV6",
    "PORT_PROTOCOLS",
    "PROTOCOL_NAMES",
    "SCTP",
    "TCP",
    "UDP",
    "UDPLITE",
    "ServiceSet",
    "protocol_name",
    "protocol_number",
]

ICMP, TCP, UDP, ICMPV6, SCTP, UDPLITE = 1, 6, 17, 58, 132, 136
PROTOCOL_NAMES = {TCP: "TCP", UDP: "UDP", SCTP: "SCTP", ICMP: "ICMP", ICMPV6: "ICMPv6",
                  UDPLITE: "UDPLite"}
_NUMBERS = {name.upper(): number for number, name in PROTOCOL_NAMES.items()}
PORT_PROTOCOLS = frozenset((TCP, UDP, SCTP, UDPLITE))
ICMP_PROTOCOLS = frozenset((ICMP, ICMPV6))
# What "ICMP" means when no type is given: ping, i.e. an echo request (type << 8 | code).
ECHO_REQUEST = {ICMP: 8 << 8, ICMPV6: 128 << 8}
_FULL_PORTS = ((1, 65535),)
_FULL_VALUES = ((0, 65535),)



def protocol_name(number: int) -> str:
    return PROTOCOL_NAMES.get(number, str(number))


def protocol_number(name: str | int) -> int:
    """``"TCP"``/``"tcp"``/``6`` → 6. Raises ``ValueError`` for unknown names."""
    if isinstance(name, int):
        return name
    if name.isdigit():
        return int(name)
    try:
        return _NUMBERS[name.upper()]
    except KeyError:
        raise ValueError(f"unknown protocol {name!r}") from None


def full_range(protocol: int) -> Intervals:
    return _FULL_PORTS if protocol in PORT_PROTOCOLS else _FULL_VALUES


@dataclass(frozen=True, slots=True)
class ServiceSet:
    """A set of (protocol, value) pairs.

    ``listed`` gives the values of protocols named explicitly; when ``others``
    is true, every protocol *not* listed is included with all its values.
    """

    listed: tuple[tuple[int, Intervals], ...] = ()
    others: bool = False

    # -- construction -------------------------------------------------------
    @classmethod
    def all(cls) -> ServiceSet:
        return _ALL

    @classmethod
    def none(cls) -> ServiceSet:
        return _NONE

    @classmethod
    def protocol(cls, protocol: int) -> ServiceSet:
        return cls(((protocol, full_range(protocol)),))

    @classmethod
    def ports(cls, protocol: int, ranges: Iterable[tuple[int, int]]) -> ServiceSet:
        values = _normalize(ranges)
        return cls(((protocol, values),)) if values else _NONE

    @classmethod
    def icmp(cls, protocol: int, icmp_type: int | None, code: int | None) -> ServiceSet:
        if icmp_type is None:
            return cls.protocol(protocol)
        if code is None:
            return cls.ports(protocol, [(icmp_type << 8, icmp_type << 8 | 255)])
        value = icmp_type << 8 | code
        return cls.ports(protocol, [(value, value)])

    def _map(self) -> dict[int, Intervals]:
        return dict(self.listed)

    @classmethod
    def _from(cls, values: dict[int, Intervals], others: bool) -> ServiceSet:
        # A listed protocol equal to what ``others`` already implies is dropped,
        # so equal sets have one representation (dataclass equality is exact).
        kept = tuple(
            sorted(
                (p, v) for p, v in values.items()
                if (v != full_range(p) if others else bool(v))
            )
        )
        if not kept:
            return _ALL if others else _NONE
        return cls(kept, others)

    # -- algebra ------------------------------------------------------------
    def _values(self, protocol: int, table: dict[int, Intervals]) -> Intervals:
        if protocol in table:
            return table[protocol]
        return full_range(protocol) if self.others else ()

    def union(self, other: ServiceSet) -> ServiceSet:
        if other is _NONE or self is other:
            return self
        if self is _NONE:
            return other
        a, b = self._map(), other._map()
        out = {p: _normalize(self._values(p, a) + other._values(p, b)) for p in a.keys() | b.keys()}
        return ServiceSet._from(out, self.others or other.others)

    def intersection(self, other: ServiceSet) -> ServiceSet:
        if self is _NONE or other is _NONE:
            return _NONE
        if other is _ALL:
            return self
        if self is _ALL:
            return other
        a, b = self._map(), other._map()
        out = {p: _intersect(self._values(p, a), other._values(p, b)) for p in a.keys() | b.keys()}
        return ServiceSet._from(out, self.others and other.others)

    def difference(self, other: ServiceSet) -> ServiceSet:
        if self is _NONE or other is _NONE:
            return self
        if other is _ALL:
            return _NONE
        a, b = self._map(), other._map()
        out = {p: _subtract(self._values(p, a), other._values(p, b)) for p in a.keys() | b.keys()}
        return ServiceSet._from(out, self.others and not other.others)

    __or__ = union
    __and__ = intersection
    __sub__ = difference

    # -- queries ------------------------------------------------------------
    def __bool__(self) -> bool:
        return bool(self.listed) or self.others

    @property
    def is_all(self) -> bool:
        return self.others and not self.listed

    def contains(self, protocol: int, value: int | None = None) -> bool:
        """Whether the set holds ``protocol`` at ``value`` (any value when None)."""
        values = self._values(protocol, self._map())
        if value is None:
            return values == full_range(protocol)
        return any(lo <= value <= hi for lo, hi in values)

    def protocols(self) -> Iterator[tuple[int, Intervals]]:
        """Listed protocols with their values (``others`` is not expanded)."""
        yield from self.listed

    def to_json(self) -> str | list[dict[str, object]]:
        """``"all"``, or a list of ``{"protocol", "ports"}`` (ICMP: ``"types"``)."""
        if self.is_all:
            return "all"
        out: list[dict[str, object]] = []
        if self.others:
            shown = self._map()
            for proto in (TCP, UDP, SCTP):
                shown.setdefault(proto, full_range(proto))
            for proto, values in sorted(shown.items()):
                if values:
                    out.append(_entry(proto, values))
            other: dict[str, object] = {"protocol": "other"}
            excluded = [protocol_name(p) for p, v in self.listed if not v]
            if excluded:
                other["except"] = excluded
            out.append(other)
            return out
        return [_entry(p, v) for p, v in self.listed]

    def __str__(self) -> str:
        if self.is_all:
            return "all"
        if not self:
            return "none"
        parts = [_describe(p, v) for p, v in self.listed if v]
        if self.others:
            listed = ", ".join(protocol_name(p) for p, _ in self.listed)
            parts.append(f"every protocol except {listed}" if not parts else
                         f"every other protocol than {listed}")
        return "; ".join(parts)


def _entry(protocol: int, values: Intervals) -> dict[str, object]:
    if protocol in PORT_PROTOCOLS:
        return {"protocol": protocol_name(protocol), "ports": [list(r) for r in values]}
    if protocol in ICMP_PROTOCOLS and values != _FULL_VALUES:
        return {"protocol": protocol_name(protocol), "types": [list(r) for r in values]}
    return {"protocol": protocol_name(protocol)}


def _describe(protocol: int, values: Intervals) -> str:
    name = protocol_name(protocol)
    if values == full_range(protocol):
        return name
    if protocol in PORT_PROTOCOLS:
        return f"{name} " + ", ".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in values)
    if protocol in ICMP_PROTOCOLS:
        return f"{name} " + ", ".join(_icmp_text(lo, hi) for lo, hi in values)
    return name


def _icmp_text(lo: int, hi: int) -> str:
    if lo == hi:
        return f"type {lo >> 8} code {lo & 255}"
    if lo & 255 == 0 and hi & 255 == 255 and lo >> 8 == hi >> 8:
        return f"type {lo >> 8}"
    return f"types {lo >> 8}/{lo & 255}-{hi >> 8}/{hi & 255}"


_ALL = ServiceSet((), True)
_NONE = ServiceSet((), False)
