"""The normalized policy model: tiers of ordered policies of ordered rules.

Kubernetes NetworkPolicy is one producer of this model (a policy of Allow
rules in the ``default`` tier at order 1000); Calico resources are another.
Both the engine and the nftables renderer read only these classes, and the
matching methods below are the single definition of what a rule matches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum

from .._errors import Position
from .endpoints import Endpoint, EndpointKind, IPAddress, IPNetwork, Labels
from .intervals import Intervals
from .selector import Selector
from .services import PORT_PROTOCOLS, ServiceSet

__all__ = [
    "Action",
    "Direction",
    "EntityMatch",
    "IcmpMatch",
    "Origin",
    "Peer",
    "Policy",
    "PolicyKind",
    "PortSpec",
    "Rule",
    "Scope",
    "Stage",
    "Tier",
    "domain_matches",
]

NamespaceLabels = Callable[[str], Labels]

# Clients pick their source port from Linux's ephemeral range (32768-60999);
# the model uses one fixed port of that range wherever a rule matches source
# ports, so the matrix, `check` and the lab all agree.
EPHEMERAL_PORT = 40000


class Direction(Enum):
    INGRESS = "Ingress"
    EGRESS = "Egress"

    @property
    def lower(self) -> str:
        return self.value.lower()


class Action(Enum):
    ALLOW = "Allow"
    DENY = "Deny"
    PASS = "Pass"
    LOG = "Log"


class PolicyKind(Enum):
    K8S = "NetworkPolicy"
    CALICO = "projectcalico NetworkPolicy"
    CALICO_GLOBAL = "GlobalNetworkPolicy"
    ADMIN = "AdminNetworkPolicy"
    BASELINE = "BaselineAdminNetworkPolicy"
    CLUSTER = "ClusterNetworkPolicy"

    @property
    def has_priority(self) -> bool:
        """The sig-network cluster-wide kinds, whose ``order`` is their ``priority``."""
        return self in _PRIORITY_KINDS


_PRIORITY_KINDS = frozenset((PolicyKind.ADMIN, PolicyKind.BASELINE, PolicyKind.CLUSTER))
_ID_PREFIX = {PolicyKind.CALICO: "calico:", PolicyKind.CALICO_GLOBAL: "global:",
              PolicyKind.ADMIN: "anp:", PolicyKind.BASELINE: "banp:",
              PolicyKind.CLUSTER: "cnp:"}


# Felix's ``model.PolicyKey`` kinds (libcalico-go), and the name prefix a Kubernetes
# NetworkPolicy gets when it is converted (``names.K8sNetworkPolicyNamePrefix``).
_FELIX_KIND = {
    PolicyKind.K8S: "KubernetesNetworkPolicy",
    PolicyKind.CALICO: "NetworkPolicy",
    PolicyKind.CALICO_GLOBAL: "GlobalNetworkPolicy",
    PolicyKind.ADMIN: "AdminNetworkPolicy",
    PolicyKind.BASELINE: "BaselineAdminNetworkPolicy",
    PolicyKind.CLUSTER: "ClusterNetworkPolicy",
}
K8S_POLICY_PREFIX = "knp.default."


@dataclass(frozen=True, slots=True)
class Scope:
    """Which endpoints a selector may look at, by namespace.

    Exactly one restriction at most: one namespace, namespaces whose labels
    match, or only non-namespaced endpoints; none means everywhere.
    """

    namespace: str | None = None
    namespace_selector: Selector | None = None
    global_only: bool = False

    def admits(self, endpoint: Endpoint, ns_labels: NamespaceLabels) -> bool:
        if self.global_only:
            return endpoint.namespace is None
        if self.namespace is not None:
            return endpoint.namespace == self.namespace
        if self.namespace_selector is not None:
            return endpoint.namespace is not None and self.namespace_selector.matches(
                ns_labels(endpoint.namespace)
            )
        return True

    def __str__(self) -> str:
        if self.global_only:
            return "non-namespaced endpoints"
        if self.namespace is not None:
            return f"namespace {self.namespace}"
        if self.namespace_selector is not None:
            if self.namespace_selector.is_all:
                return "every namespace"
            return f"namespaces where {self.namespace_selector}"
        return "anywhere"


@dataclass(frozen=True, slots=True)
class PortSpec:
    """Port numbers and ranges, and port names resolved against an endpoint."""

    ranges: tuple[tuple[int, int], ...] = ()
    names: tuple[str, ...] = ()

    def resolve(self, protocol: int | None, endpoint: Endpoint | None) -> ServiceSet:
        protocols = (protocol,) if protocol is not None else tuple(sorted(PORT_PROTOCOLS))
        out = ServiceSet.none()
        for proto in protocols:
            values = list(self.ranges)
            if endpoint is not None:
                for name in self.names:
                    values.extend((p, p) for p in endpoint.named_ports(name, proto))
            out = out | ServiceSet.ports(proto, values)
        return out

    def __str__(self) -> str:
        parts = [str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in self.ranges]
        return ", ".join(parts + list(self.names))


@dataclass(frozen=True, slots=True)
class IcmpMatch:
    type: int | None = None
    code: int | None = None


@dataclass(frozen=True, slots=True)
class Peer:
    """The far side of a connection as one rule sees it: an address, and what owns it."""

    ip: IPAddress | None
    endpoint: Endpoint | None = None
    network_sets: tuple[Endpoint, ...] = ()
    name: str | None = None  # the DNS name it was reached by, when known

    def labelled(self) -> Iterable[Endpoint]:
        if self.endpoint is not None:
            yield self.endpoint
        yield from self.network_sets


@dataclass(frozen=True, slots=True)
class EntityMatch:
    """One side (source or destination) of a rule. Empty matches everything.

    ``kinds`` limits which labelled things the selector may match: Kubernetes
    peers select pods only, Calico selectors also match host endpoints and
    network sets.
    """

    selector: Selector | None = None
    not_selector: Selector | None = None
    scope: Scope = field(default_factory=Scope)
    kinds: frozenset[EndpointKind] = frozenset(EndpointKind)
    nets: tuple[IPNetwork, ...] = ()
    not_nets: tuple[IPNetwork, ...] = ()
    ports: PortSpec | None = None
    not_ports: PortSpec | None = None
    service_accounts: frozenset[str] = frozenset()
    domains: tuple[str, ...] = ()

    def selects(self, endpoint: Endpoint, ns_labels: NamespaceLabels) -> bool:
        """Whether ``selector`` (within scope and kinds) matches this labelled thing."""
        return (
            endpoint.kind in self.kinds
            and (endpoint.kind is not EndpointKind.POD or not endpoint.host_network)
            and self.scope.admits(endpoint, ns_labels)
            and (self.selector is None or self.selector.matches(endpoint.labels))
        )

    def matches_peer(self, peer: Peer, ns_labels: NamespaceLabels) -> bool:
        if self.domains and (peer.name is None
                             or not any(domain_matches(d, peer.name) for d in self.domains)):
            return False
        if self.nets and (peer.ip is None or not any(peer.ip in n for n in self.nets)):
            return False
        if self.not_nets and peer.ip is not None and any(peer.ip in n for n in self.not_nets):
            return False
        if self.selector is not None or self.service_accounts:
            owners = [e for e in peer.labelled() if self.selects(e, ns_labels)]
            if self.service_accounts:
                owners = [e for e in owners if e.service_account in self.service_accounts]
            if not owners:
                return False
        return not any(self.excludes(e) for e in peer.labelled())

    def reads(self, endpoint: Endpoint, ns_labels: NamespaceLabels) -> bool:
        """Whether ``endpoint``'s addresses take part in ``Cluster.peer_addresses(self)``.

        Conservative: true when the selector (or service accounts) select it or
        ``not_selector`` excludes it, so a changed endpoint for which this is
        false in its old and new versions leaves the peer set as it was.
        """
        if (self.selector is not None or self.service_accounts) and self.selects(
                endpoint, ns_labels):
            return True
        return self.excludes(endpoint)

    def excludes(self, endpoint: Endpoint) -> bool:
        """Whether ``not_selector`` rules this labelled thing (and its addresses) out."""
        return (
            self.not_selector is not None
            and endpoint.kind in self.kinds
            and self.not_selector.matches(endpoint.labels)
        )


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a rule came from, for explanations: ``prod/allow-db ingress[0] from[1]``."""

    policy: str
    direction: Direction
    rule: int
    peer: int | None = None
    port: int | None = None
    position: Position | None = field(default=None, compare=False)

    def __str__(self) -> str:
        text = f"{self.policy} {self.direction.lower}[{self.rule}]"
        if self.peer is not None:
            text += f" {'from' if self.direction is Direction.INGRESS else 'to'}[{self.peer}]"
        if self.port is not None:
            text += f" ports[{self.port}]"
        return text


