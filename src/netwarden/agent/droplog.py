"""Readable drop logs: nft ``log group N`` → NFLOG netlink → "who, to whom, why".

The ruleset tags a dropped packet with a log prefix naming the rule origin
(``nw <origin>``) and sends it to an NFLOG group; this module subscribes to
that group over netfilter netlink inside the node's network namespace and
turns each packet into one line naming pod, peer, port and the policy that
decided. Netlink is spoken directly (a few fixed structs), so nothing beyond
the standard library is needed, and a namespace's kernel log stays untouched.

>>> line = describe(LoggedPacket("nw prod/db ingress end of tier default", 4,
...                              "10.244.1.2", "10.244.1.3", 6, 40000, 5432), None)
>>> line
'drop 10.244.1.2 -> 10.244.1.3 TCP/5432: prod/db ingress end of tier default'
"""

from __future__ import annotations

import ipaddress
import logging
import os
import select
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..engine import Engine
from ..ir.services import protocol_name
from ..netns import inside

__all__ = ["DropLog", "LoggedPacket", "describe", "follow", "parse_messages",
           "subscribe_request"]

NETLINK_NETFILTER = 12
NFNL_SUBSYS_ULOG = 4
NFULNL_MSG_PACKET, NFULNL_MSG_CONFIG = 0, 1
NFULA_CFG_CMD, NFULA_CFG_MODE = 1, 2
NFULNL_CFG_CMD_BIND = 1
NFULNL_COPY_PACKET = 2
NFULA_PAYLOAD, NFULA_PREFIX = 9, 10
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
_NLMSG = struct.Struct("=IHHII")      # len, type, flags, seq, pid
_NFGEN = struct.Struct("=BBH")        # family, version, res_id (big endian, packed below)
_ATTR = struct.Struct("=HH")          # len, type
# Enough of each packet for the IP and transport headers.
COPY_RANGE = 128
NFLOG_HEADER_FOR_TESTS = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET


@dataclass(frozen=True, slots=True)
class LoggedPacket:
    prefix: str
    family: int
    src: str
    dst: str
    protocol: int
    sport: int | None = None
    dport: int | None = None


def _attr(kind: int, payload: bytes) -> bytes:
    raw = _ATTR.pack(_ATTR.size + len(payload), kind) + payload
    return raw + b"\0" * (-len(raw) % 4)


def _message(kind: int, group: int, attrs: bytes, seq: int) -> bytes:
    body = struct.pack("=BB", socket.AF_UNSPEC, 0) + struct.pack(">H", group) + attrs
    header = _NLMSG.pack(_NLMSG.size + len(body), (NFNL_SUBSYS_ULOG << 8) | kind,
                         NLM_F_REQUEST | NLM_F_ACK, seq, 0)
    return header + body


def subscribe_request(group: int) -> list[bytes]:
    """Bind to ``group`` and ask for packet copies (``COPY_RANGE`` bytes)."""
    bind = _attr(NFULA_CFG_CMD, struct.pack("=B", NFULNL_CFG_CMD_BIND) + b"\0" * 3)
    mode = _attr(NFULA_CFG_MODE, struct.pack(">IBB", COPY_RANGE, NFULNL_COPY_PACKET, 0))
    return [_message(NFULNL_MSG_CONFIG, group, bind, 1),
            _message(NFULNL_MSG_CONFIG, group, mode, 2)]


def _attrs(data: bytes) -> Iterator[tuple[int, bytes]]:
    offset = 0
    while offset + _ATTR.size <= len(data):
        length, kind = _ATTR.unpack_from(data, offset)
        if length < _ATTR.size:
            return
        yield kind & 0x7FFF, data[offset + _ATTR.size: offset + length]
        offset += (length + 3) & ~3


def _payload(family: int, raw: bytes) -> tuple[str, str, int, int | None, int | None] | None:
    if family == 4 and len(raw) >= 20:
        ihl = (raw[0] & 0x0F) * 4
        proto = raw[9]
        src, dst = str(ipaddress.IPv4Address(raw[12:16])), str(ipaddress.IPv4Address(raw[16:20]))
        ports = raw[ihl:ihl + 4]
    elif family == 6 and len(raw) >= 40:
        proto = raw[6]
        src, dst = str(ipaddress.IPv6Address(raw[8:24])), str(ipaddress.IPv6Address(raw[24:40]))
        ports = raw[40:44]
    else:
        return None
    if proto in (6, 17, 132, 136) and len(ports) == 4:
        sport, dport = struct.unpack(">HH", ports)
        return src, dst, proto, sport, dport
    if proto in (1, 58) and len(ports) >= 2:
        return src, dst, proto, None, ports[0] << 8 | ports[1]  # ICMP type << 8 | code
    return src, dst, proto, None, None


def parse_messages(data: bytes) -> list[LoggedPacket]:
    """Every NFLOG packet message in one netlink datagram (errors and acks skipped)."""
    out: list[LoggedPacket] = []
    offset = 0
    while offset + _NLMSG.size <= len(data):
        length, kind, _, _, _ = _NLMSG.unpack_from(data, offset)
        if length < _NLMSG.size:
            break
        message = data[offset: offset + length]
        offset += (length + 3) & ~3
        if kind != (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET:
            continue
        family = message[_NLMSG.size]
        attrs = dict(_attrs(message[_NLMSG.size + _NFGEN.size:]))
        parsed = _payload(4 if family == socket.AF_INET else 6, attrs.get(NFULA_PAYLOAD, b""))
        if parsed is None:
            continue
        prefix = attrs.get(NFULA_PREFIX, b"").split(b"\0", 1)[0].decode(errors="replace")
        out.append(LoggedPacket(prefix.strip(), 4 if family == socket.AF_INET else 6, *parsed))
    return out


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
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        self.sock.bind((0, 0))
        for request in subscribe_request(group):
            self.sock.send(request)
            self._expect_ack()

    def _expect_ack(self) -> None:
        reply = self.sock.recv(4096)
        if len(reply) >= _NLMSG.size + 4:
            _, kind, _, _, _ = _NLMSG.unpack_from(reply)
            (error,) = struct.unpack_from("=i", reply, _NLMSG.size)
            if kind == NLMSG_ERROR and error != 0:
                raise OSError(-error, f"NFLOG group {self.group}: {os.strerror(-error)}")

    def fileno(self) -> int:
        return self.sock.fileno()

    def read(self) -> list[LoggedPacket]:
        return parse_messages(self.sock.recv(65536))

    def close(self) -> None:
        self.sock.close()


def follow(group: int, netns: str | None, engine_of: Callable[[], Engine | None],
           stop: threading.Event, log: logging.Logger) -> None:
    """Log a readable line for every dropped packet until ``stop`` is set.

    ``engine_of`` gives the engine of the policies in force, so addresses are
    named as the pods they belong to at the time of the drop.
    """
    if netns is not None:
        with inside(netns):
            reader = DropLog(group)
    else:
        reader = DropLog(group)
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
