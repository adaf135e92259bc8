"""The knobs of a rendered table: its name, marks, pod interfaces, drop logging.

>>> RenderOptions(drop_log_group=5).drop_log
'limit rate 10/second burst 20 packets log group 5'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .names import log_prefix
from .nft.objects import Rule, quote

__all__ = ["Marks", "RenderOptions"]


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
        body = " ".join(p for p in (match, f"{log} prefix {quote(log_prefix(text))}") if p)
        return [Rule(body)]
