"""Readable drop logs: nft ``log group N`` → NFLOG netlink → "who, to whom, why".

The ruleset tags a dropped packet with a log prefix naming the rule origin
(``nw <origin>``) and sends it to an NFLOG group; this module subscribes to
that group inside the node's network namespace (``dataplane.flowlog``'s
NFLOG reader, the one netlink codec of the project) and turns each packet
into one line naming pod, peer, port and the policy that decided. A
namespace's kernel log stays untouched.

>>> line = describe(LoggedPacket("nw prod/db ingress end of tier default", 4,
...                              "10.244.1.2", "10.244.1.3", 6, 40000, 5432), None)
>>> line
'drop 10.244.1.2 -> 10.244.1.3 TCP/5432: prod/db ingress end of tier default'
"""

from __future__ import annotations

import ipaddress
import logging
import select
import threading
from collections.abc import Callable
from dataclasses import dataclass

from ..dataplane.flowlog import FlowLogReader, NewConnection, parse_new_connections
from ..engine import Engine
from ..ir.services import protocol_name

__all__ = ["DropLog", "LoggedPacket", "describe", "follow", "parse_messages"]


@dataclass(frozen=True, slots=True)
class LoggedPacket:
    prefix: str
    family: int
    src: str
    dst: str
    protocol: int
    sport: int | None = None
    dport: int | None = None

    @classmethod
    def of(cls, event: NewConnection) -> LoggedPacket:
        """The logged packet of one NFLOG event."""
        return cls(event.prefix, event.family, event.src, event.dst, event.protocol,
                   event.sport, event.dport)


def parse_messages(data: bytes) -> list[LoggedPacket]:
    """Every NFLOG packet message in one netlink datagram (errors and acks skipped)."""
    return [LoggedPacket.of(e) for e in parse_new_connections(data)]


def describe(packet: LoggedPacket, engine: Engine | None) -> str:
    """``drop web-1 (prod/web-1) -> prod/db TCP/5432: <why>`` with pod names when known."""
    def name(address: str) -> str:
        if engine is None:
            return address
        endpoint = engine.cluster.endpoint_at(ipaddress.ip_address(address))
        return endpoint.key if endpoint is not None else address

    what = protocol_name(packet.protocol)
    if packet.dport is not None:
        if packet.protocol in (1, 58):
            what += f" type {packet.dport >> 8} code {packet.dport & 255}"
        else:
            what += f"/{packet.dport}"
    why = packet.prefix.removeprefix("nw").strip() or "netwarden"
    return f"drop {name(packet.src)} -> {name(packet.dst)} {what}: {why}"


class DropLog:
    """A netlink subscription to one NFLOG group, created in the calling thread's netns.

    Open it after entering the node's namespace (the agent does that); the
    socket stays bound to that namespace afterwards.
    """

    def __init__(self, group: int) -> None:
        self.group = group
        self._reader = FlowLogReader(group, conntrack=False)  # a drop line needs no entry

    def fileno(self) -> int:
        return self._reader.fileno()

    def read(self) -> list[LoggedPacket]:
        return [LoggedPacket.of(e) for e in self._reader.read()]

    def close(self) -> None:
        self._reader.close()


def follow(reader: DropLog, engine_of: Callable[[], Engine | None],
           stop: threading.Event, log: logging.Logger) -> None:
    """Log a readable line for every dropped packet until ``stop`` is set.

    ``reader`` is subscribed by the caller before the ruleset goes in (see
    ``flowrec.follow_flows``). ``engine_of`` gives the engine of the policies in
    force, so addresses are named as the pods they belong to at the time of the drop.
    """
    try:
        while not stop.is_set():
            ready, _, _ = select.select([reader], [], [], 0.5)
            if not ready:
                continue
            engine = engine_of()
            for packet in reader.read():
                log.info(describe(packet, engine), extra={
                    "event": "drop", "src": packet.src, "dst": packet.dst,
                    "protocol": protocol_name(packet.protocol), "port": packet.dport,
                    "rule": packet.prefix.removeprefix("nw").strip()})
    finally:
        reader.close()
