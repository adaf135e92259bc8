"""Cluster-wide policies of the sig-network policy API, as loaded.

``policy.networking.k8s.io/v1alpha1`` AdminNetworkPolicy (ANP) and
BaselineAdminNetworkPolicy (BANP), and ``v1alpha2`` ClusterNetworkPolicy
(CNP, ``spec.tier: Admin | Baseline``) share one shape: a subject, a
priority and ordered ingress and egress rules of Allow/Accept, Deny or Pass.
They are loaded into the one ``ClusterPolicy`` type below, which keeps the kind
and API version they were written in; the compiler
(``netwarden.compile.anp``) gives them their meaning.

Also ``kind: Node``, whose labels and addresses ``nodes`` peers select.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .._errors import Position
from ..ir.endpoints import IPAddress, IPNetwork
from .k8s import LabelSelector, Meta

__all__ = [
    "ClusterNode",
    "ClusterPolicy",
    "ClusterPolicyPeer",
    "ClusterPolicyPort",
    "ClusterPolicyRule",
    "ClusterPolicySubject",
    "ClusterTier",
    "NamespacedPods",
]


class ClusterTier(Enum):
    """Where a cluster-wide policy sits: before NetworkPolicy, or after it."""

    ADMIN = "Admin"
    BASELINE = "Baseline"


@dataclass(frozen=True, slots=True)
class NamespacedPods:
    """``pods``: pods matching ``pod_selector`` in namespaces matching ``namespace_selector``."""

    namespace_selector: LabelSelector
    pod_selector: LabelSelector


@dataclass(frozen=True, slots=True)
class ClusterPolicySubject:
    """Exactly one of ``namespaces`` (every pod of those namespaces) or ``pods``."""

    namespaces: LabelSelector | None = None
    pods: NamespacedPods | None = None


@dataclass(frozen=True, slots=True)
class ClusterPolicyPeer:
    """Exactly one field set: ``namespaces``, ``pods``, and for egress ``nodes``,
    ``networks`` or ``domain_names``."""

    namespaces: LabelSelector | None = None
    pods: NamespacedPods | None = None
    nodes: LabelSelector | None = None
    networks: tuple[IPNetwork, ...] = ()
    domain_names: tuple[str, ...] = ()
    position: Position | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class ClusterPolicyPort:
    """A destination port match: ``protocol`` with ``start``-``end`` (inclusive), every
    port of ``protocol`` (``start`` None), or a container port ``name`` (any protocol)."""

    protocol: str | None = "TCP"
    start: int | None = None
    end: int | None = None
    name: str | None = None
    position: Position | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class ClusterPolicyRule:
    """``action`` as written: Allow/Deny/Pass (v1alpha1), Accept/Deny/Pass (v1alpha2).

    Empty ``ports`` match every port and protocol.
    """

    action: str
    peers: tuple[ClusterPolicyPeer, ...]
    ports: tuple[ClusterPolicyPort, ...] = ()
    name: str = ""
    position: Position | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class ClusterPolicy:
    """An ANP, a BANP or a CNP. ``priority`` is None for a BANP (it has none)."""

    kind: str
    api_version: str
    meta: Meta
    tier: ClusterTier
    priority: int | None
    subject: ClusterPolicySubject
    ingress: tuple[ClusterPolicyRule, ...] = ()
    egress: tuple[ClusterPolicyRule, ...] = ()

    @property
    def short_kind(self) -> str:
        """``anp``, ``banp`` or ``cnp``: the kinds' short names, used in policy ids."""
        return {"AdminNetworkPolicy": "anp", "BaselineAdminNetworkPolicy": "banp"}.get(
            self.kind, "cnp")


@dataclass(frozen=True, slots=True)
class ClusterNode:
    """A ``kind: Node``: its labels and the addresses of ``status.addresses``."""

    meta: Meta
    addresses: tuple[IPAddress, ...] = ()
