"""A cluster snapshot: every resource loaded from manifests or a live cluster."""

from __future__ import annotations

from dataclasses import dataclass

from .anp import ClusterNode, ClusterPolicy
from .ingress import Ingress
from .k8s import Namespace, NetworkPolicy, Pod
from .services import EndpointSlice, Service

__all__ = ["Snapshot"]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the loader read, validated and defaulted, not yet compiled.

    ``calico`` holds Calico resources (``netwarden.resources.calico``) in load
    order; ``notes`` are things a user should know but that are not errors,
    such as kinds that were skipped; ``cluster_policies`` the AdminNetworkPolicy,
    BaselineAdminNetworkPolicy and ClusterNetworkPolicy objects, ``nodes`` the
    Node objects (for ``nodes`` peers); ``services`` and ``endpoint_slices``
    the Services (addresses assigned) and EndpointSlices; ``ingresses`` the
    Ingress objects; ``warnings`` are things that could change
    a verdict, which every command prints.
    """

    namespaces: tuple[Namespace, ...] = ()
    pods: tuple[Pod, ...] = ()
    network_policies: tuple[NetworkPolicy, ...] = ()
    calico: tuple[object, ...] = ()
    cluster_policies: tuple[ClusterPolicy, ...] = ()
    nodes: tuple[ClusterNode, ...] = ()
    services: tuple[Service, ...] = ()
    endpoint_slices: tuple[EndpointSlice, ...] = ()
    ingresses: tuple[Ingress, ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