@dataclass(frozen=True, slots=True)
class Rule:
    """An ordered rule: when source, destination and service match, take ``action``."""

    action: Action
    origin: Origin
    source: EntityMatch = field(default_factory=EntityMatch)
    destination: EntityMatch = field(default_factory=EntityMatch)
    protocol: int | None = None
    not_protocol: int | None = None
    icmp: IcmpMatch | None = None
    not_icmp: IcmpMatch | None = None
    ip_version: int | None = None

    def services(self, destination: Endpoint | None) -> ServiceSet:
        """What the rule matches of protocol × port towards ``destination``.

        Named ports make this depend on the destination endpoint's ports.
        """
        out = ServiceSet.all() if self.protocol is None else ServiceSet.protocol(self.protocol)
        if self.not_protocol is not None:
            out = out - ServiceSet.protocol(self.not_protocol)
        if self.icmp is not None and self.protocol is not None:
            out = out & ServiceSet.icmp(self.protocol, self.icmp.type, self.icmp.code)
        if self.not_icmp is not None and self.protocol is not None:
            out = out - ServiceSet.icmp(self.protocol, self.not_icmp.type, self.not_icmp.code)
        dst = self.destination
        if dst.ports is not None:
            out = out & dst.ports.resolve(self.protocol, destination)
        if dst.not_ports is not None:
            out = out - dst.not_ports.resolve(self.protocol, destination)
        return out

    def sides(self, direction: Direction) -> tuple[EntityMatch, EntityMatch]:
        """(local, remote): the side matching the policy's own endpoint, and the far side.

        Ingress rules police the destination, so it is local; egress the source.
        """
        if direction is Direction.INGRESS:
            return self.destination, self.source
        return self.source, self.destination

    def source_ports(self, source: Endpoint | None) -> Intervals | None:
        """The source ports of ``protocol`` the rule matches; None: no source-port clause.

        ``()`` means no connection matches (source ports need a port protocol).
        Named ports resolve against ``source``.

        >>> from netwarden.ir.services import TCP
        >>> Rule(Action.ALLOW, Origin("p", Direction.EGRESS, 0), protocol=TCP,
        ...      source=EntityMatch(not_ports=PortSpec(((1, 1023),)))).source_ports(None)
        ((1024, 65535),)
        """
        src = self.source
        if src.ports is None and src.not_ports is None:
            return None
        proto = self.protocol
        if proto is None or proto not in PORT_PROTOCOLS:
            return ()
        values = ServiceSet.protocol(proto)
        if src.ports is not None:
            values = values & src.ports.resolve(proto, source)
        if src.not_ports is not None:
            values = values - src.not_ports.resolve(proto, source)
        return dict(values.protocols()).get(proto, ())

    def matches_source_port(self, source: Endpoint | None, port: int = EPHEMERAL_PORT) -> bool:
        ports = self.source_ports(source)
        return ports is None or any(lo <= port <= hi for lo, hi in ports)

    def matches_family(self, ip: IPAddress | None) -> bool:
        return self.ip_version is None or ip is None or ip.version == self.ip_version

    def matches_local(self, direction: Direction, peer: Peer, ns_labels: NamespaceLabels) -> bool:
        """Whether the local side accepts ``peer``, the policy's own endpoint at one address.

        Its entity match, the address family and, for egress (the local side
        is the client), the source ports.
        """
        local, _ = self.sides(direction)
        return (
            local.matches_peer(peer, ns_labels)
            and self.matches_family(peer.ip)
            and (direction is Direction.INGRESS or self.matches_source_port(peer.endpoint))
        )

    def matches_remote(self, direction: Direction, peer: Peer,
                       ns_labels: NamespaceLabels) -> bool:
        """Whether the far side accepts ``peer``: entity match, family, and for ingress
        (the far side is the client) the source ports."""
        _, remote = self.sides(direction)
        return (
            remote.matches_peer(peer, ns_labels)
            and self.matches_family(peer.ip)
            and (direction is Direction.EGRESS or self.matches_source_port(peer.endpoint))
        )

    @property
    def depends_on_named_ports(self) -> bool:
        dst = self.destination
        return bool(
            (dst.ports is not None and dst.ports.names)
            or (dst.not_ports is not None and dst.not_ports.names)
        )


