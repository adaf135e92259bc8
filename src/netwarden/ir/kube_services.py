"""Kubernetes Services as the data path sees them: frontends, and the backends behind them.

The one description of a Service that both the engine (a connection through
a Service is the connection to each ready backend on its target port, after
DNAT) and the lab's kube-proxy (nftables DNAT from each frontend to the
backends) read. Policy semantics stay on pods: nothing here matches a rule.

- A ``Frontend`` is an address and port a client connects to: the ClusterIP
  on the Service port, a NodePort on every node address, a LoadBalancer
  ingress address or an external IP on the Service port.
- A ``Backend`` is one endpoint (a pod, or an address outside the cluster
  named by an EndpointSlice) with, for each Service port, the port it listens
  on: a named ``targetPort`` is resolved per pod, so two pods may map one name
  to different numbers, and a pod that does not declare the name is no
  backend for that port (as the EndpointSlice controller does).

For the lab's kube-proxy: each ``Frontend`` of ``KubeService.frontends`` is
DNATed to ``destinations(frontend.port_index)`` (backend address, target
port), chosen at random; NodePorts listen on ``Cluster.node_addresses``;
``Frontend.external`` traffic is masqueraded to the entry node's address
unless ``external_traffic_policy == "Local"`` (the entry node is the one the
client dials, which need not be the backend's: the engine answers per entry
node, ``engine.services.EntryVerdict``); headless Services have no frontend
(DNS answers the ready backends' addresses). The examples to replay by name
are the cases of ``tests/services/service_walkthroughs.py``
(``examples/seed-banzai`` and ``examples/seed-calico-reference``, each with a
``services.yaml``).

>>> svc = KubeService("staging", "backend", ports=(
...     PortMapping("http", 80, 6, "http"),),
...     backends=(Backend("staging/backend", ipaddress.ip_address("10.244.1.2"),
...                       targets=(8080,)),),
...     cluster_ips=(ipaddress.ip_address("10.96.1.0"),))
>>> svc.key, [(b.key, port) for b, port in svc.destinations(0)]
('staging/svc/backend', [('staging/backend', 8080)])
>>> [str(f) for f in svc.frontends]
['10.96.1.0:80/TCP']
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .._errors import Position
from .endpoints import IPAddress, IPNetwork
from .services import protocol_name

__all__ = [
    "CLUSTER_IP_STATIC_BAND",
    "DEFAULT_CLUSTER_DOMAIN",
    "DEFAULT_NODE",
    "NODE_CIDR",
    "NODE_PORT_RANGE",
    "SERVICE_CIDR",
    "SERVICE_CIDR_V6",
    "Backend",
    "Frontend",
    "FrontendKind",
    "KubeService",
    "PortMapping",
    "node_addresses",
]

# The default service CIDR of kubeadm (``--service-cluster-ip-range``), and
# kind's IPv6 one; defaults for Services without a clusterIP come from these.
SERVICE_CIDR = ipaddress.IPv4Network("10.96.0.0/12")
SERVICE_CIDR_V6 = ipaddress.IPv6Network("fd00:10:96::/108")
# The API server keeps the lower addresses of the range for addresses chosen by
# hand and gives out the others first: min(max(16, size/16), 256) addresses.
CLUSTER_IP_STATIC_BAND = 256
NODE_PORT_RANGE = (30000, 32767)  # the API server's default --service-node-port-range
DEFAULT_CLUSTER_DOMAIN = "cluster.local"
# Node addresses, for NodePorts and for the SNAT of externalTrafficPolicy: Cluster:
# a node's declared address (a ``kind: Node``'s first status address), else the
# N-th node name in sorted order (counting from 1) gets 172.18.0.(N+1), as kind
# numbers its nodes on its docker network. A pod without a node is on DEFAULT_NODE
# (the loader's rule, ``netwarden.load.addresses``).
NODE_CIDR = ipaddress.IPv4Network("172.18.0.0/16")
DEFAULT_NODE = "node-1"


def node_addresses(names: Iterable[str], declared: Mapping[str, IPAddress] | None = None
                   ) -> dict[str, IPAddress]:
    """Each node's address: the declared one, else the documented default.

    >>> {k: str(v) for k, v in node_addresses(["kube-02", "kube-01"]).items()}
    {'kube-01': '172.18.0.2', 'kube-02': '172.18.0.3'}
    """
    declared = declared or {}
    out: dict[str, IPAddress] = {}
    for n, name in enumerate(sorted(set(names) | set(declared)), start=1):
        out[name] = declared.get(name) or (NODE_CIDR.network_address + 1 + n)
    return out


class FrontendKind:
    CLUSTER_IP = "ClusterIP"
    NODE_PORT = "NodePort"
    LOAD_BALANCER = "LoadBalancer"
    EXTERNAL_IP = "ExternalIP"
    HEADLESS = "Headless"  # no frontend: clients resolve the name to the pods' addresses


@dataclass(frozen=True, slots=True)
class PortMapping:
    """A Service port: ``target`` as written (a number, or a container-port name)."""

    name: str | None
    port: int
    protocol: int
    target: int | str
    node_port: int | None = None

    def __str__(self) -> str:
        shown = f"{self.port}/{protocol_name(self.protocol)}"
        return f"{shown} ({self.name})" if self.name else shown


@dataclass(frozen=True, slots=True)
class Backend:
    """One endpoint behind a Service.

    ``key`` is the endpoint's key (``ns/pod``) or, for an address no pod
    has (an EndpointSlice naming a database outside the cluster), the
    address. ``targets[i]`` is the port it receives Service port ``i`` on, or
    None when it declares no container port of the ``targetPort`` name.
    """

    key: str
    ip: IPAddress
    targets: tuple[int | None, ...] = ()
    ready: bool = True
    node: str | None = None
    pod: bool = True

    def target(self, index: int) -> int | None:
        return self.targets[index] if index < len(self.targets) else None


@dataclass(frozen=True, slots=True)
class Frontend:
    """Where a client connects: ``ip`` None means every node's address (a NodePort)."""

    kind: str
    ip: IPAddress | None
    port: int
    protocol: int
    port_index: int

    @property
    def external(self) -> bool:
        """Whether this frontend takes traffic from outside (externalTrafficPolicy applies)."""
        return self.kind != FrontendKind.CLUSTER_IP

    def __str__(self) -> str:
        if self.kind == FrontendKind.HEADLESS:
            return f"the pods' addresses:{self.port}/{protocol_name(self.protocol)}"
        where = "<node>" if self.ip is None else (
            f"[{self.ip}]" if self.ip.version == 6 else str(self.ip))
        return f"{where}:{self.port}/{protocol_name(self.protocol)}"


