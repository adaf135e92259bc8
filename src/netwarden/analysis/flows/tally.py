"""Flows counted by connection: lines that differ only by time and source port are one.

A flow log repeats each connection with another time and another ephemeral source
port. ``suggest`` and ``replay`` decide a connection once, whatever its count, so they
read a log as ``FlowCount``s: the first flow of each connection as recorded, and how
many flows it stands for. ``tally`` counts flows already read; ``jsonl.count_flows``
reads JSON Lines straight into counts.

>>> from dataclasses import replace
>>> from .record import FlowEnd, FlowVerdict
>>> web = FlowEnd(namespace="shop", pod="web-1")
>>> flows = [Flow(time=f"2026-12-01T12:00:0{i}Z", source=replace(web, port=40000 + i),
...               destination=FlowEnd(namespace="shop", pod="db-0", port=5432),
...               protocol="TCP", verdict=FlowVerdict.ALLOWED) for i in range(3)]
>>> [(c.flow.time, c.count) for c in tally(flows)]
[('2026-12-01T12:00:00Z', 3)]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from .record import Flow

__all__ = ["FlowCount", "connection", "tally"]


@dataclass(frozen=True, slots=True)
class FlowCount:
    """``count`` flows of one connection; ``flow`` is the first of them as recorded."""

    flow: Flow
    count: int = 1


def connection(flow: Flow) -> tuple[object, ...]:
    """What makes ``flow`` the connection it is: all of it but its time and source port."""
    s = flow.source
    return (s.namespace, s.pod, s.workload, s.labels, s.address, flow.destination,
            flow.protocol, flow.verdict, flow.decision, flow.service, flow.staged)


def tally(flows: Iterable[Flow | FlowCount]) -> tuple[FlowCount, ...]:
    """One ``FlowCount`` per connection, in the order each was first seen."""
    first: dict[tuple[object, ...], Flow] = {}
    counts: Counter[tuple[object, ...]] = Counter()
    for item in flows:
        flow, count = (item.flow, item.count) if isinstance(item, FlowCount) else (item, 1)
        key = connection(flow)
        first.setdefault(key, flow)
        counts[key] += count
    return tuple(FlowCount(flow, counts[key]) for key, flow in first.items())