@dataclass(frozen=True, slots=True)
class Policy:
    """A policy after defaulting: which endpoints it applies to, for which directions.

    ``order`` None sorts last. ``notes`` record decisions a user may want
    explained, such as how ``types`` was defaulted. ``source_name`` is the
    name as written when the producer normalized ``name`` (Calico's tier
    prefix); Felix breaks order ties on it (``felix_key``).
    """

    name: str
    kind: PolicyKind
    namespace: str | None
    selector: Selector
    types: frozenset[Direction]
    ingress: tuple[Rule, ...] = ()
    egress: tuple[Rule, ...] = ()
    tier: str = "default"
    order: float | None = None
    scope: Scope = field(default_factory=Scope)
    applies_to_kinds: frozenset[EndpointKind] = frozenset((EndpointKind.POD,))
    apply_on_forward: bool = False
    pre_dnat: bool = False
    do_not_track: bool = False
    notes: tuple[str, ...] = ()
    position: Position | None = field(default=None, compare=False)
    source_name: str | None = None

    @property
    def felix_key(self) -> str:
        """What Felix compares when two policies of one tier have the same order.

        Calico 3.32 identifies a policy by kind, namespace and name and breaks
        ties on ``<name>/<namespace>/<kind>`` (``felix/calc/policy_sorter.go``,
        ``PolKVLess``); a Kubernetes policy's name carries ``knp.default.``.
        See docs/calico.md for older versions.

        >>> from netwarden.ir.selector import All
        >>> Policy("allow", PolicyKind.K8S, "prod", All(), frozenset()).felix_key
        'knp.default.allow/prod/KubernetesNetworkPolicy'
        """
        name = self.source_name or self.name
        if self.kind is PolicyKind.K8S:
            name = K8S_POLICY_PREFIX + name
        return f"{name}/{self.namespace or ''}/{_FELIX_KIND[self.kind]}"

    @property
    def id(self) -> str:
        """Unique name: ``ns/name`` for Kubernetes policies, qualified for Calico's."""
        base = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return _ID_PREFIX.get(self.kind, "") + base

    @property
    def rank(self) -> str:
        """`` (priority 10)`` for the kinds with a priority, for traces; else empty."""
        if self.kind.has_priority and self.order is not None:
            return f" (priority {self.order:g})"
        return ""

    def applies_to(self, endpoint: Endpoint, ns_labels: NamespaceLabels) -> bool:
        return (
            endpoint.kind in self.applies_to_kinds
            and endpoint.is_policed
            and self.scope.admits(endpoint, ns_labels)
            and self.selector.matches(endpoint.labels)
        )

    def rules(self, direction: Direction) -> tuple[Rule, ...]:
        return self.ingress if direction is Direction.INGRESS else self.egress


