"""Render the IR into one nft table for a node: a pure function, no processes.

Layout of ``table inet netwarden``::

    forward (filter hook, priority 0, policy accept: non-pod traffic passes)
      ct state established,related accept
      ct state invalid drop
      iifname "<prefix>*" iifname != @local_ifaces drop   # unknown pod: fail closed
      oifname "<prefix>*" oifname != @local_ifaces drop
      iifname vmap @egress_dispatch     → jump ep-<key>-egress
      oifname vmap @ingress_dispatch    → jump ep-<key>-ingress
    ep-<key>-<dir>     per local endpoint: clear marks, anti-spoofing (egress),
                       then per taking-part tier: jump pol-… ; mark says allow → return;
                       (an allow-only tier: lookups in its union's sets, see ``fastpath``)
                       tier end → counted drop (unless the tier's default is Pass)
    pol-<policy>-<dir>-<hash>   the policy's rules as seen from such endpoints;
                       shared by every endpoint for which they come out the same

Calico host endpoints of ``node`` add base chains on other hooks (input,
output, forward, prerouting before DNAT, raw); see ``hostendpoints``.

A policy chain never accepts: Allow sets a mark bit and returns, so that in
the forward hook the source's egress chain and then the destination's
ingress chain both run, as in Felix. With ``RenderOptions.drop_log_group``
every drop is preceded by a rate-limited ``log group`` rule without verdict.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ..ir import Action, Cluster, Direction, Endpoint, EndpointKind, Policy, Tier
from .matches import Marks, digest, log_prefix
from .nft.objects import Chain, Rule, Set, Table, quote, set_literal

__all__ = ["RenderOptions", "Ruleset", "endpoint_chain", "render_ruleset", "tier_chain"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_./\-]")


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """Knobs of the layout; the defaults suit the lab."""

    table: str = "netwarden"
    pod_interface_prefix: str | None = None
    marks: Marks = field(default_factory=Marks)
    priority: int = 0
    # Allow-only tiers of pods as set lookups (``fastpath``); False: one jump per policy.
    allow_sets: bool = True
    # NFLOG group for drops: each drop is preceded by a rate-limited ``log group`` rule.
    drop_log_group: int | None = None
    drop_log_rate: str = "10/second"
    drop_log_burst: int = 20

    @property
    def drop_log(self) -> str | None:
        """The logging statement put before drops (no verdict), or None."""
        if self.drop_log_group is None:
            return None
        return (f"limit rate {self.drop_log_rate} burst {self.drop_log_burst} packets "
                f"log group {self.drop_log_group}")

    def logged(self, match: str, text: str) -> list[Rule]:
        """The rule logging what ``match`` is about to drop (none without a group).

        Rate-limited apart from the drop, so the drop itself never is.
        """
        log = self.drop_log
        if log is None:
            return []
        return [Rule(_join(match, f"{log} prefix {quote(log_prefix(text))}"))]


@dataclass(frozen=True, slots=True)
class Ruleset:
    """The desired content of one table: chains and sets/maps.

    Chains are ordered so that a regular chain only jumps to chains after it
    (base chains first, then endpoint chains, then policy chains); sets
    never refer to chains, maps may.
    """

    table: Table
    chains: tuple[Chain, ...]
    sets: tuple[Set, ...]

    def chain(self, name: str) -> Chain:
        for chain in self.chains:
            if chain.name == name:
                return chain
        raise KeyError(name)

    def set(self, name: str) -> Set:
        for item in self.sets:
            if item.name == name:
                return item
        raise KeyError(name)

    def text(self) -> str:
        """The ruleset as an ``nft -f`` batch that (re)creates the table."""
        from .writer import full_transaction

        return str(full_transaction(self))


def _slug(text: str, limit: int = 60) -> str:
    clean = _UNSAFE.sub("_", text)
    if clean != text or len(clean) > limit or not clean[:1].isalpha():
        clean = f"{clean[:limit]}~{digest(text, size=6)}".replace("~", "_")
    return clean


def endpoint_chain(key: str, direction: Direction) -> str:
    """Name of an endpoint's chain: ``ep-<ns/pod>-ingress`` (stable per key)."""
    return f"ep-{_slug(key)}-{direction.lower}"


def render_ruleset(
    cluster: Cluster,
    node: str | None,
    interfaces: Mapping[str, str],
    options: RenderOptions | None = None,
) -> Ruleset:
    """Chains and sets enforcing ``cluster`` for the endpoints local to ``node``.

    ``interfaces`` maps an endpoint key (``ns/pod``) to the node-side veth of
    that pod; only those endpoints get chains. Endpoints whose ``node`` is
    set and differs from ``node`` are skipped, as are hostNetwork pods.
    Pure: a fresh ``Renderer`` each call (keep one to render updates
    incrementally).

    >>> rs = render_ruleset(Cluster(), None, {})
    >>> [c.name for c in rs.chains]
    ['forward']
    """
    from .incremental import Renderer

    return Renderer(options).render(cluster, node, interfaces)


