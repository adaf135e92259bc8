"""``Renderer``: render a node's ruleset, then re-render only what a change touches.

A full render looks up each local endpoint's policies through the IR's
``PolicyIndex`` (by namespace, then selector), and shares equal policy chains
and address sets by content. A ``Renderer`` keeps, per local endpoint, the
chains it produced and the cluster-wide results they read (resolved peer
sets, per-destination named ports). The next ``render`` compares the old and
the new IR and re-renders only:

* endpoints that were added, changed (labels, addresses, ports) or moved to
  another interface;
* endpoints a changed, added or removed policy applies to, before or after;
* endpoints whose chains read a peer set or named-port grouping that the
  changed endpoints altered (``RuleTranslator.update``).

Anything else (namespace labels, tiers, network sets, host endpoints, the
node or the options) starts afresh: rare, and a full render is exact. The
result is the same ``Ruleset`` a fresh ``render_ruleset`` returns (tested),
with unchanged chains as the very same objects, so ``TableWriter`` skips
them by identity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..ir import Cluster, Direction, Endpoint, EndpointKind, Policy, PolicyIndex
from ..ir import Rule as PolicyRule
from .chains import forward_chain, is_local, tier_chain
from .fastpath import UnionCompiler
from .hostendpoints import host_endpoint_chains
from .matches import AllowPiece, Registry, RuleTranslator
from .names import policy_chain_name
from .nft.objects import Chain, Map, Rule, Set, Table, quote
from .options import RenderOptions
from .ruleset import Ruleset

__all__ = ["Renderer"]

_SET_REF = re.compile(r"@([A-Za-z0-9_./\-]+)")


@dataclass(frozen=True, slots=True)
class _Rendered:
    """One local endpoint's chains and what they were computed from."""

    endpoint: Endpoint
    ifname: str
    chains: tuple[Chain, Chain]  # egress, ingress
    policy_chains: tuple[Chain, ...]
    deps: frozenset[object]


