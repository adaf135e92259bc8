"""The knobs of a rendered table: its name, marks, pod interfaces, drop logging.

>>> RenderOptions(drop_log_group=5).drop_log
'limit rate 10/second burst 20 packets log group 5'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .names import log_prefix
from .nft.objects import Rule, quote

__all__ = ["ACCEPT_PREFIX", "FLOW_LOG_SAMPLED", "Marks", "RenderOptions"]

ACCEPT_PREFIX = "nw accept"  # the log prefix of an accepted new connection (``flowlog``)
FLOW_LOG_SAMPLED = "flow log sampled out"


@dataclass(frozen=True, slots=True)
class Marks:
    """Packet-mark bits a policy chain sets before ``return``, as Felix does."""

    allow: int = 0x10000
    pass_: int = 0x20000
    log_rate: str = "10/second"

    @property
    def clear(self) -> str:
        return f"0x{0xFFFFFFFF & ~(self.allow | self.pass_):08x}"


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
    # A packet-mark bit set (by the lab's kube-proxy table) on a pod's connection to
    # itself through a Service: accepted like loopback, which policy never judges.
    hairpin_mark: int | None = None
    # NFLOG group for new connections the table accepts (``flowlog``): one rate-limited
    # ``ct state new log`` at the forward chain's end; set drop_log_group to it as well
    # to record denied connections too.
    flow_log_group: int | None = None
    flow_log_rate: str = "200/second"
    flow_log_burst: int = 1000

    @property
    def drop_log(self) -> str | None:
        """The logging statement put before drops (no verdict), or None."""
        if self.drop_log_group is None:
            return None
        return (f"limit rate {self.drop_log_rate} burst {self.drop_log_burst} packets "
                f"log group {self.drop_log_group}")

    def flow_log(self) -> list[Rule]:
        """The accept point's log rule and the counter of what its limit left out.

        Both limits see the same packets at the same rate, so the second counts
        (``flow log sampled out``) what the first did not log.
        """
        if self.flow_log_group is None:
            return []
        limit = f"limit rate {self.flow_log_rate} burst {self.flow_log_burst} packets"
        over = f"limit rate over {self.flow_log_rate} burst {self.flow_log_burst} packets"
        return [Rule(f"ct state new {limit} log group {self.flow_log_group} prefix "
                     f"{quote(ACCEPT_PREFIX)}"),
                Rule(f"ct state new {over} counter", FLOW_LOG_SAMPLED)]

    def logged(self, match: str, text: str) -> list[Rule]:
        """The rule logging what ``match`` is about to drop (none without a group).

        Rate-limited apart from the drop, so the drop itself never is.
        """
        log = self.drop_log
        if log is None:
            return []
        body = " ".join(p for p in (match, f"{log} prefix {quote(log_prefix(text))}") if p)
        return [Rule(body)]
