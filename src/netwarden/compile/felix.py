"""Felix's built-in behaviour for host endpoints, written as IR tiers and policies.

The engine and the dataplane only know ordered tiers of policies, so what Felix
does around a host endpoint's policies is expressed in the same terms: tiers
whose ``Tier.stage`` places them in Felix's pipeline (``netwarden.ir.Stage``;
tiers sort by stage first). The tier names below are labels for traces
(sources: Calico docs, reference/host-endpoints: "Failsafe rules", "Pre-DNAT
policy", "Summary", "Creating policy for basic connectivity", "Apply on
forwarded traffic"):

1. ``Stage.FAILSAFE``, tier ``felix:failsafe``: Felix's default failsafe ports
   are open on every host endpoint whatever the policy. Inbound TCP 22, 179,
   2379, 2380, 6443, 6666, 6667 and UDP 68; outbound UDP 53, 67 and TCP 179,
   2379, 2380, 6443, 6666, 6667 (``FailsafeInboundHostPorts``/
   ``FailsafeOutboundHostPorts``). Anything else passes on.
2. ``Stage.UNTRACKED``, tiers ``felix:untracked.<tier>``: ``doNotTrack``
   policies, one tier per real tier (same order), before everything else; an
   explicit Allow skips pre-DNAT and normal policy, and there is no default drop.
3. ``Stage.PRE_DNAT``, tiers ``felix:pre-dnat.<tier>``: ``preDNAT`` policies,
   ingress only; an explicit Allow skips normal host endpoint policy, an
   explicit Deny drops, and there is no default drop ("no 'default drop'
   semantic for pre-DNAT policy").
4. ``Stage.NORMAL``: the user's tiers, as compiled.
5. ``Stage.HOST_DEFAULT``, tier ``felix:host-endpoint-default`` (last): a host
   endpoint that no policy decided for is denied ("if there is no security
   policy for that endpoint, Calico will default to denying traffic to/from
   that endpoint, except for traffic that is allowed by the failsafe rules";
   host endpoints have no profiles to fall back to).

Untracked and pre-DNAT policies apply to host endpoints only. The engine
reads a host endpoint as the host's own addresses: as destination it is
traffic to a host process (input), as source traffic from one (output).
Traffic forwarded through a host endpoint meets only its ``applyOnForward``
policies: the IR's index filters on that flag (``PolicyIndex.layers(...,
forwarded=True)``), which leaves out the failsafe and default stages here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from ..ir import (
    Action,
    Direction,
    EndpointKind,
    EntityMatch,
    Origin,
    Policy,
    PolicyKind,
    PortSpec,
    Rule,
    Stage,
    Tier,
)
from ..ir.cluster import DEFAULT_TIER
from ..ir.selector import All
from ..ir.services import TCP, UDP

__all__ = [
    "FAILSAFE_INBOUND",
    "FAILSAFE_OUTBOUND",
    "FAILSAFE_TIER",
    "HOST_DEFAULT_TIER",
    "PRE_DNAT_PREFIX",
    "UNTRACKED_PREFIX",
    "host_endpoint_stages",
]

FAILSAFE_TIER = "felix:failsafe"
HOST_DEFAULT_TIER = "felix:host-endpoint-default"
UNTRACKED_PREFIX = "felix:untracked."
PRE_DNAT_PREFIX = "felix:pre-dnat."
_HOSTS_ONLY = frozenset((EndpointKind.HOST,))
_BOTH = frozenset((Direction.INGRESS, Direction.EGRESS))
# Felix's defaults; (protocol, ports).
FAILSAFE_INBOUND: tuple[tuple[int, tuple[int, ...]], ...] = (
    (TCP, (22, 179, 2379, 2380, 6443, 6666, 6667)),
    (UDP, (68,)),
)
FAILSAFE_OUTBOUND: tuple[tuple[int, tuple[int, ...]], ...] = (
    (UDP, (53, 67)),
    (TCP, (179, 2379, 2380, 6443, 6666, 6667)),
)
def _failsafe_rules(
    policy_id: str, direction: Direction, entries: Iterable[tuple[int, tuple[int, ...]]]
) -> tuple[Rule, ...]:
    return tuple(
        Rule(Action.ALLOW, Origin(policy_id, direction, index),
             destination=EntityMatch(ports=PortSpec(tuple((p, p) for p in ports))),
             protocol=protocol)
        for index, (protocol, ports) in enumerate(entries)
    )


def _builtin(name: str, tier: str, ingress: tuple[Rule, ...] = (),
             egress: tuple[Rule, ...] = (), note: str = "") -> Policy:
    return Policy(name=name, kind=PolicyKind.CALICO_GLOBAL, namespace=None, selector=All(),
                  types=_BOTH, ingress=ingress, egress=egress, tier=tier, order=0.0,
                  applies_to_kinds=_HOSTS_ONLY, notes=(note,) if note else ())


def failsafe_policy() -> Policy:
    policy_id = "global:felix:failsafe"
    return _builtin(
        "felix:failsafe", FAILSAFE_TIER,
        _failsafe_rules(policy_id, Direction.INGRESS, FAILSAFE_INBOUND),
        _failsafe_rules(policy_id, Direction.EGRESS, FAILSAFE_OUTBOUND),
        "Felix's default failsafe ports, open on every host endpoint whatever the policy",
    )


def host_default_policy() -> Policy:
    return _builtin(
        "felix:host-endpoint-default", HOST_DEFAULT_TIER,
        note="host endpoints have no profile: traffic no policy allowed is denied",
    )


def _stage_tier(prefix: str, tier: Tier, stage: Stage) -> Tier:
    """The tier of ``stage`` holding ``tier``'s policies of that stage: same order, no drop."""
    return Tier(prefix + tier.name, tier.order, Action.PASS, tier.position, stage)