@dataclass(frozen=True, slots=True)
class KubeService:
    """A Service with its ports, addresses and every endpoint (ready or not)."""

    namespace: str
    name: str
    type: str = "ClusterIP"
    ports: tuple[PortMapping, ...] = ()
    backends: tuple[Backend, ...] = ()
    cluster_ips: tuple[IPAddress, ...] = ()
    headless: bool = False
    external_name: str | None = None
    external_ips: tuple[IPAddress, ...] = ()
    load_balancer_ips: tuple[IPAddress, ...] = ()
    external_traffic_policy: str = ""
    internal_traffic_policy: str = "Cluster"
    selector: tuple[tuple[str, str], ...] | None = None
    source_ranges: tuple[IPNetwork, ...] = ()  # loadBalancerSourceRanges: empty admits all
    position: Position | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        """How users name it: ``ns/svc/name``."""
        return f"{self.namespace}/svc/{self.name}"

    @property
    def ready_backends(self) -> tuple[Backend, ...]:
        return tuple(b for b in self.backends if b.ready)

    @property
    def external(self) -> bool:
        """Whether the Service takes traffic from outside the cluster."""
        return self.type in ("NodePort", "LoadBalancer") or bool(self.external_ips)

    def dns_name(self, domain: str = DEFAULT_CLUSTER_DOMAIN) -> str:
        return f"{self.name}.{self.namespace}.svc.{domain}"

    @property
    def frontends(self) -> tuple[Frontend, ...]:
        """Every address and port that leads to a backend (none for ExternalName)."""
        out: list[Frontend] = []
        for index, port in enumerate(self.ports):
            out.extend(Frontend(FrontendKind.CLUSTER_IP, ip, port.port, port.protocol, index)
                       for ip in self.cluster_ips)
            if port.node_port is not None:
                out.append(Frontend(FrontendKind.NODE_PORT, None, port.node_port,
                                    port.protocol, index))
            out.extend(Frontend(FrontendKind.LOAD_BALANCER, ip, port.port, port.protocol, index)
                       for ip in self.load_balancer_ips)
            out.extend(Frontend(FrontendKind.EXTERNAL_IP, ip, port.port, port.protocol, index)
                       for ip in self.external_ips)
        return tuple(out)

    def port_index(self, port: int | str, protocol: int | None = None) -> int | None:
        """The index of the Service port with this number (or name) and protocol, if any.

        Without ``protocol``, a number naming ports of several protocols gives
        the first (TCP before UDP as written); callers that care pass one. A
        name no Service port has may be a ``targetPort`` name (``--port http``
        for an unnamed port 80 whose targetPort is ``http``).
        """
        ports = [(i, m) for i, m in enumerate(self.ports)
                 if protocol is None or m.protocol == protocol]
        for index, mapping in ports:
            if (mapping.name == port) if isinstance(port, str) else (mapping.port == port):
                return index
        if isinstance(port, str):
            for index, mapping in ports:
                if mapping.target == port:
                    return index
        return None

    def node_port_index(self, port: int, protocol: int) -> int | None:
        for index, mapping in enumerate(self.ports):
            if mapping.node_port == port and mapping.protocol == protocol:
                return index
        return None

    def destinations(self, index: int) -> tuple[tuple[Backend, int], ...]:
        """(ready backend, its target port) for Service port ``index``: where DNAT sends."""
        return tuple((b, port) for b in self.backends
                     if b.ready and (port := b.target(index)) is not None)

    def unresolved(self, index: int) -> tuple[Backend, ...]:
        """Ready backends that declare no container port of the named ``targetPort``."""
        return tuple(b for b in self.backends if b.ready and b.target(index) is None)

    def __str__(self) -> str:
        return self.key
