"""Kubernetes objects as loaded: validated, defaulted, with their positions.

These mirror the API types closely (field names aside) so that a finding can
point back at what the user wrote. Turning them into policy semantics is the
compiler's job (``netwarden.compile.k8s``), not theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .._errors import Position
from ..ir.endpoints import IPAddress, IPNetwork, Labels

__all__ = [
    "ContainerPort",
    "IPBlock",
    "LabelSelector",
    "LabelSelectorRequirement",
    "Meta",
    "Namespace",
    "NetworkPolicy",
    "NetworkPolicyPeer",
    "NetworkPolicyPort",
    "NetworkPolicyRule",
    "Pod",
]


@dataclass(frozen=True, slots=True)
class Meta:
    name: str
    namespace: str | None = None
    labels: Labels = field(default_factory=Labels)
    position: Position | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class LabelSelectorRequirement:
    key: str
    operator: str  # In, NotIn, Exists, DoesNotExist
    values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """``{}`` (no labels, no expressions) selects everything."""

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[LabelSelectorRequirement, ...] = ()
    position: Position | None = field(default=None, compare=False)

    @property
    def is_empty(self) -> bool:
        return not self.match_labels and not self.match_expressions


@dataclass(frozen=True, slots=True)
class IPBlock:
    cidr: IPNetwork
    except_: tuple[IPNetwork, ...] = ()


@dataclass(frozen=True, slots=True)
class NetworkPolicyPeer:
    """Exactly one of: selectors (pod and/or namespace), or an ipBlock."""

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IPBlock | None = None
    position: Position | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class NetworkPolicyPort:
    """``port`` None means every port of ``protocol``; a str is a port name."""

    protocol: str = "TCP"
    port: int | str | None = None
    end_port: int | None = None
    position: Position | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class NetworkPolicyRule:
    """An ingress or egress rule. Empty ``peers`` or ``ports`` match everything."""

    peers: tuple[NetworkPolicyPeer, ...] = ()
    ports: tuple[NetworkPolicyPort, ...] = ()
    position: Position | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    """``policy_types`` is already defaulted ([Ingress] plus Egress if egress rules exist)."""

    meta: Meta
    pod_selector: LabelSelector
    policy_types: tuple[str, ...]
    ingress: tuple[NetworkPolicyRule, ...] = ()
    egress: tuple[NetworkPolicyRule, ...] = ()


@dataclass(frozen=True, slots=True)
class ContainerPort:
    port: int
    protocol: str = "TCP"
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Pod:
    """A pod, or the pod template of a workload (``workload`` = ``Deployment/web``).

    ``ips`` is empty when the manifest has no status; the loader assigns one
    from the default pod CIDR (see ``netwarden.load.addresses``). ``ready`` is
    False only when the status says so (a Ready condition not True, or phase
    Pending, Succeeded or Failed): a Service forwards to ready pods only.
    """

    meta: Meta
    ips: tuple[IPAddress, ...] = ()
    ports: tuple[ContainerPort, ...] = ()
    node: str | None = None
    host_network: bool = False
    service_account: str | None = None
    workload: str | None = None
    ready: bool = True
    # How many pods it stands for: 1 for a Pod; a workload's spec.replicas (Jobs:
    # parallelism), 1 when absent as the API server defaults it; None for a DaemonSet
    # (one pod per node).
    replicas: int | None = 1
    address_assigned: bool = False  # no status.podIP: the loader gave it an address


@dataclass(frozen=True, slots=True)
class Namespace:
    meta: Meta
