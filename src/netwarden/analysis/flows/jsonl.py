"""Flow records as JSON Lines: read (validating every field, errors at ``file:line``) and write.

>>> from io import StringIO
>>> text = ('{"time": "2026-12-01T12:00:00Z", "protocol": "TCP", "verdict": "denied",'
...         ' "source": {"address": "203.0.113.7"},'
...         ' "destination": {"namespace": "prod", "pod": "db-0", "port": 5432}}')
>>> [flow] = read_flows(StringIO(text), "flows.jsonl")
>>> flow.verdict.value, flow.destination.key
('denied', 'prod/db-0')
>>> read_flows(StringIO('{"time": "noon"}'), "flows.jsonl")
Traceback (most recent call last):
...
netwarden.ValidationError: flows.jsonl:1: time: expected an RFC 3339 time \
(2026-12-01T12:00:00Z), got 'noon'
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from ..._errors import Position, ValidationError
from .record import (
    PROTOCOLS,
    Decision,
    Flow,
    FlowEnd,
    FlowService,
    FlowVerdict,
    Staged,
    Workload,
)
from .tally import FlowCount

__all__ = ["count_flows", "dump_flow", "flow_json", "iter_flows", "load_flows", "parse_flow",
           "read_flows", "write_flows"]

RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})\Z")
_TOP = ("time", "source", "destination", "protocol", "verdict", "decision", "service",
        "staged")
_END = ("namespace", "pod", "workload", "labels", "address", "port")
_DECISION = ("direction", "tier", "policy", "rule")


def _bad(field: str, message: str) -> ValidationError:
    """A field's error before its line is known (``parse_flow`` adds the position)."""
    return ValidationError(None, field, message)


