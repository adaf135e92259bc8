"""Recorded flows through the engine: what a cluster's policies decide for each flow.

A flow's ends are found in the cluster (``ns/pod``, then its workload ``ns/Kind/name``,
then its address); an address outside the cluster lands in the address range
(``analysis.external``) that every policy treats alike. Flows are then decided per
equivalence class (``Connectivity``): a pair of classes, protocol and port is evaluated
once however many flows share it, so 100,000 flows cost a few thousand lookups.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from .._errors import LookupFailed
from ..engine import Engine
from ..ir import Cluster, Endpoint, EndpointKind, IPAddress
from ..ir.services import ECHO_REQUEST, protocol_number
from .external import ExternalConnectivity
from .flows import Flow, FlowEnd

__all__ = ["FlowVerdicts", "Unplaced"]


@dataclass(frozen=True, slots=True)
class Unplaced:
    """A flow end the cluster has no place for: a pod that is not in the manifests."""

    end: str
    reason: str


class FlowVerdicts:
    """Decides recorded flows under one cluster's policies (build one per cluster)."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.engine = Engine(cluster)
        self.connectivity = ExternalConnectivity(cluster, self.engine.index)
        self._ends: dict[tuple[str | None, str | None, str | None, str | None],
                         Endpoint | Unplaced] = {}
        self._pairs: dict[tuple[int, int, int, int | None], bool] = {}
        self._ranges = list(zip(self.connectivity.ranges, self.connectivity.external,
                                strict=True))

    def place(self, end: FlowEnd) -> Endpoint | Unplaced:
        """The cluster endpoint (or outside range) standing for ``end``."""
        workload = str(end.workload) if end.workload else None
        cache_key = (end.namespace, end.pod, workload, end.address)
        found = self._ends.get(cache_key)
        if found is None:
            found = self._place(end)
            self._ends[cache_key] = found
        return found

    def _place(self, end: FlowEnd) -> Endpoint | Unplaced:
        ip: IPAddress | None = ipaddress.ip_address(end.address) if end.address else None
        if end.pod is not None:
            endpoint = self.cluster.endpoint(f"{end.namespace}/{end.pod}")
            if endpoint is None and end.workload is not None:
                try:
                    resolved = self.engine.resolve(f"{end.namespace}/{end.workload}")
                except LookupFailed:
                    resolved = None
                endpoint = resolved if isinstance(resolved, Endpoint) else None
            if endpoint is None and ip is not None:
                endpoint = self.cluster.endpoint_at(ip)
            if endpoint is None or endpoint.kind is EndpointKind.NETWORK_SET:
                return Unplaced(str(end.key), "not in the manifests")
            return endpoint
        assert ip is not None  # a record has a pod or an address
        endpoint = self.cluster.endpoint_at(ip)
        if endpoint is not None and endpoint.kind is not EndpointKind.NETWORK_SET:
            return endpoint
        for address_range, node in self._ranges:
            if address_range.contains(ip):
                return node
        return Unplaced(str(ip), "in no address range")  # pragma: no cover - ranges cover all

    def allows(self, flow: Flow) -> bool | Unplaced:
        """Whether the policies allow ``flow``; an ``Unplaced`` end when it cannot be said."""
        src, dst = self.place(flow.source), self.place(flow.destination)
        if isinstance(src, Unplaced):
            return src
        if isinstance(dst, Unplaced):
            return dst
        proto = protocol_number(flow.protocol)
        port = ECHO_REQUEST.get(proto, flow.destination.port)
        conn = self.connectivity
        if src.key == dst.key and not src.replicated:
            return True  # one pod to itself: loopback
        if src.key not in conn.class_of or dst.key not in conn.class_of:
            # host endpoints and pods without an address have no class: one packet
            return self.engine.check(src, dst, proto, port).allowed
        key = (conn.class_of[src.key], conn.class_of[dst.key], proto, port)
        allowed = self._pairs.get(key)
        if allowed is None:
            allowed = conn.class_pair(key[0], key[1]).contains(proto, port)
            self._pairs[key] = allowed
        return allowed

    def decide(self, flows: Iterable[Flow]) -> list[bool | Unplaced]:
        return [self.allows(flow) for flow in flows]
