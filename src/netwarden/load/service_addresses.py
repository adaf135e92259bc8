"""ClusterIPs and NodePorts for Services whose manifest gives none.

Like pod addresses (``addresses``), the rule is deterministic, so answers and
the lab's rulesets do not change between runs, and follows the API server's
allocators:

1. Addresses come from the service CIDR ``10.96.0.0/12`` (kubeadm's default;
   ``fd00:10:96::/108`` for IPv6). Its first address (the network) and its
   last are never given out; ``10.96.0.1`` (the first host) belongs to
   ``default/kubernetes`` and ``10.96.0.10`` to ``kube-system/kube-dns``, as
   in a kubeadm cluster, whether or not the manifests declare them.
2. Other Services, in order of (namespace, name), take addresses from above
   the lower 256 of the range, which the API server keeps for addresses
   chosen by hand: ``10.96.1.0``, ``10.96.1.1``, ...
3. NodePort and LoadBalancer Services get a node port for each port without
   one, from 30000 upward in the same order (then by port), skipping every
   node port a Service declared.
4. An address or node port a Service declared is never given out again, and
   two Services declaring the same one is an error, as the API server
   refuses the second ("already allocated").

A declared clusterIP outside the default CIDR is accepted: the cluster's
service CIDR is not in the manifests.

>>> from netwarden.resources.k8s import Meta
>>> from netwarden.resources.services import Service, ServicePort
>>> done, errors = assign_service_addresses([
...     Service(Meta("web", "prod"), ports=(ServicePort(80),)),
...     Service(Meta("kube-dns", "kube-system"), ports=(ServicePort(53, "UDP"),))])
>>> [str(s.cluster_ips[0]) for s in done], errors
(['10.96.1.0', '10.96.0.10'], [])
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Sequence
from typing import TypeVar

from .._errors import Position, ValidationError
from ..ir.endpoints import IPAddress
from ..ir.kube_services import (
    CLUSTER_IP_STATIC_BAND,
    NODE_PORT_RANGE,
    SERVICE_CIDR,
    SERVICE_CIDR_V6,
)
from ..resources.services import Service, ServicePort

__all__ = ["WELL_KNOWN_CLUSTER_IPS", "assign_service_addresses"]

# (namespace, name) → its address in a kubeadm cluster
WELL_KNOWN_CLUSTER_IPS: dict[tuple[str, str], IPAddress] = {
    ("default", "kubernetes"): SERVICE_CIDR.network_address + 1,
    ("kube-system", "kube-dns"): SERVICE_CIDR.network_address + 10,
}
K = TypeVar("K")


def assign_service_addresses(
    services: Sequence[Service],
) -> tuple[list[Service], list[ValidationError]]:
    """``services`` in the same order, each with its ClusterIPs and node ports.

    Errors (an address or node port declared twice, a range exhausted) come
    back instead of being raised, so the loader reports them with the rest.
    """
    errors: list[ValidationError] = []
    owners: dict[IPAddress, Service] = {}
    node_owners: dict[int, Service] = {}
    for svc in services:
        for declared in svc.cluster_ips:
            _claim(owners, declared, svc, "spec.clusterIP", f"address {declared}", errors)
        for index, port in enumerate(svc.ports):
            if port.node_port is not None:
                _claim(node_owners, port.node_port, svc, f"spec.ports[{index}].nodePort",
                       f"node port {port.node_port}", errors, port.position)
    reserved = set(WELL_KNOWN_CLUSTER_IPS.values())
    order = sorted(range(len(services)),
                   key=lambda i: (services[i].meta.namespace or "", services[i].meta.name, i))
    out = list(services)
    next_ip = {4: int(SERVICE_CIDR.network_address) + CLUSTER_IP_STATIC_BAND,
               6: int(SERVICE_CIDR_V6.network_address) + CLUSTER_IP_STATIC_BAND}
    next_port = NODE_PORT_RANGE[0]
    for i in order:
        svc = out[i]
        ips = svc.cluster_ips
        if not ips and not svc.headless and svc.type != "ExternalName":
            given: list[IPAddress] = []
            for family in svc.ip_families:
                version = 6 if family == "IPv6" else 4
                ip: IPAddress | None = _well_known(svc, owners) if version == 4 else None
                if ip is None:
                    ip = _next_free(next_ip, version, owners, reserved)
                if ip is None:
                    errors.append(ValidationError(svc.meta.position, "spec.clusterIP",
                                                  "the service CIDR is exhausted"))
                    continue
                owners[ip] = svc
                given.append(ip)
            ips = tuple(given)
        ports = svc.ports
        if svc.type == "NodePort" or (svc.type == "LoadBalancer" and svc.allocate_node_ports):
            filled: list[ServicePort] = []
            for port in ports:
                if port.node_port is None:
                    while next_port in node_owners and next_port <= NODE_PORT_RANGE[1]:
                        next_port += 1
                    if next_port > NODE_PORT_RANGE[1]:
                        errors.append(ValidationError(svc.meta.position, "spec.ports",
                                                      "the node-port range is exhausted"))
                    else:
                        node_owners[next_port] = svc
                        port = dataclasses.replace(port, node_port=next_port)
                filled.append(port)
            ports = tuple(filled)
        out[i] = dataclasses.replace(svc, cluster_ips=ips, ports=ports)
    return out, errors


def _claim(owners: dict[K, Service], value: K, svc: Service, field: str, what: str,
           errors: list[ValidationError], position: Position | None = None) -> None:
    first = owners.get(value)
    if first is not None and first is not svc:
        errors.append(ValidationError(
            position or svc.meta.position, field,
            f"{what} is already allocated to Service {first.meta.namespace}/{first.meta.name}"))
    elif first is None:
        owners[value] = svc


def _well_known(svc: Service, owners: dict[IPAddress, Service]) -> IPAddress | None:
    ip = WELL_KNOWN_CLUSTER_IPS.get((svc.meta.namespace or "", svc.meta.name))
    return ip if ip is not None and ip not in owners else None


def _next_free(next_ip: dict[int, int], version: int, owners: dict[IPAddress, Service],
               reserved: set[IPAddress]) -> IPAddress | None:
    cidr = SERVICE_CIDR if version == 4 else SERVICE_CIDR_V6
    last = int(cidr.broadcast_address) - 1
    while next_ip[version] <= last:
        ip = ipaddress.ip_address(next_ip[version])
        next_ip[version] += 1
        if ip not in owners and ip not in reserved:
            return ip
    return None