def _object(value: Any, field: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(field, f"expected an object, got {_show(value)}")
    for key in value:
        if key not in allowed:
            where = f"{field}.{key}" if field else key
            raise _bad(where, f"unknown field (known: {', '.join(allowed)})")
    return value


def _show(value: Any) -> str:
    return repr(value) if not isinstance(value, dict | list) else type(value).__name__


def _string(value: Any, field: str, optional: bool = True) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise _bad(field, f"expected a non-empty string, got {_show(value)}")
    return value


def _required(data: dict[str, Any], key: str, field: str) -> Any:
    if key not in data:
        raise _bad(f"{field}.{key}" if field else key, "required")
    return data[key]


def _port(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise _bad(field, f"expected an integer from 0 to 65535, got {_show(value)}")
    return value


def _end(value: Any, field: str) -> FlowEnd:
    data = _object(value, field, _END)
    workload = None
    if data.get("workload") is not None:
        w = _object(data["workload"], f"{field}.workload", ("kind", "name"))
        workload = Workload(str(_string(_required(w, "kind", f"{field}.workload"),
                                        f"{field}.workload.kind", False)),
                            str(_string(_required(w, "name", f"{field}.workload"),
                                        f"{field}.workload.name", False)))
    labels: tuple[tuple[str, str], ...] = ()
    if data.get("labels") is not None:
        raw = data["labels"]
        if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
            raise _bad(f"{field}.labels", f"expected an object of strings, got {_show(raw)}")
        labels = tuple(sorted(raw.items()))
    address = _string(data.get("address"), f"{field}.address")
    if address is not None:
        try:
            address = str(ipaddress.ip_address(address))
        except ValueError:
            raise _bad(f"{field}.address", f"expected an IP address, got {address!r}") from None
    end = FlowEnd(namespace=_string(data.get("namespace"), f"{field}.namespace"),
                  pod=_string(data.get("pod"), f"{field}.pod"), workload=workload,
                  labels=labels, address=address, port=_port(data.get("port"), f"{field}.port"))
    if end.pod is not None and end.namespace is None:
        raise _bad(f"{field}.namespace", "required with pod")
    if end.pod is None and end.address is None:
        raise _bad(field, "needs a pod (with its namespace) or an address")
    return end


def _verdict(value: Any, field: str) -> FlowVerdict:
    try:
        return FlowVerdict(value)
    except ValueError:
        raise _bad(field, f"expected 'allowed' or 'denied', got {_show(value)}") from None


def _decision(value: Any, field: str) -> Decision | None:
    if value is None:
        return None
    data = _object(value, field, _DECISION)
    direction = _string(data.get("direction"), f"{field}.direction")
    if direction not in (None, "ingress", "egress"):
        raise _bad(f"{field}.direction", f"expected 'ingress' or 'egress', got {direction!r}")
    return Decision(direction=direction, tier=_string(data.get("tier"), f"{field}.tier"),
                    policy=_string(data.get("policy"), f"{field}.policy"),
                    rule=_string(data.get("rule"), f"{field}.rule"))


def _check_time(time: Any) -> None:
    if not isinstance(time, str) or not RFC3339.match(time):
        raise _bad("time", f"expected an RFC 3339 time (2026-12-01T12:00:00Z), got {_show(time)}")


def _flow(data: Any, ends: Callable[[Any, str], FlowEnd] = _end) -> Flow:
    data = _object(data, "", _TOP)
    _check_time(_required(data, "time", ""))
    time = data["time"]
    protocol = _required(data, "protocol", "")
    if protocol not in PROTOCOLS:
        raise _bad("protocol", f"expected one of {', '.join(PROTOCOLS)}, got {_show(protocol)}")
    service = None
    if data.get("service") is not None:
        s = _object(data["service"], "service", ("namespace", "name", "port"))
        service = FlowService(str(_string(_required(s, "namespace", "service"),
                                          "service.namespace", False)),
                              str(_string(_required(s, "name", "service"), "service.name",
                                          False)), _port(s.get("port"), "service.port"))
    staged = None
    if data.get("staged") is not None:
        s = _object(data["staged"], "staged", ("verdict", "decision"))
        staged = Staged(_verdict(_required(s, "verdict", "staged"), "staged.verdict"),
                        _decision(s.get("decision"), "staged.decision"))
    return Flow(time=time, source=ends(_required(data, "source", ""), "source"),
                destination=ends(_required(data, "destination", ""), "destination"),
                protocol=protocol, verdict=_verdict(_required(data, "verdict", ""), "verdict"),
                decision=_decision(data.get("decision"), "decision"), service=service,
                staged=staged)


def _loads(line: str | bytes, position: Position) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ValidationError(position, "", f"not JSON: {exc}") from None


def _checked(data: Any, position: Position, ends: Callable[[Any, str], FlowEnd]) -> Flow:
    try:
        return _flow(data, ends)
    except ValidationError as bad:
        raise ValidationError(position, bad.field, bad.message) from None


def parse_flow(line: str | bytes, position: Position) -> Flow:
    """One JSON line as a ``Flow``; a ``ValidationError`` at ``position`` otherwise."""
    return _checked(_loads(line, position), position, _end)


_CACHE_LIMIT = 1 << 16


def _kept(key: bytes) -> bytes:
    """A copy of ``orjson.dumps``' bytes to keep: its own take a 4 KiB block each."""
    return memoryview(key).tobytes()


class _Ends:
    """Flow ends validated once: a log repeats the same pods with other ports.

    The key is the end's JSON re-serialized without its port (so a source's ephemeral
    port does not defeat it); the port is checked on every line. Bounded: emptied when full.
    """

    def __init__(self) -> None:
        self.seen: dict[bytes, FlowEnd] = {}

    def __call__(self, value: Any, field: str) -> FlowEnd:
        if type(value) is not dict:
            return _end(value, field)
        rest = dict(value)
        port = rest.pop("port", None)
        key = orjson.dumps(rest)
        seen = self.seen.get(key)
        if seen is None:
            end = _end(value, field)
            self.remember(key, end)
            return end
        return FlowEnd(seen.namespace, seen.pod, seen.workload, seen.labels, seen.address,
                       _port(port, f"{field}.port"))

    def remember(self, key: bytes, end: FlowEnd) -> None:
        if len(self.seen) >= _CACHE_LIMIT:
            self.seen.clear()
        self.seen[_kept(key)] = end


def iter_flows(lines: Iterable[str | bytes], name: str) -> Iterator[Flow]:
    """The flows of JSON lines read from ``name`` (blank lines are skipped)."""
    ends = _Ends()
    for number, line in enumerate(lines, 1):
        if line.strip():
            position = Position(name, number)
            yield _checked(_loads(line, position), position, ends)


_MISSING = object()


def _repeated(time: Any, port: Any, name: str, number: int) -> tuple[str, int | None]:
    """The time and source port of a line whose other fields were valid on earlier lines."""
    try:
        if time is _MISSING:
            raise _bad("time", "required")
        _check_time(time)
        return time, _port(None if port is _MISSING else port, "source.port")
    except ValidationError as bad:
        raise ValidationError(Position(name, number), bad.field, bad.message) from None


def count_flows(lines: Iterable[str | bytes], name: str) -> tuple[FlowCount, ...]:
    """The flows of JSON lines as counts per connection (``tally.FlowCount``).

    Every line is validated as ``iter_flows`` does, but only once what repeats: a line's
    key is its source without the port and the rest without the time, each re-serialized.
    A line whose source and rest were both valid on earlier lines is checked for its time
    and source port only; one whose key was seen before is counted, not built.
    """
    ends = _Ends()
    rests: dict[bytes, Flow] = {}        # the rest of a line (no time, no source) -> a flow
    seen: dict[tuple[bytes, bytes], list[Any]] = {}    # key -> [first flow, count]
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise ValidationError(Position(name, number), "", f"not JSON: {exc}") from None
        source = data.get("source") if type(data) is dict else None
        if type(source) is not dict:   # no flow object: _flow says what is wrong
            seen[(b"%d" % number, b"")] = [_checked(data, Position(name, number), ends), 1]
            continue
        time, port = data.pop("time", _MISSING), source.pop("port", _MISSING)
        del data["source"]
        key = (orjson.dumps(source), orjson.dumps(data))
        entry = seen.get(key)
        if entry is not None:
            if type(time) is not str or not RFC3339.match(time) or not (
                    port is _MISSING or (type(port) is int and 0 <= port <= 65535)):
                _repeated(time, port, name, number)   # says what is wrong
            entry[1] += 1
            continue
        base, rest = ends.seen.get(key[0]), rests.get(key[1])
        if base is None or rest is None:   # something new: the whole line is validated
            data["source"] = source
            if time is not _MISSING:
                data["time"] = time
            if port is not _MISSING:
                source["port"] = port
            flow = _checked(data, Position(name, number), ends)
            ends.remember(key[0], flow.source)
            if len(rests) >= _CACHE_LIMIT:
                rests.clear()
            rests[_kept(key[1])] = flow
        else:
            when, sport = _repeated(time, port, name, number)
            flow = Flow(time=when, source=FlowEnd(base.namespace, base.pod, base.workload,
                                                  base.labels, base.address, sport),
                        destination=rest.destination, protocol=rest.protocol,
                        verdict=rest.verdict, decision=rest.decision, service=rest.service,
                        staged=rest.staged)
        seen[(_kept(key[0]), _kept(key[1]))] = [flow, 1]
    return tuple(FlowCount(flow, count) for flow, count in seen.values())


def read_flows(stream: IO[str] | IO[bytes], name: str) -> list[Flow]:
    return list(iter_flows(stream, name))


def load_flows(path: str | Path) -> list[Flow]:
    """Every flow of a JSON Lines file (``-`` is not special here: the CLI reads stdin)."""
    try:
        with open(path, "rb") as stream:
            return read_flows(stream, str(path))
    except OSError as exc:
        raise ValidationError(Position(str(path)), "", f"cannot read: {exc.strerror or exc}") \
            from None


def _end_json(end: FlowEnd) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if end.namespace is not None:
        out["namespace"] = end.namespace
    if end.pod is not None:
        out["pod"] = end.pod
    if end.workload is not None:
        out["workload"] = {"kind": end.workload.kind, "name": end.workload.name}
    if end.labels:
        out["labels"] = dict(end.labels)
    if end.address is not None:
        out["address"] = end.address
    if end.port is not None:
        out["port"] = end.port
    return out


def _decision_json(decision: Decision) -> dict[str, Any]:
    return {k: v for k, v in (("direction", decision.direction), ("tier", decision.tier),
                              ("policy", decision.policy), ("rule", decision.rule))
            if v is not None}


def flow_json(flow: Flow) -> dict[str, Any]:
    """The JSON object of one flow (fields without a value left out)."""
    out: dict[str, Any] = {"time": flow.time, "source": _end_json(flow.source),
                           "destination": _end_json(flow.destination),
                           "protocol": flow.protocol, "verdict": flow.verdict.value}
    if flow.decision is not None:
        out["decision"] = _decision_json(flow.decision)
    if flow.service is not None:
        out["service"] = {"namespace": flow.service.namespace, "name": flow.service.name}
        if flow.service.port is not None:
            out["service"]["port"] = flow.service.port
    if flow.staged is not None:
        staged: dict[str, Any] = {"verdict": flow.staged.verdict.value}
        if flow.staged.decision is not None:
            staged["decision"] = _decision_json(flow.staged.decision)
        out["staged"] = staged
    return out


def dump_flow(flow: Flow) -> bytes:
    """One line (with its newline) of JSON Lines."""
    return orjson.dumps(flow_json(flow)) + b"\n"


def write_flows(stream: IO[bytes], flows: Iterable[Flow]) -> int:
    """Write ``flows`` as JSON Lines to a binary stream; returns how many were written."""
    count = 0
    for flow in flows:
        stream.write(dump_flow(flow))
        count += 1
    return count
