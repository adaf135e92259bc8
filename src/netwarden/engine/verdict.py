"""Verdicts and the trace that explains them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from ..ir import Direction, IPAddress, Rule
from ..ir.services import PORT_PROTOCOLS, protocol_name

__all__ = ["Packet", "SideVerdict", "Step", "StepKind", "Verdict"]


@dataclass(frozen=True, slots=True)
class Packet:
    """The first packet of a connection: what policies look at.

    ``port`` is the destination port (TCP/UDP/SCTP) or ``type << 8 | code``
    for ICMP; None means "any", used by ``check`` without ``--port``.
    """

    src: IPAddress | None
    dst: IPAddress | None
    protocol: int
    port: int | None = None

    def describe(self) -> str:
        name = protocol_name(self.protocol)
        if self.port is None:
            return name
        if self.protocol in PORT_PROTOCOLS:
            return f"{name}/{self.port}"
        return f"{name} type {self.port >> 8} code {self.port & 255}"


class StepKind(Enum):
    TIER = "tier"            # a tier takes part for this endpoint
    MATCH = "match"          # a rule matched and decided (Allow, Deny, Pass)
    LOG = "log"              # a Log rule matched; evaluation goes on
    END_OF_TIER = "end-of-tier"
    DEFAULT = "default"      # no tier decided


@dataclass(frozen=True, slots=True)
class Step:
    kind: StepKind
    text: str
    rule: Rule | None = None
    tier: str | None = None
    policy: str | None = None


@dataclass(frozen=True, slots=True)
class SideVerdict:
    """What one side (source egress or destination ingress) decided, and why."""

    endpoint: str
    direction: Direction
    allowed: bool
    isolated: bool
    policies: tuple[str, ...] = ()
    steps: tuple[Step, ...] = ()
    decided_by: Rule | None = None
    forwarded: bool = False

    @property
    def reason(self) -> str:
        if not self.isolated:
            if self.forwarded:
                return (f"forwarded through {self.endpoint} ({self.direction.lower}): no "
                        "applyOnForward policy applies, so forwarded traffic is allowed")
            return (
                f"{self.endpoint} is not isolated for {self.direction.lower}: "
                "no policy selects it for that direction"
            )
        text = self.steps[-1].text if self.steps else ""
        return f"forwarded through {self.endpoint}: {text}" if self.forwarded else text


@dataclass(frozen=True, slots=True)
class Verdict:
    """Allowed iff the source's egress and the destination's ingress both allow,
    and so do the host endpoints the connection is forwarded through.

    A side is None when it is not subject to policy (outside the cluster, a
    hostNetwork pod, or the connection is a pod talking to itself).
    """

    allowed: bool
    source: str
    destination: str
    packet: Packet
    egress: SideVerdict | None = None
    ingress: SideVerdict | None = None
    notes: tuple[str, ...] = field(default=())
    forwarded: tuple[SideVerdict, ...] = ()

    @property
    def sides(self) -> tuple[SideVerdict, ...]:
        """Every side that had a say, in the order a packet meets them."""
        out = [self.egress] if self.egress is not None else []
        out += [s for s in self.forwarded if s.direction is Direction.EGRESS]
        out += [s for s in self.forwarded if s.direction is Direction.INGRESS]
        out += [self.ingress] if self.ingress is not None else []
        return tuple(out)

    @property
    def reasons(self) -> list[str]:
        return list(self.notes) + [side.reason for side in self.sides]
