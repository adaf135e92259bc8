"""Calico objects as loaded: validated, positioned, and not yet defaulted.

They keep what the user wrote, including the API group, because the two
groups are defaulted differently (``projectcalico.org/v3`` objects get
``types`` filled in by the API server, ``crd.projectcalico.org/v1`` ones do
not). Defaulting, scoping and tier placement are the compiler's job
(``netwarden.compile.calico``). Selectors are already parsed: a selector that
does not parse is a load error, not a compile error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .._errors import Position
from ..ir.endpoints import IPAddress, IPNetwork, Labels
from ..ir.selector import Selector

__all__ = [
    "API_GROUPS",
    "CRD_GROUP",
    "V3_GROUP",
    "CalicoMeta",
    "EndpointPort",
    "EntityRule",
    "GlobalNetworkPolicy",
    "GlobalNetworkSet",
    "HostEndpoint",
    "IcmpFields",
    "NetworkPolicy",
    "NetworkSet",
    "PolicySpec",
    "PortEntry",
    "Rule",
    "Tier",
]

V3_GROUP = "projectcalico.org"
CRD_GROUP = "crd.projectcalico.org"
API_GROUPS = (V3_GROUP, CRD_GROUP)


@dataclass(frozen=True, slots=True)
class CalicoMeta:
    """``api_group`` is ``projectcalico.org`` or ``crd.projectcalico.org``."""

    name: str
    api_group: str
    namespace: str | None = None
    labels: Labels = field(default_factory=Labels)
    position: Position | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class PortEntry:
    """One entry of ``ports``: a number (``low == high``), a range, or a port name."""

    low: int = 0
    high: int = 0
    name: str | None = None

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        return str(self.low) if self.low == self.high else f"{self.low}:{self.high}"


@dataclass(frozen=True, slots=True)
class IcmpFields:
    type: int | None = None
    code: int | None = None


@dataclass(frozen=True, slots=True)
class EntityRule:
    """A rule's ``source`` or ``destination``; every field is optional."""

    nets: tuple[IPNetwork, ...] = ()
    not_nets: tuple[IPNetwork, ...] = ()
    selector: Selector | None = None
    not_selector: Selector | None = None
    namespace_selector: Selector | None = None
    ports: tuple[PortEntry, ...] = ()
    not_ports: tuple[PortEntry, ...] = ()
    service_account_names: tuple[str, ...] = ()
    position: Position | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Rule:
    """``protocol`` as written: a name (``"TCP"``) or a number."""

    action: str
    protocol: str | int | None = None
    not_protocol: str | int | None = None
    icmp: IcmpFields | None = None
    not_icmp: IcmpFields | None = None
    ip_version: int | None = None
    source: EntityRule = field(default_factory=EntityRule)
    destination: EntityRule = field(default_factory=EntityRule)
    position: Position | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class PolicySpec:
    """The spec shared by NetworkPolicy and GlobalNetworkPolicy.

    ``tier`` and ``types`` are as written (None / empty when absent);
    ``tier_position`` is where ``tier`` was written (for the compiler's errors);
    ``namespace_selector`` only exists on GlobalNetworkPolicy.
    """

    selector: Selector
    tier: str | None = None
    order: float | None = None
    types: tuple[str, ...] = ()
    ingress: tuple[Rule, ...] = ()
    egress: tuple[Rule, ...] = ()
    namespace_selector: Selector | None = None
    apply_on_forward: bool = False
    pre_dnat: bool = False
    do_not_track: bool = False
    tier_position: Position | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    """A namespaced Calico policy; ``meta.namespace`` is None when the manifest has none."""

    meta: CalicoMeta
    spec: PolicySpec


@dataclass(frozen=True, slots=True)
class GlobalNetworkPolicy:
    meta: CalicoMeta
    spec: PolicySpec


@dataclass(frozen=True, slots=True)
class Tier:
    """``default_action`` is ``Deny`` unless the spec says ``Pass``."""

    meta: CalicoMeta
    order: float | None = None
    default_action: str = "Deny"


@dataclass(frozen=True, slots=True)
class EndpointPort:
    name: str
    port: int
    protocol: str = "TCP"


@dataclass(frozen=True, slots=True)
class HostEndpoint:
    """A node interface (``interface_name`` may be ``*``) and/or its expected addresses."""

    meta: CalicoMeta
    node: str
    interface_name: str | None = None
    expected_ips: tuple[IPAddress, ...] = ()
    ports: tuple[EndpointPort, ...] = ()


@dataclass(frozen=True, slots=True)
class NetworkSet:
    meta: CalicoMeta
    nets: tuple[IPNetwork, ...] = ()


@dataclass(frozen=True, slots=True)
class GlobalNetworkSet:
    meta: CalicoMeta
    nets: tuple[IPNetwork, ...] = ()
