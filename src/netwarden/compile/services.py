"""Services and EndpointSlices → ``KubeService``: which endpoints back each, on which ports.

What the EndpointSlice controller computes, from the loaded objects:

- A Service with a selector is backed by the pods of its namespace whose
  labels carry every selector pair (a workload's template counts as its
  pods). A pod is a ready backend unless its status says it is not ready
  (with ``publishNotReadyAddresses`` every pod is). For each Service port, a numeric
  ``targetPort`` is that port on every backend; a named one is the number of
  the pod's container port of that name and protocol, per pod: a pod that
  declares no such port is no backend for that Service port.
- A Service without a selector is backed by the EndpointSlices labelled
  ``kubernetes.io/service-name`` with its name in its namespace: each
  address is a backend (the pod that has it, or the bare address when no pod
  does), on the slice port of the Service port's name and protocol.
  EndpointSlices of a Service that has a selector are the controller's
  output and are read from the pods instead (with a note).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..ir.endpoints import Endpoint, EndpointKind, IPAddress
from ..ir.kube_services import DEFAULT_NODE, Backend, KubeService, PortMapping, node_addresses
from ..ir.services import protocol_number
from ..resources.anp import ClusterNode
from ..resources.k8s import Pod
from ..resources.services import EndpointSlice, Service, ServicePort

__all__ = ["ServicesResult", "compile_services"]


@dataclass(frozen=True, slots=True)
class ServicesResult:
    services: tuple[KubeService, ...]
    node_addresses: Mapping[str, IPAddress]
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def compile_services(
    services: Sequence[Service], slices: Sequence[EndpointSlice], pods: Sequence[Pod],
    endpoints: Sequence[Endpoint], nodes: Sequence[ClusterNode] = (),
) -> ServicesResult:
    """Each Service with its backends; ``endpoints`` are the compiled pods (same keys).

    Node addresses (``Cluster.node_addresses``) are those of the ``nodes``
    declared, else the default of ``netwarden.ir.kube_services.node_addresses``,
    for every node a pod runs on.
    """
    ready = {_pod_key(p): p.ready for p in pods}
    by_ns: dict[str, list[Endpoint]] = {}
    by_ip: dict[object, Endpoint] = {}
    for e in endpoints:
        if e.kind is EndpointKind.POD and e.namespace is not None:
            by_ns.setdefault(e.namespace, []).append(e)
            for ip in e.ips:
                by_ip.setdefault(ip, e)
    known = {(s.meta.namespace, s.meta.name): s for s in services}
    slices_of: dict[tuple[str | None, str], list[EndpointSlice]] = {}
    notes: list[str] = []
    warnings: list[str] = []
    for es in slices:
        if es.service is None or es.address_type == "FQDN":
            continue  # the loader warned
        owner = known.get((es.meta.namespace, es.service))
        where = f"{es.meta.position}: " if es.meta.position else ""
        name = f"EndpointSlice {es.meta.namespace}/{es.meta.name}"
        if owner is None:
            warnings.append(f"{where}{name} belongs to Service {es.meta.namespace}/"
                            f"{es.service}, which is not loaded; ignored")
        elif owner.selector is not None:
            notes.append(f"{where}{name}: Service {es.meta.namespace}/{es.service} has a "
                         "selector, so its backends are read from the pods")
        else:
            slices_of.setdefault((es.meta.namespace, es.service), []).append(es)
    out: list[KubeService] = []
    for svc in services:
        ports = tuple(_mapping(p) for p in svc.ports)
        if svc.type == "ExternalName":
            backends: tuple[Backend, ...] = ()
        elif svc.selector is not None:
            backends = _selected(svc, by_ns.get(svc.meta.namespace or "", []), ready)
        else:
            backends = _from_slices(svc, slices_of.get((svc.meta.namespace, svc.meta.name), []),
                                    by_ip)
        out.append(KubeService(
            svc.meta.namespace or "default", svc.meta.name, svc.type, ports, backends,
            svc.cluster_ips, svc.headless, svc.external_name, svc.external_ips,
            svc.load_balancer_ips, svc.external_traffic_policy, svc.internal_traffic_policy,
            svc.selector, svc.load_balancer_source_ranges, svc.meta.position))
    names = {e.node or DEFAULT_NODE for e in endpoints if e.kind is EndpointKind.POD}
    declared = {n.meta.name: n.addresses[0] for n in nodes if n.addresses}
    return ServicesResult(tuple(out), node_addresses(names, declared), tuple(notes),
                          tuple(warnings))


def _pod_key(pod: Pod) -> str:
    return f"{pod.meta.namespace}/{pod.meta.name}"


def _mapping(port: ServicePort) -> PortMapping:
    return PortMapping(port.name, port.port, protocol_number(port.protocol), port.target,
                       port.node_port)


def _selected(svc: Service, candidates: list[Endpoint], ready: dict[str, bool]
              ) -> tuple[Backend, ...]:
    assert svc.selector is not None
    out: list[Backend] = []
    for e in candidates:
        if not e.ips or any(e.labels.get(k) != value for k, value in svc.selector):
            continue
        targets = tuple(_resolve(e, p) for p in svc.ports)
        is_ready = ready.get(e.key, True) or svc.publish_not_ready
        out.append(Backend(e.key, e.ips[0], targets, is_ready, e.node))
    return tuple(out)


def _resolve(e: Endpoint, port: ServicePort) -> int | None:
    """The pod's port for ``port``'s targetPort: the number, or the named container port."""
    target = port.target
    if isinstance(target, int):
        return target
    found = e.named_ports(target, protocol_number(port.protocol))
    return found[0] if found else None


def _from_slices(svc: Service, slices: list[EndpointSlice], by_ip: dict[object, Endpoint]
                 ) -> tuple[Backend, ...]:
    out: list[Backend] = []
    for es in slices:
        targets = tuple(_slice_target(es, p) for p in svc.ports)
        for ep in es.endpoints:
            for ip in ep.addresses:
                pod = by_ip.get(ip)
                ready = ep.ready is not False
                if pod is not None:
                    out.append(Backend(pod.key, ip, targets, ready, pod.node))
                else:
                    out.append(Backend(str(ip), ip, targets, ready, ep.node, pod=False))
    return tuple(out)


def _slice_target(es: EndpointSlice, port: ServicePort) -> int | None:
    """The slice port that carries Service port ``port``: same name and protocol."""
    for sp in es.ports:
        if sp.name == (port.name or "") and sp.protocol == port.protocol:
            return sp.port
    return None
