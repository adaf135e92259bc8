"""The compiled cluster: endpoints, namespaces and policies in evaluation order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from .addresses import AddressSet
from .endpoints import Endpoint, EndpointKind, IPAddress, IPNetwork, Labels, Namespace
from .ingresses import KubeIngress
from .kube_services import DEFAULT_NODE, KubeService
from .policy import EntityMatch, Policy, PolicyKind, Tier, sort_key

__all__ = ["DEFAULT_TIER", "Cluster"]

NAME_LABEL = "kubernetes.io/metadata.name"

# Calico places Kubernetes policies, and Calico ones without a tier, in the
# "default" tier, which sorts after every tier a user orders explicitly.
DEFAULT_TIER = Tier("default", order=1_000_000)


@dataclass(frozen=True)
class Cluster:
    """Everything the engine and the dataplane need, and nothing raw.

    ``namespaces`` holds the declared ones; a namespace that is only
    referenced still exists with its ``kubernetes.io/metadata.name`` label.
    ``notes`` are for the curious (``validate`` lists them); ``warnings`` say
    where a verdict may differ from the cluster's, and every command prints them.
    ``services`` are the Kubernetes Services with their backends
    (``netwarden.ir.kube_services``): they route, policies never select them;
    ``node_addresses`` each node's address (NodePorts, SNAT), by node name;
    ``ingresses`` the Ingress routes (``netwarden.ir.ingresses``), which no
    verdict reads: exposure follows them from outside to their backends.
    """

    endpoints: tuple[Endpoint, ...] = ()
    policies: tuple[Policy, ...] = ()
    namespaces: Mapping[str, Namespace] = field(default_factory=dict)
    tiers: tuple[Tier, ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    services: tuple[KubeService, ...] = ()
    node_addresses: Mapping[str, IPAddress] = field(default_factory=dict)
    ingresses: tuple[KubeIngress, ...] = ()
    # The cluster as Calico's staged policies would make it (``compile.staged``): evaluated
    # for "what would happen", never enforced. None without staged policies.
    staged: Cluster | None = None

    @cached_property
    def _services(self) -> dict[tuple[str, str], KubeService]:
        return {(s.namespace, s.name): s for s in self.services}

    def service(self, namespace: str, name: str) -> KubeService | None:
        return self._services.get((namespace, name))

    @cached_property
    def _services_of(self) -> dict[str, tuple[KubeService, ...]]:
        out: dict[str, list[KubeService]] = {}
        for svc in self.services:
            for backend in svc.backends:
                if svc not in out.setdefault(backend.key, []):
                    out[backend.key].append(svc)
        return {key: tuple(found) for key, found in out.items()}

    def services_of(self, key: str) -> tuple[KubeService, ...]:
        """The Services an endpoint (``ns/pod``) backs, ready or not, in load order."""
        return self._services_of.get(key, ())

    def node_address(self, node: str | None) -> IPAddress | None:
        """A node's address (``None``: the node of pods that name none)."""
        return self.node_addresses.get(node or DEFAULT_NODE)

    def ns_labels(self, name: str) -> Labels:
        ns = self.namespaces.get(name)
        return ns.labels if ns is not None else self._implicit_labels(name)

    def _implicit_labels(self, name: str) -> Labels:
        cache = self.__dict__.setdefault("_implicit", {})
        if name not in cache:
            cache[name] = Labels({NAME_LABEL: name})
        return cache[name]  # type: ignore[no-any-return]

    @cached_property
    def all_namespaces(self) -> tuple[str, ...]:
        names = set(self.namespaces)
        names.update(e.namespace for e in self.endpoints if e.namespace)
        names.update(p.namespace for p in self.policies if p.namespace)
        return tuple(sorted(names))

    @cached_property
    def evaluation_order(self) -> tuple[tuple[Tier, tuple[Policy, ...]], ...]:
        """Tiers by stage, order then name, each with its policies by order then Felix's key.

        The one place that fixes the order in which policies are consulted.
        Equal orders (or none) are broken as Felix breaks them
        (``Policy.felix_key``), so a global and a namespaced Calico policy, or a
        Kubernetes and a Calico one, are ordered by name, not by kind.
        """
        tiers = {t.name: t for t in self.tiers}
        tiers.setdefault(DEFAULT_TIER.name, DEFAULT_TIER)
        grouped: dict[str, list[Policy]] = {name: [] for name in tiers}
        for policy in self.policies:
            grouped.setdefault(policy.tier, []).append(policy)
            tiers.setdefault(policy.tier, Tier(policy.tier))
        ordered = sorted(tiers.values(), key=lambda t: (t.stage.rank, *sort_key(t.order, t.name)))
        return tuple(
            (tier, tuple(sorted(grouped[tier.name],
                                key=lambda p: sort_key(p.order, p.felix_key))))
            for tier in ordered
            if grouped[tier.name]
        )

    @cached_property
    def pods(self) -> tuple[Endpoint, ...]:
        return tuple(e for e in self.endpoints if e.kind is EndpointKind.POD)

    @cached_property
    def has_calico_objects(self) -> bool:
        """Calico's policies, tiers, host endpoints or network sets are loaded (the
        cluster-wide kinds' tiers are netwarden's mapping, not Calico's). Answers use
        Calico's words (tiers, orders) only then; cached, as every verdict asks."""
        mapped = {p.tier for p in self.policies if p.kind.has_priority}
        return (any(t.name not in mapped for t in self.tiers)
                or any(p.kind in (PolicyKind.CALICO, PolicyKind.CALICO_GLOBAL)
                       for p in self.policies)
                or any(e.kind in (EndpointKind.HOST, EndpointKind.NETWORK_SET)
                       for e in self.endpoints))

    @cached_property
    def network_sets(self) -> tuple[Endpoint, ...]:
        return tuple(e for e in self.endpoints if e.kind is EndpointKind.NETWORK_SET)

    @cached_property
    def _by_key(self) -> dict[str, Endpoint]:
        return {e.key: e for e in self.endpoints}

    @cached_property
    def _by_ip(self) -> dict[IPAddress, Endpoint]:
        out: dict[IPAddress, Endpoint] = {}
        for e in self.endpoints:
            if e.kind is EndpointKind.NETWORK_SET:
                continue
            for ip in e.ips:
                out.setdefault(ip, e)
        return out

    @cached_property
    def _host_endpoints(self) -> dict[str | None, tuple[Endpoint, ...]]:
        by_node: dict[str | None, list[Endpoint]] = {}
        for e in self.endpoints:
            if e.kind is EndpointKind.HOST:
                by_node.setdefault(e.node, []).append(e)
        return {node: tuple(heps) for node, heps in by_node.items()}

    def forwarding_host_endpoints(self, node: str | None) -> tuple[Endpoint, ...]:
        """The host endpoints that traffic entering or leaving ``node`` crosses.

        netwarden does not model routes, so: an all-interfaces endpoint
        (``interfaceName: "*"``) covers every path; without one, traffic may
        cross any named interface of the node, so all of them are consulted.
        """
        heps = self._host_endpoints.get(node, ()) if node is not None else ()
        wildcard = tuple(h for h in heps if h.interface == "*")
        return wildcard or heps

    def crosses_host(self, source: Endpoint | None, destination: Endpoint | None) -> bool:
        """Whether a connection leaves one node's pods for somewhere off that node.

        Pods on the same node talk over their veths and cross no host interface;
        an address outside the cluster, or a pod of another node, is reached
        through the node's interfaces. A host endpoint itself is the host.
        """
        if source is None or destination is None:
            return True
        if EndpointKind.HOST in (source.kind, destination.kind):
            return False
        return source.node != destination.node

    def endpoint(self, key: str) -> Endpoint | None:
        return self._by_key.get(key)

    def endpoint_at(self, ip: IPAddress) -> Endpoint | None:
        return self._by_ip.get(ip)

    def network_sets_at(self, ip: IPAddress) -> tuple[Endpoint, ...]:
        return tuple(s for s in self.network_sets if any(ip in n for n in s.nets))

    @cached_property
    def named_nets(self) -> tuple[IPNetwork, ...]:
        """Every address range a rule (nets, notNets, ipBlocks) or a network set names.

        Addresses between two consecutive boundaries of these ranges are
        indistinguishable to every policy.
        """
        nets: set[IPNetwork] = set()
        for policy in self.policies:
            for rule in policy.ingress + policy.egress:
                for side in (rule.source, rule.destination):
                    nets.update(side.nets)
                    nets.update(side.not_nets)
        for netset in self.network_sets:
            nets.update(netset.nets)
        return tuple(sorted(nets, key=lambda n: (n.version, int(n.network_address),
                                                 n.prefixlen)))

    def peer_addresses(self, match: EntityMatch) -> AddressSet:
        """Every address ``match`` accepts as the far side of a rule.

        The set form of ``EntityMatch.matches_peer``: the addresses of what
        the selector (and service accounts) select, or everything, within
        ``nets``, outside ``not_nets`` and outside what ``not_selector`` excludes.
        """
        ns = self.ns_labels
        if match.domains:  # matched by DNS name, which no address carries
            return AddressSet.of(())
        if match.selector is not None or match.service_accounts:
            out = AddressSet.of(
                a for e in self.endpoints
                if match.selects(e, ns)
                and (not match.service_accounts or e.service_account in match.service_accounts)
                for a in e.addresses)
        else:
            out = AddressSet.everything()
        if match.nets:
            out = out & AddressSet.of(match.nets)
        if match.not_nets:
            out = out - AddressSet.of(match.not_nets)
        if match.not_selector is not None:
            out = out - AddressSet.of(a for e in self.endpoints if match.excludes(e)
                                      for a in e.addresses)
        return out
