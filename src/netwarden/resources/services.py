"""Services and EndpointSlices as loaded: validated and defaulted, not yet resolved.

A ``Service`` keeps what the user wrote (or the API server would default):
its type, addresses, ports with their ``targetPort`` as written (a number or a
container-port name), its selector. Which pods back it, and on which port each
one listens, is the compiler's job (``netwarden.compile.services``), which
produces the IR the engine and the lab read (``netwarden.ir.kube_services``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .._errors import Position
from ..ir.endpoints import IPAddress, IPNetwork
from .k8s import Meta

__all__ = [
    "SERVICE_TYPES",
    "EndpointSlice",
    "Service",
    "ServicePort",
    "SliceEndpoint",
    "SlicePort",
]

SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")


@dataclass(frozen=True, slots=True)
class ServicePort:
    """One ``spec.ports[]`` entry; ``target_port`` is a number or a container-port name."""

    port: int
    protocol: str = "TCP"
    name: str | None = None
    target_port: int | str | None = None  # None: the same number as ``port``
    node_port: int | None = None
    position: Position | None = field(default=None, compare=False)

    @property
    def target(self) -> int | str:
        """``targetPort`` as the API server defaults it: ``port`` when absent."""
        return self.port if self.target_port is None else self.target_port


@dataclass(frozen=True, slots=True)
class Service:
    """A v1 Service.

    ``cluster_ips`` is empty for a headless Service (``clusterIP: None``) and
    for ExternalName; otherwise the loader fills it (given, or a default from
    the service CIDR: ``netwarden.load.service_addresses``). ``selector`` is
    None when the Service has none (its endpoints come from EndpointSlices).
    ``external_traffic_policy`` is ``""`` for types that have none.
    """

    meta: Meta
    type: str = "ClusterIP"
    ports: tuple[ServicePort, ...] = ()
    selector: tuple[tuple[str, str], ...] | None = None
    cluster_ips: tuple[IPAddress, ...] = ()
    headless: bool = False
    ip_families: tuple[str, ...] = ("IPv4",)
    external_name: str | None = None
    external_ips: tuple[IPAddress, ...] = ()
    load_balancer_ips: tuple[IPAddress, ...] = ()
    external_traffic_policy: str = ""
    internal_traffic_policy: str = "Cluster"
    allocate_node_ports: bool = True
    publish_not_ready: bool = False
    load_balancer_source_ranges: tuple[IPNetwork, ...] = ()


@dataclass(frozen=True, slots=True)
class SlicePort:
    """An EndpointSlice port; ``port`` None means every port (rare, allowed by the API)."""

    name: str = ""
    port: int | None = None
    protocol: str = "TCP"


@dataclass(frozen=True, slots=True)
class SliceEndpoint:
    """One ``endpoints[]`` entry: ``ready`` None counts as ready, as the API says."""

    addresses: tuple[IPAddress, ...]
    ready: bool | None = None
    target_kind: str | None = None
    target_namespace: str | None = None
    target_name: str | None = None
    node: str | None = None
    position: Position | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class EndpointSlice:
    """A discovery.k8s.io/v1 EndpointSlice; ``service`` from ``kubernetes.io/service-name``."""

    meta: Meta
    address_type: str
    service: str | None = None
    endpoints: tuple[SliceEndpoint, ...] = ()
    ports: tuple[SlicePort, ...] = ()