class Renderer:
    """Renders rulesets for one node, reusing the previous render's results.

    >>> r = Renderer()
    >>> [c.name for c in r.render(Cluster(), None, {}).chains]
    ['forward']
    """

    def __init__(self, options: RenderOptions | None = None) -> None:
        self.options = options or RenderOptions()
        self.last_rendered = 0  # endpoints re-rendered by the last call (for tests, metrics)
        self._start(None, None)

    def _start(self, cluster: Cluster | None, node: str | None) -> None:
        self._cluster = cluster
        self._node = node
        self._registry = Registry()
        self._translator = RuleTranslator(cluster or Cluster(), self._registry, self.options.marks,
                                          self.options.drop_log)
        self._unions = UnionCompiler(self._registry, self.options.marks)
        self._endpoints: dict[str, _Rendered] = {}
        self._chains: dict[tuple[str, Direction, tuple[tuple[str, str | None], ...]], Chain] = {}
        self._chain_sets: dict[str, tuple[str, ...]] = {}
        self._index: PolicyIndex | None = None

    # -- the entry point -------------------------------------------------------
    def render(self, cluster: Cluster, node: str | None,
               interfaces: Mapping[str, str]) -> Ruleset:
        """The ruleset for ``cluster`` on ``node`` (see ``render_ruleset``)."""
        local = {}
        for key, ifname in interfaces.items():
            endpoint = cluster.endpoint(key)
            if endpoint is not None and is_local(endpoint, node):
                local[key] = (endpoint, ifname)
        try:
            todo = self._plan(cluster, node, local)
            self._index = PolicyIndex(cluster)
            for key in todo:
                endpoint, ifname = local[key]
                self._endpoints[key] = self._render_endpoint(endpoint, ifname)
            for key in [k for k in self._endpoints if k not in local]:
                del self._endpoints[key]
            self.last_rendered = len(todo)
            self._cluster, self._node = cluster, node
            return self._assemble(cluster, node)
        except BaseException:
            self._start(None, None)  # half-updated state must not be trusted next time
            raise

    def _plan(self, cluster: Cluster, node: str | None,
              local: Mapping[str, tuple[Endpoint, str]]) -> list[str]:
        """Keys of the local endpoints to (re-)render; resets the state when needed."""
        old = self._cluster
        if old is None or node != self._node or not _same_frame(old, cluster):
            self._start(cluster, node)
            return sorted(local)
        before = {e.key: e for e in old.endpoints}
        changed: list[Endpoint] = []
        for e in cluster.endpoints:
            was = before.pop(e.key, None)
            if was is not e and was != e:
                changed.extend(x for x in (was, e) if x is not None)
        changed.extend(before.values())  # removed
        if any(e.kind in (EndpointKind.NETWORK_SET, EndpointKind.HOST) for e in changed):
            self._start(cluster, node)
            return sorted(local)
        dirty = self._translator.update(cluster, changed)
        changed_keys = {e.key for e in changed}
        policies = _changed_policies(old.policies, cluster.policies)
        ns = cluster.ns_labels
        todo = []
        for key, (endpoint, ifname) in local.items():
            done = self._endpoints.get(key)
            if (done is None or key in changed_keys or done.ifname != ifname
                    or (dirty and not dirty.isdisjoint(done.deps))
                    or any(p.applies_to(endpoint, ns) for p in policies)):
                todo.append(key)
        return sorted(todo)

    # -- rendering ---------------------------------------------------------------
    def _render_endpoint(self, endpoint: Endpoint, ifname: str) -> _Rendered:
        assert self._index is not None
        translator = self._translator
        translator.used = set()
        used: dict[str, Chain] = {}
        union = self.allow_union if self.options.allow_sets else None
        egress, ingress = (
            tier_chain(endpoint, direction, self._index.layers(endpoint, direction),
                       self.policy_chain, used, self.options, union=union)
            for direction in (Direction.EGRESS, Direction.INGRESS)
        )
        return _Rendered(endpoint, ifname, (egress, ingress), tuple(used.values()),
                         frozenset(translator.used))

    def allow_union(self, policies: Sequence[Policy], direction: Direction,
                    endpoint: Endpoint) -> tuple[list[Rule], list[Chain]]:
        """An allow-only tier: lookups of its union, and chains of the rules that don't fit."""
        pieces: list[AllowPiece] = []
        residual: list[Chain] = []
        for policy in policies:
            rest: list[PolicyRule] = []
            for rule in policy.rules(direction):
                got = self._translator.allow_pieces(rule, direction, endpoint)
                if got is None:
                    rest.append(rule)
                else:
                    pieces.extend(got)
            if rest:
                chain = self.policy_chain(policy, direction, endpoint, rest)
                if chain.rules:
                    residual.append(chain)
        lookups = self._unions.rules(tuple(pieces), direction is Direction.INGRESS)
        return lookups, residual

    def policy_chain(self, policy: Policy, direction: Direction, endpoint: Endpoint,
                     only: Iterable[PolicyRule] | None = None) -> Chain:
        """``policy``'s rules (or ``only`` these of them) for ``endpoint``; shared by content."""
        rules: list[Rule] = []
        for rule in policy.rules(direction) if only is None else only:
            rules.extend(self._translator.translate(rule, direction, endpoint))
        content = tuple((r.body, r.comment) for r in rules)
        key = (policy.id, direction, content)
        chain = self._chains.get(key)
        if chain is None:
            chain = self._chains[key] = Chain(
                policy_chain_name(policy, direction, content), tuple(rules))
            self._chain_sets[chain.name] = tuple(sorted(
                {m for r in rules for m in _SET_REF.findall(r.body)}))
        return chain

    def _assemble(self, cluster: Cluster, node: str | None) -> Ruleset:
        opts = self.options
        policy_chains: dict[str, Chain] = {}
        endpoint_chains: list[Chain] = []
        dispatch: dict[Direction, list[tuple[str, str]]] = {d: [] for d in Direction}
        for key in sorted(self._endpoints):
            done = self._endpoints[key]
            for chain in done.policy_chains:
                policy_chains.setdefault(chain.name, chain)
            endpoint_chains.extend(done.chains)
            for direction, chain in zip((Direction.EGRESS, Direction.INGRESS), done.chains,
                                        strict=True):
                dispatch[direction].append((quote(done.ifname), f"jump {chain.name}"))
        assert self._index is not None
        host_base, host_chains = host_endpoint_chains(
            self._index, node, self.policy_chain, policy_chains, opts)
        local_ifaces = tuple(sorted({k for d in Direction for k, _ in dispatch[d]}))
        sets: list[Set] = [
            Set("local_ifaces", "ifname", elements=local_ifaces),
            Map("egress_dispatch", "ifname : verdict",
                entries=tuple(dispatch[Direction.EGRESS])),
            Map("ingress_dispatch", "ifname : verdict",
                entries=tuple(dispatch[Direction.INGRESS])),
        ]
        sets.extend(self._used_sets(policy_chains, endpoint_chains))
        chains = (
            forward_chain(opts),
            *host_base,
            *sorted(endpoint_chains + host_chains, key=lambda c: c.name),
            *(policy_chains[n] for n in sorted(policy_chains)),
        )
        return Ruleset(Table(opts.table), chains, tuple(sets))

    def _used_sets(self, policy_chains: Mapping[str, Chain],
                   endpoint_chains: Iterable[Chain]) -> list[Set]:
        """The named sets the chains refer to; the rest are forgotten."""
        names = {s for n in policy_chains for s in self._chain_sets.get(n, ())}
        names.update(m for c in endpoint_chains for r in c.rules if "@" in r.body
                     for m in _SET_REF.findall(r.body))
        registry = self._registry
        registry.prune(names)
        self._unions.prune()
        self._chains = {k: c for k, c in self._chains.items() if c.name in policy_chains}
        self._chain_sets = {n: s for n, s in self._chain_sets.items() if n in policy_chains}
        return [registry.sets[n] for n in sorted(names) if n in registry.sets]


def _same_frame(old: Cluster, new: Cluster) -> bool:
    """Whether ``new`` differs from ``old`` only in pods and policies."""
    return (old.tiers == new.tiers and dict(old.namespaces) == dict(new.namespaces)
            and old.network_sets == new.network_sets)


def _changed_policies(old: Iterable[Policy], new: Iterable[Policy]) -> list[Policy]:
    """Old and new versions of every policy added, removed or modified."""
    before = {p.id: p for p in old}
    out: list[Policy] = []
    for p in new:
        was = before.pop(p.id, None)
        if was is not p and was != p:
            out.extend(x for x in (was, p) if x is not None)
    out.extend(before.values())
    return out
