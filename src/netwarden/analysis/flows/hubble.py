"""Hubble's flow export (``hubble observe -o json``) as netwarden flow records.

Each line is a ``GetFlowsResponse`` (``{"flow": {...}, "node_name": ..., "time": ...}``)
or, from older exports, the ``Flow`` object itself, with the field names of Cilium's
``flow.proto``: ``time``, ``verdict``, ``IP`` {source, destination}, ``l4`` {TCP, UDP,
SCTP, ICMPv4, ICMPv6}, ``source``/``destination`` {namespace, pod_name, labels,
workloads}, ``traffic_direction``, ``is_reply``, ``destination_service``, ``Type`` and,
where Cilium reports them, ``ingress_denied_by`` / ``egress_allowed_by`` / ...

Only the first packet of a connection becomes a flow; what is left out is counted by
reason (``HubbleImport.skipped``), never silently:

- a reply (``is_reply: true``), or a TCP packet without SYN or with ACK (not the start);
- no L4 header (``l4`` absent), or an L7 record (``Type: L7``);
- a verdict other than FORWARDED, REDIRECTED, DROPPED or AUDIT (TRACED, TRANSLATED,
  ERROR, VERDICT_UNKNOWN: no policy decision), or DROPPED for a reason other than policy;
- a line that is no flow (``node_status``, ``lost_events``, agent and debug events).

AUDIT (policy audit mode: would have been dropped) is recorded as allowed with a staged
verdict of denied.

>>> line = ('{"flow": {"time": "2026-12-01T12:00:00.123456789Z", "verdict": "DROPPED",'
...         ' "drop_reason_desc": "POLICY_DENIED", "IP": {"source": "10.0.1.5",'
...         ' "destination": "10.0.2.9"}, "l4": {"TCP": {"source_port": 40000,'
...         ' "destination_port": 5432, "flags": {"SYN": true}}},'
...         ' "source": {"namespace": "shop", "pod_name": "web-1", "labels": ["k8s:app=web"]},'
...         ' "destination": {"namespace": "shop", "pod_name": "db-0"},'
...         ' "traffic_direction": "INGRESS", "is_reply": false}}')
>>> result = import_hubble([line], "hubble.json")
>>> flow = result.flows[0]
>>> flow.verdict.value, flow.source.label_map, flow.destination.port
('denied', {'app': 'web'}, 5432)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..._errors import Position, ValidationError
from .jsonl import RFC3339
from .record import Decision, Flow, FlowEnd, FlowService, FlowVerdict, Staged, Workload

__all__ = ["HubbleImport", "import_hubble", "load_hubble", "looks_like_hubble"]

_L4 = {"TCP": "TCP", "UDP": "UDP", "SCTP": "SCTP", "ICMPv4": "ICMP", "ICMPv6": "ICMPv6"}
_POLICY_DROPS = {"POLICY_DENIED", "POLICY_DENY", "133", "181"}
_NOT_A_FLOW = ("node_status", "lost_events", "agent_event", "debug_event")
# Labels Cilium adds to every endpoint: not the pod's own labels.
_CILIUM_LABEL_PREFIXES = ("io.kubernetes.pod.namespace", "io.cilium.k8s.",
                          "io.cilium.")


@dataclass(frozen=True, slots=True)
class HubbleImport:
    """The flows read from a Hubble export and what was left out, by reason."""

    flows: tuple[Flow, ...]
    skipped: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """``read 12 flows from hubble.json; skipped 30 (replies 20, no L4 header 10)``."""
        text = f"read {len(self.flows)} flows"
        if self.skipped:
            parts = ", ".join(f"{why} {n}" for why, n in sorted(self.skipped.items()))
            text += f"; skipped {sum(self.skipped.values())} ({parts})"
        return text


def looks_like_hubble(first_line: bytes | str) -> bool:
    """Whether a JSON line is Hubble's (a ``flow`` wrapper or a Flow's ``IP``/``l4``)."""
    try:
        data = orjson.loads(first_line)
    except orjson.JSONDecodeError:
        return False
    return isinstance(data, dict) and (
        "flow" in data or any(k in data for k in (*_NOT_A_FLOW, "IP", "l4", "Type")))


def _labels(raw: Any) -> tuple[tuple[str, str], ...]:
    out: dict[str, str] = {}
    for item in raw or ():
        if not isinstance(item, str) or not item.startswith("k8s:"):
            continue  # reserved:world, reserved:host, cidr:..., unspec:...: not pod labels
        key, _, value = item[4:].partition("=")
        if key.startswith(_CILIUM_LABEL_PREFIXES):
            continue
        out[key] = value
    return tuple(sorted(out.items()))


def _end(raw: Any, address: str | None, port: int | None) -> FlowEnd:
    raw = raw if isinstance(raw, dict) else {}
    pod = raw.get("pod_name") or None
    namespace = raw.get("namespace") or None
    workload = None
    workloads = raw.get("workloads") or []
    if workloads and isinstance(workloads[0], dict) and workloads[0].get("name"):
        workload = Workload(str(workloads[0].get("kind") or "Workload"), str(workloads[0]["name"]))
    if pod is None:
        return FlowEnd(address=address, port=port)
    return FlowEnd(namespace=namespace, pod=pod, workload=workload, labels=_labels(
        raw.get("labels")), address=address, port=port)


def _policies(flow: dict[str, Any], key: str) -> Decision | None:
    direction = "ingress" if key.startswith("ingress") else "egress"
    for policy in flow.get(key) or ():
        if isinstance(policy, dict) and policy.get("name"):
            ns = policy.get("namespace")
            return Decision(direction=direction, tier=None,
                            policy=f"{ns}/{policy['name']}" if ns else str(policy["name"]))
    return None


def _decision(flow: dict[str, Any], verdict: str) -> Decision | None:
    keys = (("ingress_denied_by", "egress_denied_by") if verdict == "DROPPED"
            else ("ingress_allowed_by", "egress_allowed_by"))
    for key in keys:
        found = _policies(flow, key)
        if found is not None:
            return found
    direction = {"INGRESS": "ingress", "EGRESS": "egress"}.get(flow.get("traffic_direction", ""))
    return Decision(direction=direction) if verdict == "DROPPED" and direction else None


def _skip_reason(flow: dict[str, Any]) -> str | None:
    if flow.get("Type") == "L7" or flow.get("l7"):
        return "L7 records"
    if flow.get("is_reply") is True or flow.get("reply") is True:
        return "replies"
    l4 = flow.get("l4")
    if not isinstance(l4, dict) or not any(k in l4 for k in _L4):
        return "no L4 header"
    verdict = flow.get("verdict", "VERDICT_UNKNOWN")
    if verdict not in ("FORWARDED", "REDIRECTED", "DROPPED", "AUDIT"):
        return f"verdict {verdict}"
    if verdict == "DROPPED" and str(flow.get("drop_reason_desc", "POLICY_DENIED")) \
            not in _POLICY_DROPS:
        return "drops not by policy"
    tcp = l4.get("TCP")
    if isinstance(tcp, dict) and isinstance(tcp.get("flags"), dict):
        flags = tcp["flags"]
        if not flags.get("SYN") or flags.get("ACK"):
            return "TCP packets after the first"
    return None


def _port(value: Any, field: str, position: Position) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise ValidationError(position, field, f"expected a port from 0 to 65535, got {value!r}")
    return value


def _convert(flow: dict[str, Any], position: Position) -> Flow:
    l4 = flow["l4"]
    name = next(k for k in _L4 if k in l4)
    ports = l4[name] if isinstance(l4[name], dict) else {}
    icmp = name.startswith("ICMP")
    raw_ip = flow.get("IP")
    ip: dict[str, Any] = raw_ip if isinstance(raw_ip, dict) else {}
    time = flow.get("time")
    if not isinstance(time, str) or not RFC3339.match(time):
        raise ValidationError(position, "flow.time", f"expected an RFC 3339 time, got {time!r}")
    src_port = None if icmp else _port(ports.get("source_port"), f"flow.l4.{name}.source_port",
                                       position)
    dst_port = None if icmp else _port(ports.get("destination_port", 0),
                                       f"flow.l4.{name}.destination_port", position)
    verdict = flow["verdict"]
    decision = _decision(flow, verdict)
    service = None
    svc = flow.get("destination_service")
    if isinstance(svc, dict) and svc.get("name"):
        service = FlowService(str(svc.get("namespace") or "default"), str(svc["name"]))
    source = _end(flow.get("source"), ip.get("source"), src_port)
    destination = _end(flow.get("destination"), ip.get("destination"), dst_port)
    for side, end in (("source", source), ("destination", destination)):
        if end.pod is None and end.address is None:
            raise ValidationError(position, f"flow.{side}", "neither a pod nor an IP address")
    return Flow(time=time, source=source, destination=destination, protocol=_L4[name],
                verdict=FlowVerdict.DENIED if verdict == "DROPPED" else FlowVerdict.ALLOWED,
                decision=decision, service=service,
                staged=Staged(FlowVerdict.DENIED) if verdict == "AUDIT" else None)


def import_hubble(lines: Iterable[str | bytes], name: str) -> HubbleImport:
    """The flows of Hubble JSON lines read from ``name`` (see the module docstring)."""
    flows: list[Flow] = []
    skipped: Counter[str] = Counter()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        position = Position(name, number)
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise ValidationError(position, "", f"not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ValidationError(position, "", "expected a JSON object per line")
        flow = data.get("flow", data if "l4" in data or "IP" in data else None)
        if not isinstance(flow, dict):
            skipped["events that are not flows"] += 1
            continue
        reason = _skip_reason(flow)
        if reason is not None:
            skipped[reason] += 1
            continue
        flows.append(_convert(flow, position))
    return HubbleImport(tuple(flows), dict(skipped))


def load_hubble(path: str | Path) -> HubbleImport:
    try:
        with open(path, "rb") as stream:
            return import_hubble(stream, str(path))
    except OSError as exc:
        raise ValidationError(Position(str(path)), "", f"cannot read: {exc.strerror or exc}") \
            from None