class Stage(Enum):
    """Where a tier sits in Felix's pipeline; stages are consulted in this order.

    Pods only ever meet ``NORMAL`` tiers. Around a host endpoint Felix runs its
    failsafe ports first, then untracked (``doNotTrack``) policy, then pre-DNAT
    policy, then the normal tiers, and denies what none decided
    (``HOST_DEFAULT``); ``netwarden.compile.felix`` builds those tiers.

    >>> sorted([Stage.NORMAL, Stage.FAILSAFE, Stage.PRE_DNAT], key=lambda s: s.rank)
    [<Stage.FAILSAFE: 'failsafe'>, <Stage.PRE_DNAT: 'pre-dnat'>, <Stage.NORMAL: 'normal'>]
    """

    FAILSAFE = "failsafe"
    UNTRACKED = "untracked"
    PRE_DNAT = "pre-dnat"
    NORMAL = "normal"
    HOST_DEFAULT = "host-default"

    @property
    def rank(self) -> int:
        return _STAGE_RANK[self]


_STAGE_RANK = {stage: rank for rank, stage in enumerate(Stage)}


@dataclass(frozen=True, slots=True)
class Tier:
    """An ordered group of policies; ``default_action`` ends a tier that applied.

    ``stage`` places the tier in Felix's pipeline: tiers are ordered by stage,
    then by ``order``, then by name. The name is only a label.
    """

    name: str
    order: float | None = None
    default_action: Action = Action.DENY
    position: Position | None = field(default=None, compare=False)
    stage: Stage = Stage.NORMAL


def domain_matches(pattern: str, name: str) -> bool:
    """Whether DNS ``name`` matches a domainNames ``pattern`` (exact, or ``*.`` + subdomains).

    ``*`` stands for one or more whole labels, and only as a prefix; case and a
    trailing dot do not matter.

    >>> [domain_matches("*.example.com", n) for n in ("a.example.com", "a.b.example.com",
    ...                                               "example.com")]
    [True, True, False]
    >>> domain_matches("Example.com.", "example.COM")
    True
    """
    pattern, name = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if pattern.startswith("*."):
        return name.endswith(pattern[1:]) and len(name) > len(pattern) - 1
    return name == pattern


def sort_key(order: float | None, name: str) -> tuple[bool, float, str]:
    """Calico's ordering: by order ascending, no order last, ties by name."""
    return (order is None, order if order is not None else 0.0, name)