def host_endpoint_stages(
    tiers: Sequence[Tier], policies: Sequence[Policy], with_hosts: bool
) -> tuple[tuple[Tier, ...], tuple[Policy, ...]]:
    """Move untracked and pre-DNAT policies to their stages; add Felix's built-ins.

    ``with_hosts`` says whether the cluster has host endpoints; without any,
    the failsafe and default tiers would select nothing and are left out.
    """
    by_name = {t.name: t for t in tiers}
    by_name.setdefault(DEFAULT_TIER.name, DEFAULT_TIER)
    out_tiers: dict[str, Tier] = dict((t.name, t) for t in tiers)
    out: list[Policy] = []
    for policy in policies:
        if not (policy.do_not_track or policy.pre_dnat):
            out.append(policy)
            continue
        real = by_name.get(policy.tier, Tier(policy.tier))
        if policy.do_not_track:
            stage = _stage_tier(UNTRACKED_PREFIX, real, Stage.UNTRACKED)
            note = ("doNotTrack: evaluated before pre-DNAT and normal policy, host endpoints "
                    "only; an Allow skips the rest, no default drop")
        else:
            stage = _stage_tier(PRE_DNAT_PREFIX, real, Stage.PRE_DNAT)
            note = ("preDNAT: evaluated before normal policy, ingress of host endpoints "
                    "only; an Allow skips normal host endpoint policy, no default drop")
        out_tiers.setdefault(stage.name, stage)
        out.append(replace(policy, tier=stage.name, applies_to_kinds=_HOSTS_ONLY,
                           notes=(*policy.notes, f"{note} (tier {policy.tier})")))
    if with_hosts:
        out_tiers[FAILSAFE_TIER] = Tier(FAILSAFE_TIER, 0.0, Action.PASS, stage=Stage.FAILSAFE)
        out_tiers[HOST_DEFAULT_TIER] = Tier(HOST_DEFAULT_TIER, 0.0, Action.DENY,
                                            stage=Stage.HOST_DEFAULT)
        out[:0] = [failsafe_policy()]
        out.append(host_default_policy())
    return tuple(out_tiers.values()), tuple(out)
