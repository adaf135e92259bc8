"""One recorded connection: the flow record every producer writes and every reader gets.

A flow is the first packet of a connection as a dataplane saw it: who sent it to whom
(namespace, pod, workload, labels, address, port), the protocol, the verdict, and the
rule that decided it, named as the dataplane's rule origins name it (tier, policy,
``ingress[0] from[1] ports[0]``). The JSON form is one object per line; its schema is
``flow.schema.json`` beside this module and docs/flows.md.

This module needs only the standard library and netwarden's errors, so the lab and the
agent can write records without importing the engine.

>>> flow = Flow(time="2026-12-01T12:00:00Z", protocol="TCP", verdict=FlowVerdict.ALLOWED,
...             source=FlowEnd(namespace="prod", pod="web-1", address="10.0.0.5"),
...             destination=FlowEnd(namespace="prod", pod="db-0", address="10.0.0.9", port=5432))
>>> flow.destination.port, flow.verdict.value
(5432, 'allowed')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

__all__ = [
    "PROTOCOLS",
    "Decision",
    "Flow",
    "FlowEnd",
    "FlowService",
    "FlowVerdict",
    "Staged",
    "Workload",
]

# The protocols a flow may name, as NetworkPolicy and Calico spell them.
PROTOCOLS = ("TCP", "UDP", "SCTP", "ICMP", "ICMPv6")


class FlowVerdict(Enum):
    ALLOWED = "allowed"
    DENIED = "denied"


@dataclass(frozen=True, slots=True)
class Workload:
    """The controller a pod belongs to: ``Deployment``/``web``."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True, slots=True)
class FlowEnd:
    """One end of a flow. Outside the cluster only ``address`` (and ``port``) are set.

    ``labels`` are the pod's labels as sorted (key, value) pairs, so records compare and
    hash; ``label_map`` gives them as a dict. ``port`` is the source's ephemeral port or
    the destination's port; None for ICMP (and for a source port nobody recorded).
    """

    namespace: str | None = None
    pod: str | None = None
    workload: Workload | None = None
    labels: tuple[tuple[str, str], ...] = ()
    address: str | None = None
    port: int | None = None

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)

    @property
    def in_cluster(self) -> bool:
        return self.pod is not None

    @property
    def key(self) -> str | None:
        """``namespace/pod``, the key every command prints, or None outside the cluster."""
        return f"{self.namespace}/{self.pod}" if self.pod is not None else None

    @property
    def workload_key(self) -> str | None:
        """``namespace/Kind/name`` of the workload (the pod's key for a bare pod)."""
        if self.workload is not None:
            return f"{self.namespace}/{self.workload}"
        return self.key

    @staticmethod
    def sorted_labels(labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
        return tuple(sorted(labels.items()))


@dataclass(frozen=True, slots=True)
class Decision:
    """The rule that decided, as the dataplane's rule origins name it.

    ``rule`` is the origin's rule part (``ingress[0] from[1] ports[0]``); None when the
    verdict is the end of a tier (nothing matched in a tier that took part). Only
    ``direction``: a policy of that side decided and the recorder did not name it (a
    Hubble export without ``*_denied_by``).
    """

    direction: str | None = None       # "ingress" or "egress": the side that decided
    tier: str | None = None
    policy: str | None = None
    rule: str | None = None

    def __str__(self) -> str:
        """In Kubernetes words unless a Calico tier decided (the tier ``default`` is
        where NetworkPolicies live, so it goes unnamed).

        >>> str(Decision("ingress", "default")), str(Decision("ingress", "default", "shop/db"))
        ('ingress: no rule allows it (default deny)', 'shop/db: no ingress rule allows it')
        >>> str(Decision("egress", "security", "sec/deny", "egress[0] to[0]"))
        'tier security: sec/deny egress[0] to[0]'
        >>> str(Decision()), str(Decision(rule="conntrack invalid")), str(Decision("egress"))
        ('no policy', 'conntrack invalid', 'an egress policy the recorder does not name')
        """
        side = self.direction or "a side"
        if self.policy is None and self.tier is None:
            if self.rule is None and self.direction is not None:
                return f"an {self.direction} policy the recorder does not name"
            return self.rule or "no policy"
        tier = f"tier {self.tier}: " if self.tier not in (None, "default") else ""
        if self.policy is None:
            return (f"{side}: no rule allows it (default deny)" if not tier
                    else f"{tier}{side} end of tier, no rule allows it")
        if self.rule:
            return f"{tier}{self.policy} {self.rule}"
        which = f"{self.direction} rule" if self.direction else "rule"
        return f"{tier}{self.policy}: no {which} allows it"


@dataclass(frozen=True, slots=True)
class FlowService:
    """The Service the connection was addressed to (before DNAT to a backend).

    ``port`` is the Service's port; None when the recorder did not know it (Hubble
    names the Service but reports the backend's port).
    """

    namespace: str
    name: str
    port: int | None = None

    def __str__(self) -> str:
        name = f"{self.namespace}/{self.name}"
        return f"{name}:{self.port}" if self.port is not None else name


@dataclass(frozen=True, slots=True)
class Staged:
    """What staged policies (Calico's Staged* kinds) would have decided: never enforced."""

    verdict: FlowVerdict
    decision: Decision | None = None


@dataclass(frozen=True, slots=True)
class Flow:
    """One connection's first packet and its verdict (see the module docstring)."""

    time: str                           # RFC 3339, as recorded
    source: FlowEnd
    destination: FlowEnd
    protocol: str                       # one of PROTOCOLS
    verdict: FlowVerdict
    decision: Decision | None = None
    service: FlowService | None = None
    staged: Staged | None = None

    @property
    def allowed(self) -> bool:
        return self.verdict is FlowVerdict.ALLOWED
