"""What policies select: namespaces and endpoints (pods, pod groups, hosts, net sets).

Every producer (Kubernetes pods and workload templates, Calico host endpoints
and network sets) is normalized to ``Endpoint``, so a selector or an address
range is resolved the same way whatever the endpoint came from.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum

from .._errors import Position

__all__ = [
    "Endpoint",
    "EndpointKind",
    "IPAddress",
    "IPNetwork",
    "Labels",
    "NamedPort",
    "Namespace",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Labels(Mapping[str, str]):
    """An immutable, hashable label map.

    >>> Labels({"app": "web"}) == Labels(app="web")
    True
    """

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, str] | None = None, **kwargs: str) -> None:
        merged = dict(data or {})
        merged.update(kwargs)
        self._data = merged
        self._hash: int | None = None

    def __getitem__(self, key: str) -> str:
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Labels):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Labels({self._data!r})"

    def with_(self, **changes: str | None) -> Labels:
        """A copy with labels set (or removed when the value is None)."""
        data = dict(self._data)
        for key, value in changes.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        return Labels(data)


class EndpointKind(Enum):
    POD = "pod"
    HOST = "host"            # a Calico HostEndpoint: a node interface
    NETWORK_SET = "networkset"  # Calico (Global)NetworkSet: labelled address ranges


@dataclass(frozen=True, slots=True)
class NamedPort:
    """A container port; named ones can be referenced by policy port names."""

    port: int
    protocol: int
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Namespace:
    name: str
    labels: Labels = field(default_factory=Labels)
    position: Position | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A thing with addresses and labels that a policy can select or name as a peer.

    ``key`` is how users name it: ``ns/pod`` for pods, ``host/node/iface`` for
    host endpoints, ``ns/name`` or ``name`` for network sets.
    """

    key: str
    kind: EndpointKind
    name: str
    namespace: str | None = None
    labels: Labels = field(default_factory=Labels)
    ips: tuple[IPAddress, ...] = ()
    nets: tuple[IPNetwork, ...] = ()
    ports: tuple[NamedPort, ...] = ()
    node: str | None = None
    host_network: bool = False
    service_account: str | None = None
    workload: str | None = None
    interface: str | None = None
    position: Position | None = field(default=None, compare=False)
    replicas: int | None = 1  # pods it stands for (None: one per node, a DaemonSet)
    address_assigned: bool = False  # its address is netwarden's default, not the manifest's

    @property
    def replicated(self) -> bool:
        """Two or more pods (a Deployment with ``replicas: 3``, a DaemonSet): traffic
        between two of them is policed like any pair. One pod talking to itself goes
        over loopback, which policy cannot block (docs/semantics.md, "Replicas")."""
        return self.replicas is None or self.replicas >= 2

    @property
    def addresses(self) -> tuple[IPAddress | IPNetwork, ...]:
        """What it owns of the address space: a network set's nets, anything else's IPs."""
        return self.nets if self.kind is EndpointKind.NETWORK_SET else self.ips

    @property
    def is_policed(self) -> bool:
        """Pods in the host's network namespace are outside NetworkPolicy's reach."""
        return self.kind is not EndpointKind.NETWORK_SET and not self.host_network

    def named_ports(self, name: str, protocol: int) -> tuple[int, ...]:
        return tuple(p.port for p in self.ports if p.name == name and p.protocol == protocol)

    def __str__(self) -> str:
        return self.key