def _local(endpoint: Endpoint, node: str | None) -> bool:
    if endpoint.kind is not EndpointKind.POD or endpoint.host_network:
        return False
    return node is None or endpoint.node in (None, node)


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _forward_chain(opts: RenderOptions) -> Chain:
    rules = [
        Rule("ct state established,related accept"),
        *opts.logged("ct state invalid", "conntrack invalid"),
        Rule("ct state invalid counter drop", "conntrack invalid"),
    ]
    prefix = opts.pod_interface_prefix
    if prefix:
        wildcard = quote(prefix + "*")
        for side in ("iifname", "oifname"):
            match = f"{side} {wildcard} {side} != @local_ifaces"
            rules += [*opts.logged(match, f"unknown pod interface ({side})"),
                      Rule(f"{match} counter drop", "unknown pod interface")]
    rules += [
        Rule("iifname vmap @egress_dispatch"),
        Rule("oifname vmap @ingress_dispatch"),
    ]
    return Chain(
        "forward", tuple(rules), type="filter", hook="forward", priority=opts.priority,
        policy="accept",
    )


def _anti_spoofing(endpoint: Endpoint, opts: RenderOptions) -> list[Rule]:
    comment = f"{endpoint.key} anti-spoofing"
    out = []
    for version, keyword, family in ((4, "ip", "ipv4"), (6, "ip6", "ipv6")):
        own = [str(ip) for ip in endpoint.ips if ip.version == version]
        match = f"{keyword} saddr != {set_literal(own)}" if own else f"meta nfproto {family}"
        out += [*opts.logged(match, comment), Rule(f"{match} counter drop", comment)]
    return out


PolicyChain = Callable[[Policy, Direction, Endpoint], Chain]
# An allow-only tier's policies → (lookup rules, residual policy chains to jump to).
AllowUnion = Callable[[Sequence[Policy], Direction, Endpoint], tuple[list[Rule], list[Chain]]]
Layers = Sequence[tuple[Tier, Sequence[Policy]]]


def tier_chain(
    endpoint: Endpoint,
    direction: Direction,
    layers: Layers,
    policy_chain: PolicyChain,
    policy_chains: dict[str, Chain],
    opts: RenderOptions,
    name: str | None = None,
    union: AllowUnion | None = None,
) -> Chain:
    """The chain walking ``layers`` (tiers and their applicable policies, in order).

    Policy chains it jumps to are added to ``policy_chains``. A policy whose
    chain has no rule for this endpoint is not jumped to: it only makes the
    tier take part (its end-of-tier drop). Host endpoints get no
    anti-spoofing, since a host sends from any of its addresses. With
    ``union``, a tier of Allow rules only becomes set lookups (``fastpath``).
    """
    marks = opts.marks
    allowed = f"meta mark & 0x{marks.allow:x} != 0 return"
    rules = [Rule(f"meta mark set meta mark & {marks.clear}")]
    if direction is Direction.EGRESS and endpoint.kind is EndpointKind.POD:
        rules += _anti_spoofing(endpoint, opts)
    taking_part = [(tier, policies) for tier, policies in layers if policies]
    for index, (tier, policies) in enumerate(taking_part):
        may_pass = False
        guard = f"meta mark & 0x{marks.pass_:x} == 0 "
        what = f"{endpoint.key} {direction.lower} tier {tier.name}"
        if union is not None and all(r.action is Action.ALLOW for p in policies
                                     for r in p.rules(direction)):
            lookups, residual = union(policies, direction, endpoint)
            rules += lookups
            for chain in residual:
                policy_chains.setdefault(chain.name, chain)
                rules += [Rule(f"jump {chain.name}"), Rule(allowed)]
            if _tier_drops(tier):
                rules += opts.logged("", f"{endpoint.key} {direction.lower} end of tier "
                                         f"{tier.name}")
                rules.append(Rule("counter drop", f"{what} default deny"))
            continue
        for policy in policies:
            chain = policy_chain(policy, direction, endpoint)
            if not chain.rules:
                continue
            policy_chains.setdefault(chain.name, chain)
            rules.append(Rule(f"{guard if may_pass else ''}jump {chain.name}"))
            actions = {r.action for r in policy.rules(direction)}
            if Action.ALLOW in actions:
                rules.append(Rule(allowed))
            may_pass = may_pass or Action.PASS in actions
        if _tier_drops(tier):
            match = guard.strip() if may_pass else ""
            rules += opts.logged(match, f"{endpoint.key} {direction.lower} end of tier "
                                        f"{tier.name}")
            rules.append(Rule(_join(match, "counter drop"), f"{what} default deny"))
        if may_pass and index + 1 < len(taking_part):
            rules.append(Rule(f"meta mark set meta mark & 0x{0xFFFFFFFF & ~marks.pass_:08x}"))
    return Chain(name or endpoint_chain(endpoint.key, direction), tuple(rules))


def _tier_drops(tier: Tier) -> bool:
    return tier.default_action is not Action.PASS


def policy_chain_name(policy: Policy, direction: Direction, content: object) -> str:
    """``pol-<policy>-<i|e>-<hash of the rules>``: equal content, equal name."""
    return f"pol-{_slug(policy.id, 40)}-{direction.lower[0]}-{digest(content, size=8)}"
