"""The chains of a node's table, built from the policies that apply to an endpoint.

Layout of ``table inet netwarden``::

    forward (filter hook, priority 0, policy accept: non-pod traffic passes)
      ct state established,related accept
      ct state invalid drop
      iifname "<prefix>*" iifname != @local_ifaces drop   # unknown pod: fail closed
      oifname "<prefix>*" oifname != @local_ifaces drop
      iifname vmap @egress_dispatch     → jump ep-<key>-egress
      oifname vmap @ingress_dispatch    → jump ep-<key>-ingress
      ct state new limit … log group N prefix "nw accept"   # flow_log_group: ``flowlog``
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
The rules inside policy chains come from ``matches``; this module only
orders tiers and policies, in the order a ``PolicyIndex`` gives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..ir import Action, Direction, Endpoint, EndpointKind, Policy, Tier
from .names import anti_spoofing_comment, default_deny_comment, endpoint_chain
from .nft.objects import Chain, Rule, quote, set_literal
from .options import RenderOptions

__all__ = ["AllowUnion", "Layers", "PolicyChain", "forward_chain", "is_local", "tier_chain"]


def is_local(endpoint: Endpoint, node: str | None) -> bool:
    """Whether ``node`` enforces ``endpoint``: a pod on it (or on no node), not hostNetwork."""
    if endpoint.kind is not EndpointKind.POD or endpoint.host_network:
        return False
    return node is None or endpoint.node in (None, node)


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def forward_chain(opts: RenderOptions) -> Chain:
    """The base chain every forwarded packet meets: conntrack, unknown pods, dispatch."""
    rules = [
        Rule("ct state established,related accept"),
        *([Rule(f"meta mark & 0x{opts.hairpin_mark:x} != 0 accept", "hairpin")]
          if opts.hairpin_mark else []),
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
        *opts.flow_log(),  # reached only by new connections both sides accepted
    ]
    return Chain(
        "forward", tuple(rules), type="filter", hook="forward", priority=opts.priority,
        policy="accept",
    )


def _anti_spoofing(endpoint: Endpoint, opts: RenderOptions) -> list[Rule]:
    comment = anti_spoofing_comment(endpoint.key)
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
        deny = default_deny_comment(endpoint.key, direction, tier.name)
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
                rules.append(Rule("counter drop", deny))
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
            rules.append(Rule(_join(match, "counter drop"), deny))
        if may_pass and index + 1 < len(taking_part):
            rules.append(Rule(f"meta mark set meta mark & 0x{0xFFFFFFFF & ~marks.pass_:08x}"))
    return Chain(name or endpoint_chain(endpoint.key, direction), tuple(rules))


def _tier_drops(tier: Tier) -> bool:
    return tier.default_action is not Action.PASS
