"""Which flows a user means: ``--from``/``--to`` as every command names endpoints.

An end is named ``namespace/pod``, ``namespace/Kind/workload`` (the kind in any case,
as kubectl takes ``deployment/web``), a pod name in ``default``, an IP address, or an
address range (CIDR) for ends outside the cluster and pods alike.

>>> from .record import FlowEnd, Workload
>>> web = FlowEnd(namespace="shop", pod="web-1", workload=Workload("Deployment", "web"),
...               address="10.0.1.5")
>>> [EndName.parse(n).matches(web) for n in ("shop/web-1", "shop/deployment/web",
...                                          "10.0.0.0/16", "shop/db-0")]
[True, True, True, False]
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..._errors import ValidationError
from .record import Flow, FlowEnd, FlowVerdict

__all__ = ["EndName", "FlowQuery"]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class EndName:
    """One ``--from``/``--to`` value, parsed once."""

    text: str
    network: IPNetwork | None = None
    namespace: str | None = None
    pod: str | None = None
    kind: str | None = None          # lower-cased
    workload: str | None = None

    @classmethod
    def parse(cls, text: str) -> EndName:
        try:
            return cls(text, network=ipaddress.ip_network(text, strict=False))
        except ValueError:
            pass
        parts = text.split("/")
        if any(not p for p in parts) or len(parts) > 3:
            raise ValidationError(None, "", f"cannot read {text!r} as an end: use namespace/pod,"
                                  " namespace/Kind/workload, a pod name in default, an IP or "
                                  "a CIDR")
        if len(parts) == 3:
            return cls(text, namespace=parts[0], kind=parts[1].lower(), workload=parts[2])
        if len(parts) == 2:
            return cls(text, namespace=parts[0], pod=parts[1])
        return cls(text, namespace="default", pod=parts[0])

    def matches(self, end: FlowEnd) -> bool:
        if self.network is not None:
            if end.address is None:
                return False
            address = ipaddress.ip_address(end.address)
            return address.version == self.network.version and address in self.network
        if end.namespace != self.namespace:
            return False
        if self.workload is not None:
            return (end.workload is not None and end.workload.name == self.workload
                    and end.workload.kind.lower() == self.kind)
        return end.pod == self.pod


@dataclass(frozen=True, slots=True)
class FlowQuery:
    """The filters of ``netwarden flows``; every one given must hold."""

    source: EndName | None = None
    destination: EndName | None = None
    verdict: FlowVerdict | None = None
    port: int | None = None
    protocol: str | None = None

    def matches(self, flow: Flow) -> bool:
        return ((self.verdict is None or flow.verdict is self.verdict)
                and (self.protocol is None or flow.protocol == self.protocol)
                and (self.port is None or flow.destination.port == self.port
                     or (flow.service is not None and flow.service.port == self.port))
                and (self.source is None or self.source.matches(flow.source))
                and (self.destination is None or self.destination.matches(flow.destination)))

    def select(self, flows: Iterable[Flow]) -> Iterator[Flow]:
        return (flow for flow in flows if self.matches(flow))
