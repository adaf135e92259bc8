"""The normalized policy IR: the only place where policy semantics live."""

from .cluster import DEFAULT_TIER, NAME_LABEL, Cluster
from .endpoints import Endpoint, EndpointKind, IPAddress, IPNetwork, Labels, NamedPort, Namespace
from .index import Layers, PolicyIndex
from .kube_services import Backend, Frontend, KubeService, PortMapping
from .policy import (
    EPHEMERAL_PORT,
    Action,
    Direction,
    EntityMatch,
    IcmpMatch,
    Origin,
    Peer,
    Policy,
    PolicyKind,
    PortSpec,
    Rule,
    Scope,
    Stage,
    Tier,
    sort_key,
)
from .selector import Selector
from .services import ServiceSet

__all__ = [
    "DEFAULT_TIER",
    "EPHEMERAL_PORT",
    "NAME_LABEL",
    "Action",
    "Backend",
    "Cluster",
    "Direction",
    "Endpoint",
    "EndpointKind",
    "EntityMatch",
    "Frontend",
    "IPAddress",
    "IPNetwork",
    "IcmpMatch",
    "KubeService",
    "Labels",
    "Layers",
    "NamedPort",
    "Namespace",
    "Origin",
    "Peer",
    "Policy",
    "PolicyIndex",
    "PolicyKind",
    "PortMapping",
    "PortSpec",
    "Rule",
    "Scope",
    "Selector",
    "ServiceSet",
    "Stage",
    "Tier",
    "sort_key",
]
