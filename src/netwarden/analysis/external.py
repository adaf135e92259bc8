"""Addresses outside the cluster as nodes of the connectivity map.

Policies name address ranges (ipBlocks, Calico nets, network sets). Cutting
the address space at every boundary of those ranges gives elementary
intervals; every rule treats all addresses of one interval alike. Intervals
that belong to exactly the same ranges are merged into one node, so the
intervals no policy names become a single node, "any other address".

Each node joins the pod classes of ``Connectivity`` as one of its ``external``
endpoints: the engine's own class machinery then computes pod → range and
range → pod services, and a range has no policies of its own (it is outside
the cluster).

>>> [r.name for r in ranges(["10.0.0.0/8"], ["10.0.5.0/24"])]
['10.0.0.0-10.0.4.255, 10.0.6.0-10.255.255.255', '10.0.5.0/24', 'any other address']
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..engine.connectivity import Connectivity
from ..ir import Cluster, Endpoint, EndpointKind, IPNetwork, PolicyIndex

__all__ = ["OTHER_V4", "OTHER_V6", "AddressRange", "ExternalConnectivity", "range_endpoints",
           "ranges"]

OTHER_V4 = "any other address"
OTHER_V6 = "any other IPv6 address"
_TOP = {4: 1 << 32, 6: 1 << 128}


@dataclass(frozen=True, slots=True)
class AddressRange:
    """One node outside the cluster: intervals that every named range treats alike."""

    name: str
    version: int
    spans: tuple[tuple[int, int], ...]  # inclusive integer intervals

    @property
    def first(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        return ipaddress.ip_address(self.spans[0][0]) if self.version == 4 else \
            ipaddress.IPv6Address(self.spans[0][0])

    def contains(self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        value = int(ip)
        return ip.version == self.version and any(lo <= value <= hi for lo, hi in self.spans)


def ranges(*groups: Iterable[IPNetwork | str]) -> list[AddressRange]:
    """Disjoint address nodes for these networks (IPv4 always, IPv6 when named)."""
    nets = [ipaddress.ip_network(n) if isinstance(n, str) else n for g in groups for n in g]
    out: list[AddressRange] = []
    for version in (4, 6):
        family = [n for n in nets if n.version == version]
        if version == 6 and not family:
            continue
        cuts = sorted({0, _TOP[version]} | {int(n.network_address) for n in family}
                      | {int(n.broadcast_address) + 1 for n in family})
        by_signature: dict[frozenset[int], list[tuple[int, int]]] = {}
        for lo, nxt in itertools.pairwise(cuts):
            signature = frozenset(
                i for i, n in enumerate(family)
                if int(n.network_address) <= lo <= int(n.broadcast_address)
            )
            by_signature.setdefault(signature, []).append((lo, nxt - 1))
        for signature, spans in by_signature.items():
            if not signature:
                name = OTHER_V4 if version == 4 else OTHER_V6
            else:
                name = ", ".join(_span_text(lo, hi, version) for lo, hi in spans)
            out.append(AddressRange(name, version, tuple(spans)))
    # Named ranges by address, the catch-all last: reads naturally in a report.
    return sorted(out, key=lambda r: (r.name in (OTHER_V4, OTHER_V6), r.version, r.spans))


def _span_text(lo: int, hi: int, version: int) -> str:
    make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    first, last = make(lo), make(hi)
    nets = list(ipaddress.summarize_address_range(first, last))
    if len(nets) == 1:
        return str(nets[0])
    return f"{first}-{last}"


def range_endpoints(address_ranges: Iterable[AddressRange]) -> tuple[Endpoint, ...]:
    """One outside node per range: kind network set, key = the range's name, its first address."""
    return tuple(Endpoint(key=r.name, kind=EndpointKind.NETWORK_SET, name=r.name, ips=(r.first,))
                 for r in address_ranges)


class ExternalConnectivity(Connectivity):
    """``Connectivity`` with one class per address node outside the cluster.

    ``external`` holds one ``Endpoint`` per node (see ``range_endpoints``), so
    ``full_matrix``, ``Groups`` and the renderers show ranges without knowing
    about them. ``extra_nets`` adds boundaries, so that two clusters compared by
    ``diff`` share their nodes.
    """

    def __init__(
        self, cluster: Cluster, index: PolicyIndex | None = None,
        extra_nets: Sequence[IPNetwork] = (),
    ) -> None:
        self.ranges = ranges(cluster.named_nets, extra_nets)
        super().__init__(cluster, index, external=range_endpoints(self.ranges))
