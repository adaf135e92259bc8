"""Calico host endpoints of one node as nft base chains on the node's own hooks.

Decisions (Calico docs, reference/host-endpoints, "Summary"; the IR stages come
from ``netwarden.compile.felix``):

* ``hep-raw-in``/``hep-raw-out`` (raw priority -300, prerouting/output):
  untracked (``doNotTrack``) policies. Allow → ``notrack`` and the
  ``accepted`` mark, so no later host endpoint chain looks at the packet;
  Deny drops; no default drop.
* ``hep-prednat`` (prerouting, priority -101: just before DNAT at -100):
  pre-DNAT policies, for every packet arriving on the interface, forwarded or
  not. Allow → ``accepted`` mark; Deny drops; no default drop.
* ``hep-input``/``hep-output`` (filter 0): packets to/from host processes:
  failsafe ports, the normal tiers, then the host endpoint default deny.
* ``hep-forward`` (filter -1, before the pods' ``forward`` chain): only
  policies with ``applyOnForward``; ingress of the arriving interface, then
  egress of the leaving one; no failsafe and no default deny (forwarded
  traffic is allowed when no such policy applies). Pod policies still run
  in ``forward`` afterwards.

Established flows are accepted first in the filter chains (pre-DNAT and
untracked policy only ever sees a flow's first packet's direction). An
interface ``*`` host endpoint matches every interface but ``lo`` and the pod
interfaces. Base chains never accept a new packet: they drop or fall through,
so later base chains (and the pods' ``forward``) still run.
"""

from __future__ import annotations

from ..ir import Cluster, Direction, Endpoint, EndpointKind, PolicyIndex, Stage
from .chains import PolicyChain, tier_chain
from .names import slug
from .nft.objects import Chain, Rule, quote
from .options import RenderOptions

__all__ = ["ACCEPTED_MARK", "host_endpoint_chains", "local_host_endpoints"]

ACCEPTED_MARK = 0x40000  # "decided by untracked/pre-DNAT policy": skip normal HEP policy
_UNTRACKED = frozenset({Stage.UNTRACKED})
_PRE_DNAT = frozenset({Stage.FAILSAFE, Stage.PRE_DNAT})
_FILTER = frozenset({Stage.FAILSAFE, Stage.NORMAL, Stage.HOST_DEFAULT})
# (chain suffix, hook, priority, direction, stages, forward-only). Failsafe is left out
# of raw: an Allow there would mean notrack.
_HOOKS: tuple[tuple[str, str, int, Direction, frozenset[Stage], bool], ...] = (
    ("raw-in", "prerouting", -300, Direction.INGRESS, _UNTRACKED, False),
    ("raw-out", "output", -300, Direction.EGRESS, _UNTRACKED, False),
    ("prednat", "prerouting", -101, Direction.INGRESS, _PRE_DNAT, False),
    ("input", "input", 0, Direction.INGRESS, _FILTER, False),
    ("output", "output", 0, Direction.EGRESS, _FILTER, False),
    ("forward", "forward", -1, Direction.INGRESS, frozenset({Stage.NORMAL}), True),
)


def local_host_endpoints(cluster: Cluster, node: str | None) -> list[Endpoint]:
    """Host endpoints with an interface on ``node`` (every node's when None)."""
    return sorted(
        (e for e in cluster.endpoints
         if e.kind is EndpointKind.HOST and e.interface and (node is None or e.node == node)),
        key=lambda e: e.key,
    )


def _iface_match(side: str, endpoint: Endpoint, pod_prefix: str | None) -> str:
    if endpoint.interface != "*":
        return f"{side} {quote(endpoint.interface or '')}"
    text = f'{side} != "lo"'
    if pod_prefix:
        text += f" {side} != {quote(pod_prefix + '*')}"
    return text


def host_endpoint_chains(
    index: PolicyIndex,
    node: str | None,
    policy_chain: PolicyChain,
    policy_chains: dict[str, Chain],
    opts: RenderOptions,
) -> tuple[list[Chain], list[Chain]]:
    """(base chains, per-endpoint chains) for ``node``'s host endpoints; empty without any.

    Without host endpoints no base chain is created on any other hook, so
    pod traffic only ever meets ``forward``. Which policies apply, in what
    order, comes from ``index`` as for pods, asked per hook for the stages
    that hook runs (and, on ``forward``, for ``applyOnForward`` policies only).
    """
    hosts = local_host_endpoints(index.cluster, node)
    if not hosts:
        return [], []
    marks = opts.marks
    accepted = f"meta mark & 0x{ACCEPTED_MARK:x} != 0"
    base: list[Chain] = []
    per_endpoint: list[Chain] = []
    for suffix, hook, priority, direction, stages, forward_only in _HOOKS:
        rules: list[Rule] = []
        if suffix in ("input", "output", "forward"):
            rules += [Rule("ct state established,related accept" if suffix != "forward"
                           else "ct state established,related return"),
                      Rule(f"{accepted} return", "decided before DNAT or untracked")]
        directions = [(direction, "iifname" if direction is Direction.INGRESS else "oifname")]
        if forward_only:
            directions.append((Direction.EGRESS, "oifname"))
        for endpoint in hosts:
            for dir_, side in directions:
                name = f"hep-{slug(endpoint.key)}-{suffix}-{dir_.lower}"
                layers = index.layers(endpoint, dir_, forwarded=forward_only, stages=stages)
                chain = tier_chain(endpoint, dir_, layers, policy_chain, policy_chains, opts,
                                   name)
                if len(chain.rules) <= 1:  # only the mark reset: no policy of this stage
                    continue
                per_endpoint.append(chain)
                match = _iface_match(side, endpoint, opts.pod_interface_prefix)
                rules.append(Rule(f"{match} jump {chain.name}"))
                if suffix.startswith("raw"):
                    rules.append(Rule(f"{match} meta mark & 0x{marks.allow:x} != 0 notrack "
                                      f"meta mark set meta mark | 0x{ACCEPTED_MARK:x}",
                                      "allowed by untracked policy"))
                elif suffix == "prednat":
                    rules.append(Rule(f"{match} meta mark & 0x{marks.allow:x} != 0 "
                                      f"meta mark set meta mark | 0x{ACCEPTED_MARK:x}",
                                      "allowed by pre-DNAT policy"))
        if any("jump" in r.body for r in rules):
            base.append(Chain(f"hep-{suffix}", tuple(rules), "filter", hook, priority,
                              "accept"))
    return base, per_endpoint
