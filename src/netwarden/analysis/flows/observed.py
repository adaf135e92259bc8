"""A dataplane's new-connection events as flow records: ends, Service, deciding rule.

The lab and the agent read ``dataplane.flowlog.NewConnection`` events; this module
names their ends from the cluster in force (pod, workload, labels), the Service
from conntrack's original destination, and the deciding rule:

- a denied connection: the rule origin its drop's log prefix names (the table's own
  words: ``prod/db ingress[0]``, ``prod/db ingress end of tier default``), the tier
  looked up from the policy;
- an accepted one: the accept point cannot name a rule (one log rule for every
  accept, so established traffic never meets a per-rule log), so the rule is the
  engine's, on the same IR rule origins the table's comments carry; the engine and
  the table agree by construction and by the lab's conformance tests.

With a staged cluster (Calico's ``Staged*`` kinds applied) each flow also gets the
staged verdict, never enforced.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime
from typing import Protocol

from ...engine import Engine
from ...engine.verdict import SideVerdict, Verdict
from ...ir import Cluster, Endpoint, EndpointKind
from ...ir.services import protocol_name
from .record import Decision, Flow, FlowEnd, FlowService, FlowVerdict, Staged, Workload


class NewConnection(Protocol):
    """What this module reads of a dataplane new-connection event (the lab's and the
    agent's ``dataplane.flowlog.NewConnection``), typed structurally so analysis
    does not import the dataplane."""

    @property
    def time(self) -> float: ...
    @property
    def family(self) -> int: ...
    @property
    def protocol(self) -> int: ...
    @property
    def src(self) -> str: ...
    @property
    def dst(self) -> str: ...
    @property
    def sport(self) -> int | None: ...
    @property
    def dport(self) -> int | None: ...
    @property
    def original_dst(self) -> str | None: ...
    @property
    def original_dport(self) -> int | None: ...
    @property
    def denied(self) -> bool: ...
    @property
    def origin(self) -> str: ...
    @property
    def service_addressed(self) -> bool: ...

__all__ = ["FlowJoiner", "decision_of_origin", "decision_of_verdict"]

# Labels Calico gives every endpoint (namespace, orchestrator, service account): not the pod's.
_CALICO_LABELS = "projectcalico.org/"
_END_OF_TIER = re.compile(r"^(?P<ep>\S+) (?P<dir>ingress|egress) (?:end of tier|tier) "
                          r"(?P<tier>\S+)(?: default deny)?$")
_RULE = re.compile(r"^(?P<policy>\S+) (?P<dir>ingress|egress)(?P<rule>\[\d+\].*)$")


def decision_of_origin(origin: str, cluster: Cluster) -> Decision:
    """The decision a drop's log prefix names.

    >>> decision_of_origin("prod/db ingress end of tier default", Cluster())
    Decision(direction='ingress', tier='default', policy=None, rule=None)
    >>> decision_of_origin("conntrack invalid", Cluster())
    Decision(direction=None, tier=None, policy=None, rule='conntrack invalid')
    """
    m = _END_OF_TIER.match(origin)
    if m:
        return Decision(direction=m["dir"], tier=m["tier"])
    m = _RULE.match(origin)
    if m:
        tier = next((p.tier for p in cluster.policies if p.id == m["policy"]), None)
        return Decision(direction=m["dir"], tier=tier, policy=m["policy"],
                        rule=f"{m['dir']}{m['rule']}")
    return Decision(rule=origin or None)


def _side_decision(side: SideVerdict) -> Decision:
    direction = side.direction.lower
    rule = side.decided_by
    if rule is not None:
        text = str(rule.origin).removeprefix(rule.origin.policy).strip()
        tier = next((s.tier for s in reversed(side.steps) if s.tier is not None), None)
        return Decision(direction=direction, tier=tier, policy=rule.origin.policy, rule=text)
    tier = next((s.tier for s in reversed(side.steps) if s.tier is not None), None)
    return Decision(direction=direction, tier=tier)


def decision_of_verdict(verdict: Verdict) -> Decision | None:
    """The side that decided: the first that denied, else the last isolated one that allowed."""
    sides = [s for s in verdict.sides if s.isolated]
    for side in sides:
        if not side.allowed:
            return _side_decision(side)
    return _side_decision(sides[-1]) if sides else None


def _time(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(
        timespec="microseconds").replace("+00:00", "Z")


class FlowJoiner:
    """Turns events into flow records under ``cluster`` (and ``staged``, if given)."""

    def __init__(self, cluster: Cluster, staged: Cluster | None = None) -> None:
        self.cluster = cluster
        self.engine = Engine(cluster)
        self.staged = Engine(staged) if staged is not None else None
        self._frontends: dict[tuple[str, int, int], FlowService] = {}
        for svc in cluster.services:
            for frontend in svc.frontends:
                if frontend.ip is not None:
                    self._frontends[(str(frontend.ip), frontend.port, frontend.protocol)] = \
                        FlowService(svc.namespace, svc.name, frontend.port)

    def _end(self, address: str, port: int | None) -> tuple[FlowEnd, Endpoint | None]:
        endpoint = self.cluster.endpoint_at(ipaddress.ip_address(address))
        if endpoint is None or endpoint.kind is not EndpointKind.POD:
            return FlowEnd(address=address, port=port), None
        workload = None
        if endpoint.workload and "/" in endpoint.workload:
            kind, _, name = endpoint.workload.partition("/")
            workload = Workload(kind, name)
        return FlowEnd(namespace=endpoint.namespace, pod=endpoint.name, workload=workload,
                       labels=tuple(sorted((k, v) for k, v in endpoint.labels.items()
                                           if not k.startswith(_CALICO_LABELS))),
                       address=address,
                       port=port), endpoint

    def _check(self, engine: Engine, event: NewConnection) -> Verdict:
        src = engine.cluster.endpoint_at(ipaddress.ip_address(event.src))
        dst = engine.cluster.endpoint_at(ipaddress.ip_address(event.dst))
        return engine.check(src or ipaddress.ip_address(event.src),
                            dst or ipaddress.ip_address(event.dst),
                            event.protocol, event.dport, family=event.family)

    def flow(self, event: NewConnection) -> Flow:
        """The record of one event."""
        icmp = event.protocol in (1, 58)
        source, _ = self._end(event.src, None if icmp else event.sport)
        destination, _ = self._end(event.dst, None if icmp else event.dport)
        service = None
        if event.service_addressed and event.original_dst is not None \
                and event.original_dport is not None:
            service = self._frontends.get(
                (event.original_dst, event.original_dport, event.protocol))
        decision: Decision | None
        if event.denied:
            verdict, decision = FlowVerdict.DENIED, decision_of_origin(event.origin,
                                                                       self.cluster)
        else:
            verdict = FlowVerdict.ALLOWED
            decision = decision_of_verdict(self._check(self.engine, event))
        staged = None
        if self.staged is not None:
            result = self._check(self.staged, event)
            staged = Staged(FlowVerdict.ALLOWED if result.allowed else FlowVerdict.DENIED,
                            decision_of_verdict(result))
        return Flow(time=_time(event.time), source=source, destination=destination,
                    protocol=protocol_name(event.protocol), verdict=verdict,
                    decision=decision, service=service, staged=staged)

