"""Address sets as sorted, merged integer intervals, one per IP family.

The set-valued form of "which addresses does this rule side accept"
(``Cluster.peer_addresses``): ``except`` clauses, ``notNets`` and negated
selectors become plain set differences, so the dataplane writes one interval
set per rule side and family.

>>> a = AddressSet.of(["10.0.0.0/24"]) - AddressSet.of(["10.0.0.128/25"])
>>> a.elements(4)
('10.0.0.0/25',)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from .endpoints import IPAddress, IPNetwork
from .intervals import Intervals
from .intervals import intersect as _intersect
from .intervals import merge as _merge
from .intervals import subtract as _subtract

__all__ = ["AddressSet", "Intervals"]

_BITS = {4: 32, 6: 128}


@dataclass(frozen=True, slots=True)
class AddressSet:
    """IPv4 and IPv6 intervals; ``AddressSet.everything()`` is both full ranges."""

    v4: Intervals = ()
    v6: Intervals = ()

    @classmethod
    def everything(cls) -> AddressSet:
        return cls(((0, 2**32 - 1),), ((0, 2**128 - 1),))

    @classmethod
    def of(cls, items: Iterable[IPAddress | IPNetwork | str]) -> AddressSet:
        v4: list[tuple[int, int]] = []
        v6: list[tuple[int, int]] = []
        for item in items:
            net = ipaddress.ip_network(item, strict=False) if isinstance(item, str) else item
            if isinstance(net, ipaddress.IPv4Address | ipaddress.IPv6Address):
                lo = hi = int(net)
            else:
                lo, hi = int(net.network_address), int(net.broadcast_address)
            (v4 if net.version == 4 else v6).append((lo, hi))
        return cls(_merge(v4), _merge(v6))

    def family(self, version: int) -> Intervals:
        return self.v4 if version == 4 else self.v6

    def is_full(self, version: int) -> bool:
        return self.family(version) == ((0, 2 ** _BITS[version] - 1),)

    def __or__(self, other: AddressSet) -> AddressSet:
        return AddressSet(_merge(self.v4 + other.v4), _merge(self.v6 + other.v6))

    def __and__(self, other: AddressSet) -> AddressSet:
        return AddressSet(_intersect(self.v4, other.v4), _intersect(self.v6, other.v6))

    def __sub__(self, other: AddressSet) -> AddressSet:
        return AddressSet(_subtract(self.v4, other.v4), _subtract(self.v6, other.v6))

    def __bool__(self) -> bool:
        return bool(self.v4 or self.v6)

    def __contains__(self, ip: IPAddress) -> bool:
        value = int(ip)
        return any(lo <= value <= hi for lo, hi in self.family(ip.version))

    def elements(self, version: int) -> tuple[str, ...]:
        """nft interval-set elements: CIDR prefixes where exact, else ``a-b`` ranges."""
        out: list[str] = []
        for lo, hi in self.family(version):
            first, last = _address(version, lo), _address(version, hi)
            nets: list[IPNetwork] = list(
                ipaddress.summarize_address_range(first, last)
            )
            if len(nets) == 1:
                net = nets[0]
                out.append(str(net.network_address) if net.num_addresses == 1 else str(net))
            else:
                out.append(f"{first}-{last}")
        return tuple(out)


def _address(version: int, value: int) -> IPAddress:
    return ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value)
