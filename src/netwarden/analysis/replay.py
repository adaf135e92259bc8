"""Replay: recorded flows under the current and the proposed policies, and what changes.

The proposed cluster is the current manifests with the policies of the proposal
(Kubernetes NetworkPolicies, Calico policies and other Calico resources, cluster-wide
policies) put in: one of the same kind, namespace and name replaces the current one,
the others are added. Each flow is decided under both by ``FlowVerdicts`` (per
equivalence class); flows whose verdict changes are grouped by workload pair,
protocol and port.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from ..compile import compile_snapshot
from ..ir import Cluster, Endpoint
from ..resources.snapshot import Snapshot
from .flow_verdicts import FlowVerdicts, Unplaced
from .flows import Flow, FlowCount, FlowEnd
from .workload_names import WorkloadNames

__all__ = ["Change", "ReplayReport", "propose", "proposed_cluster", "replay"]

T = TypeVar("T")


def _identity(obj: object) -> tuple[str, str | None, str]:
    meta: Any = getattr(obj, "meta", None)
    kind = str(getattr(obj, "kind", type(obj).__name__))
    return (kind, getattr(meta, "namespace", None), str(getattr(meta, "name", id(obj))))


def _merge(current: Sequence[T], proposed: Sequence[T]) -> tuple[T, ...]:
    replaced = {_identity(o) for o in proposed}
    return tuple(o for o in current if _identity(o) not in replaced) + tuple(proposed)


def propose(current: Snapshot, proposal: Snapshot) -> Snapshot:
    """``current`` with the proposal's policies replacing those of the same identity."""
    return replace(
        current,
        network_policies=_merge(current.network_policies, proposal.network_policies),
        calico=_merge(current.calico, proposal.calico),
        cluster_policies=_merge(current.cluster_policies, proposal.cluster_policies),
    )


def _end_namer(verdicts: FlowVerdicts) -> Callable[[FlowEnd], str]:
    """Names a flow end as every answer does (``workload_names``): the pod key, or
    ``ns/Kind/name`` for a workload of several pods; an outside end by its address."""
    names = WorkloadNames(verdicts.cluster.pods)

    def name(end: FlowEnd) -> str:
        if end.pod is None:
            return end.address or "?"
        placed = verdicts.place(end)
        return names(placed) if isinstance(placed, Endpoint) else (end.workload_key or "?")
    return name


@dataclass(frozen=True, slots=True)
class Change:
    """Flows of one workload pair, protocol and port whose verdict changes."""

    source: str
    destination: str
    protocol: str
    port: int | None
    before: bool
    after: bool
    flows: int

    @property
    def cut(self) -> bool:
        return self.before and not self.after

    @property
    def service(self) -> str:
        return self.protocol if self.port is None else f"{self.protocol}/{self.port}"

    def record(self) -> dict[str, Any]:
        return {"source": self.source, "destination": self.destination,
                "protocol": self.protocol, "port": self.port,
                "before": "allowed" if self.before else "denied",
                "after": "allowed" if self.after else "denied", "flows": self.flows}


@dataclass(frozen=True, slots=True)
class ReplayReport:
    flows: int
    changes: tuple[Change, ...]
    unchanged: int
    unchecked: dict[str, int] = field(default_factory=dict)   # end -> flows
    recorded_differently: int = 0     # flows the engine decides unlike the recording

    @property
    def cut(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.cut)

    def to_data(self) -> dict[str, Any]:
        return {"flows": self.flows, "unchanged": self.unchanged,
                "cut": sum(c.flows for c in self.cut),
                "opened": sum(c.flows for c in self.changes if not c.cut),
                "changes": [c.record() for c in self.changes],
                "unchecked": dict(sorted(self.unchecked.items())),
                "recorded_differently": self.recorded_differently}

    def to_markdown(self) -> str:
        cut = sum(c.flows for c in self.cut)
        lines = [f"**replay**: {self.flows} recorded flows, {cut} would be denied, "
                 f"{sum(c.flows for c in self.changes) - cut} newly allowed, "
                 f"{self.unchanged} unchanged", ""]
        if self.changes:
            lines += ["| source | destination | port | now | proposed | flows |",
                      "| --- | --- | --- | --- | --- | --- |"]
            for c in self.changes:
                lines.append(f"| `{c.source}` | `{c.destination}` | {c.service} | "
                             f"{'allowed' if c.before else 'denied'} | "
                             f"{'**denied**' if c.cut else 'allowed'} | {c.flows} |")
        return "\n".join(lines) + "\n"


def replay(current: Cluster, proposed: Cluster,
           flows: Iterable[Flow | FlowCount]) -> ReplayReport:
    """Every flow under both clusters; the changes grouped, cuts first.

    ``flows`` may be counted (``FlowCount``): a connection is decided once for all its flows.
    """
    before, after = FlowVerdicts(current), FlowVerdicts(proposed)
    end_name = _end_namer(before)
    groups: Counter[tuple[str, str, str, int | None, bool, bool]] = Counter()
    unchecked: dict[str, int] = defaultdict(int)
    total = unchanged = differently = 0
    for item in flows:
        flow, count = (item.flow, item.count) if isinstance(item, FlowCount) else (item, 1)
        total += count
        was, now = before.allows(flow), after.allows(flow)
        if isinstance(was, Unplaced) or isinstance(now, Unplaced):
            end = was if isinstance(was, Unplaced) else now
            assert isinstance(end, Unplaced)
            unchecked[end.end] += count
            continue
        if was != flow.allowed:
            differently += count
        if was == now:
            unchanged += count
            continue
        groups[(end_name(flow.source), end_name(flow.destination), flow.protocol,
                flow.destination.port, was, now)] += count
    changes = [Change(s, d, p, port, was, now, n)
               for (s, d, p, port, was, now), n in groups.items()]
    changes.sort(key=lambda c: (not c.cut, c.source, c.destination, c.protocol, c.port or 0))
    return ReplayReport(total, tuple(changes), unchanged, dict(unchecked), differently)


def proposed_cluster(current: Snapshot, proposal: Snapshot) -> Cluster:
    return compile_snapshot(propose(current, proposal))

