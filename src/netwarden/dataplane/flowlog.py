"""New connections as the dataplane decided them: NFLOG with conntrack, and a bounded log.

With ``RenderOptions.flow_log_group`` the forward chain ends in one rate-limited
``ct state new log group N prefix "nw accept"`` rule: every new connection the
table accepted is copied there once (established traffic is accepted by the
chain's first rule and never reaches it), and every drop is already preceded by
a ``log group`` rule whose prefix names the rule origin that dropped it
(``drop_log_group``, the same group). This module subscribes to that group.

The forward hook sees a connection after the kube-proxy DNAT, so its packet
names the backend; the ClusterIP the client addressed is in conntrack's
original tuple. Three sources give it, best first:

* the packet's own conntrack entry, attached by the kernel to each message
  (``NFULNL_CFG_F_CONNTRACK`` → ``NFULA_CT`` → ``CTA_TUPLE_ORIG``), for a
  drop as well as for an accept (the entry exists, unconfirmed, before the
  verdict). Kernels without ``CONFIG_NETFILTER_NETLINK_GLUE_CT`` refuse the
  flag (EOPNOTSUPP): the reader then subscribes without it
  (``FlowLogReader.conntrack`` says which);
* a ``nw service`` message logged by a kube-proxy table before its DNAT
  (``dataplane.services``, the lab's): the same packet seen with the address
  it was sent to, always just before its forward message on the same group;
  the reader pairs them (``Addressed``);
* for accepted connections only, the table of confirmed connections
  (``dnat_originals``/``with_original``, one ``conntrack -L`` per batch).

``FlowLogFile`` writes lines to a file that never grows past its cap (it rotates
to ``PATH.1``) and samples a burst: above ``rate`` lines a second (after
``burst``) lines are left out of the log, counted in ``sampled_out``, never
withheld from the traffic.

>>> event = NewConnection(0.0, 4, 6, "10.244.0.2", "10.244.0.3", 40000, 80,
...                       "10.96.0.10", 80, "nw accept")
>>> event.denied, event.service_addressed
(False, True)
>>> NewConnection(0.0, 4, 6, "a", "b", 1, 2, None, None, "nw prod/db ingress[0]").origin
'prod/db ingress[0]'
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import struct
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

from .conntrack import Conntrack, ConntrackEntry
from .options import ACCEPT_PREFIX

__all__ = ["ACCEPT_PREFIX", "NFLOG_PACKET", "SERVICE_PREFIX", "Addressed", "FlowLogFile",
           "FlowLogReader", "NewConnection", "Repeats", "dnat_originals",
           "parse_new_connections", "subscribe_messages", "with_listed_originals",
           "with_original"]

ConnKey = tuple[int, str, int | None, str, int | None]

SERVICE_PREFIX = "nw service"  # logged by a kube-proxy table before DNAT (``services``)

# nfnetlink_log (linux/netfilter/nfnetlink_log.h) and the conntrack tuple attributes
# it nests in NFULA_CT (linux/netfilter/nfnetlink_conntrack.h)
NETLINK_NETFILTER = 12
_ULOG = 4
_PACKET, _CONFIG = 0, 1
NFLOG_PACKET = (_ULOG << 8) | _PACKET  # the netlink message type of a logged packet
_CFG_CMD, _CFG_MODE, _CFG_FLAGS = 1, 2, 6
_CMD_BIND = 1
_COPY_PACKET = 2
_CFG_F_CONNTRACK = 0x0004
_PAYLOAD, _PREFIX, _CT = 9, 10, 18
_CTA_TUPLE_ORIG = 1
_CTA_TUPLE_IP, _CTA_TUPLE_PROTO = 1, 2
_CTA_IP_V4_DST, _CTA_IP_V6_DST = 2, 4
_CTA_PROTO_NUM, _CTA_PROTO_DST_PORT = 1, 3
NLA_TYPE_MASK = 0x3FFF  # clears NLA_F_NESTED (0x8000) and NLA_F_NET_BYTEORDER (0x4000)
_NLMSG = struct.Struct("=IHHII")
_ATTR = struct.Struct("=HH")
_NLMSG_ERROR = 2
COPY_RANGE = 128
_PORTED = (6, 17, 132, 136)  # TCP, UDP, SCTP, UDP-Lite: the protocols with ports


@dataclass(frozen=True, slots=True)
class NewConnection:
    """The first packet of one connection and what the table did with it.

    ``src``/``dst`` and the ports are the packet's as the forward hook saw it
    (after DNAT: the backend); ``original_dst``/``original_dport`` the
    connection's as its client addressed it (conntrack's original tuple), None
    when the message carried no conntrack data. ``port`` fields are the
    destination port or, for ICMP, ``type << 8 | code``.
    """

    time: float
    family: int
    protocol: int
    src: str
    dst: str
    sport: int | None
    dport: int | None
    original_dst: str | None
    original_dport: int | None
    prefix: str

    @property
    def denied(self) -> bool:
        """Dropped: any prefix but the accept point's names the rule that dropped it."""
        return self.prefix != ACCEPT_PREFIX

    @property
    def origin(self) -> str:
        """The rule origin of a drop (``prod/db ingress[0]``), as its log prefix names it."""
        return self.prefix.removeprefix("nw").strip()

    @property
    def service_addressed(self) -> bool:
        """Whether the client addressed another destination than the packet reached (DNAT)."""
        return self.original_dst is not None and (
            self.original_dst != self.dst or self.original_dport != self.dport)


def _attr(kind: int, payload: bytes) -> bytes:
    raw = _ATTR.pack(_ATTR.size + len(payload), kind) + payload
    return raw + b"\0" * (-len(raw) % 4)


def _message(group: int, attrs: bytes, seq: int) -> bytes:
    body = struct.pack("=BB", socket.AF_UNSPEC, 0) + struct.pack(">H", group) + attrs
    return _NLMSG.pack(_NLMSG.size + len(body), (_ULOG << 8) | _CONFIG, 1 | 4, seq, 0) + body


def subscribe_messages(group: int, conntrack: bool = False) -> list[bytes]:
    """Bind to ``group`` and copy ``COPY_RANGE`` bytes of each packet; with ``conntrack``
    a third message asks for each packet's conntrack entry (refused, alone, by kernels
    without the netlink glue, so the first two stay in force)."""
    out = [
        _message(group, _attr(_CFG_CMD, struct.pack("=B", _CMD_BIND) + b"\0" * 3), 1),
        _message(group, _attr(_CFG_MODE, struct.pack(">IBB", COPY_RANGE, _COPY_PACKET, 0)), 2),
    ]
    if conntrack:
        out.append(_message(group, _attr(_CFG_FLAGS, struct.pack(">H", _CFG_F_CONNTRACK)), 3))
    return out


def _attrs(data: bytes) -> Iterator[tuple[int, bytes]]:
    offset = 0
    while offset + _ATTR.size <= len(data):
        length, kind = _ATTR.unpack_from(data, offset)
        if length < _ATTR.size:
            return
        yield kind & NLA_TYPE_MASK, data[offset + _ATTR.size: offset + length]
        offset += (length + 3) & ~3


def _headers(family: int, raw: bytes) -> tuple[str, str, int, int | None, int | None] | None:
    if family == 4 and len(raw) >= 20:
        ihl, proto = (raw[0] & 0x0F) * 4, raw[9]
        src, dst = str(ipaddress.IPv4Address(raw[12:16])), str(ipaddress.IPv4Address(raw[16:20]))
        l4 = raw[ihl:ihl + 4]
    elif family == 6 and len(raw) >= 40:
        proto = raw[6]
        src, dst = str(ipaddress.IPv6Address(raw[8:24])), str(ipaddress.IPv6Address(raw[24:40]))
        l4 = raw[40:44]
    else:
        return None
    if proto in _PORTED and len(l4) == 4:
        sport, dport = struct.unpack(">HH", l4)
        return src, dst, proto, sport, dport
    if proto in (1, 58) and len(l4) >= 2:
        return src, dst, proto, None, l4[0] << 8 | l4[1]
    return src, dst, proto, None, None


def _ct_original(ct: bytes) -> tuple[str, int | None] | None:
    """(destination, port) of ``NFULA_CT``'s original tuple: where the client sent it."""
    orig = dict(_attrs(ct)).get(_CTA_TUPLE_ORIG)
    if orig is None:
        return None
    tuple_ = dict(_attrs(orig))
    ip = dict(_attrs(tuple_.get(_CTA_TUPLE_IP, b"")))
    proto = dict(_attrs(tuple_.get(_CTA_TUPLE_PROTO, b"")))
    if len(ip.get(_CTA_IP_V4_DST, b"")) == 4:
        dst = str(ipaddress.IPv4Address(ip[_CTA_IP_V4_DST]))
    elif len(ip.get(_CTA_IP_V6_DST, b"")) == 16:
        dst = str(ipaddress.IPv6Address(ip[_CTA_IP_V6_DST]))
    else:
        return None
    number = proto.get(_CTA_PROTO_NUM, b"")
    port = proto.get(_CTA_PROTO_DST_PORT, b"")
    if number and number[0] in _PORTED and len(port) == 2:
        return dst, struct.unpack(">H", port)[0]
    return dst, None


def parse_new_connections(data: bytes, now: float | None = None) -> list[NewConnection]:
    """Every packet message of one netlink datagram (acks, errors, other types skipped).

    A message that carries its conntrack entry (``NFULA_CT``) gets the entry's
    original destination.
    """
    when = time.time() if now is None else now
    out: list[NewConnection] = []
    offset = 0
    while offset + _NLMSG.size <= len(data):
        length, kind, _, _, _ = _NLMSG.unpack_from(data, offset)
        if length < _NLMSG.size:
            break
        message = data[offset: offset + length]
        offset += (length + 3) & ~3
        if kind != NFLOG_PACKET or len(message) < _NLMSG.size + 4:
            continue
        family = 4 if message[_NLMSG.size] == socket.AF_INET else 6
        attrs = dict(_attrs(message[_NLMSG.size + 4:]))
        parsed = _headers(family, attrs.get(_PAYLOAD, b""))
        if parsed is None:
            continue
        prefix = attrs.get(_PREFIX, b"").split(b"\0", 1)[0].decode(errors="replace").strip()
        original = _ct_original(attrs[_CT]) if _CT in attrs else None
        out.append(NewConnection(when, family, parsed[2], parsed[0], parsed[1], parsed[3],
                                 parsed[4], original[0] if original else None,
                                 original[1] if original else None, prefix))
    return out


class Addressed:
    """Pairs each ``nw service`` message with the forward message of the same packet.

    A kube-proxy table logs a new connection to a Service before its DNAT
    (``SERVICE_PREFIX``): the packet as the client addressed it. The forward
    hook logs the same packet after DNAT, so the next event from the same
    client address and port of the same protocol is that connection. At most
    ``size`` unpaired messages are kept (a node's own connections to a
    Service never reach its forward hook).

    >>> pairs = Addressed()
    >>> sent = NewConnection(0.0, 4, 6, "10.244.0.2", "10.96.0.10", 40000, 80, None, None,
    ...                      SERVICE_PREFIX)
    >>> got = NewConnection(0.0, 4, 6, "10.244.0.2", "10.244.0.3", 40000, 8080, None, None,
    ...                     "nw shop/db ingress[0]")
    >>> [(e.dst, e.original_dst, e.original_dport) for e in pairs.join([sent, got])]
    [('10.244.0.3', '10.96.0.10', 80)]
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._sent: dict[tuple[int, str, int | None], tuple[str, int | None]] = {}

    def join(self, events: Iterable[NewConnection]) -> list[NewConnection]:
        """The connection events of ``events``, each with what its client addressed."""
        out: list[NewConnection] = []
        for e in events:
            key = (e.protocol, e.src, e.sport)
            if e.prefix == SERVICE_PREFIX:
                self._sent.pop(key, None)
                self._sent[key] = (e.dst, e.dport)
                if len(self._sent) > self.size:
                    del self._sent[next(iter(self._sent))]
                continue
            sent = self._sent.pop(key, None)
            if sent is not None and e.original_dst is None:
                e = replace(e, original_dst=sent[0], original_dport=sent[1])
            out.append(e)
        return out


def dnat_originals(entries: Iterable[ConntrackEntry]) -> dict[ConnKey, tuple[str, int | None]]:
    """{(protocol, client, client port, backend, backend port): (address, port) addressed}
    of every tracked connection whose reply comes from elsewhere than it was sent (DNAT)."""
    out: dict[ConnKey, tuple[str, int | None]] = {}
    for e in entries:
        if e.reply_src is None or (e.reply_src == e.dst and e.reply_sport in (None, e.dport)):
            continue
        backend_port = e.reply_sport if e.reply_sport is not None else e.dport
        out[(e.protocol, str(e.src), e.sport, str(e.reply_src), backend_port)] = (
            str(e.dst), e.dport)
    return out


def with_original(event: NewConnection,
                  originals: Mapping[ConnKey, tuple[str, int | None]]) -> NewConnection:
    """``event`` with the destination its client addressed, when conntrack DNATed it."""
    found = originals.get((event.protocol, event.src, event.sport, event.dst, event.dport))
    if found is None:
        return event
    return replace(event, original_dst=found[0], original_dport=found[1])


def with_listed_originals(events: list[NewConnection], tool: Conntrack) -> list[NewConnection]:
    """``events`` with the addressed destination of each accepted one that has none yet,
    from the table of confirmed connections (listed once, only when some event needs it;
    a drop is never confirmed, so it is never there)."""
    if not any(not e.denied and e.original_dst is None for e in events):
        return events
    originals = dnat_originals(tool.list())
    return [with_original(e, originals) if not e.denied and e.original_dst is None else e
            for e in events]


class Repeats:
    """Tells a connection's later "new" packets from its first (bounded memory).

    A UDP connection stays NEW until its first reply, so a client's two DNS queries
    from one socket are two ``ct state new`` packets; a refused TCP SYN is sent again.
    Both are one connection: seen again within ``window`` seconds, an event of the same
    5-tuple and verdict is a repeat. At most ``size`` connections are remembered.

    >>> seen = Repeats(window=10)
    >>> e = NewConnection(0.0, 4, 17, "10.0.0.1", "10.0.0.2", 5000, 53, None, None, "nw accept")
    >>> seen.repeat(e), seen.repeat(replace(e, time=5.0)), seen.repeat(replace(e, time=30.0))
    (False, True, False)
    """

    def __init__(self, window: float = 10.0, size: int = 65536) -> None:
        self.window, self.size = window, size
        self._last: dict[tuple[object, ...], float] = {}

    def repeat(self, event: NewConnection) -> bool:
        key = (event.protocol, event.src, event.sport, event.dst, event.dport, event.prefix)
        last = self._last.pop(key, None)
        self._last[key] = event.time
        if len(self._last) > self.size:
            del self._last[next(iter(self._last))]
        return last is not None and event.time - last <= self.window


class FlowLogReader:
    """A subscription to one NFLOG group in the calling thread's network namespace.

    With ``conntrack`` (the default) it asks for each packet's conntrack entry;
    ``self.conntrack`` says whether the kernel agreed. ``read`` returns the
    connection events, ``nw service`` messages already paired (``Addressed``).
    """

    def __init__(self, group: int, conntrack: bool = True) -> None:
        self.group = group
        self.conntrack = conntrack
        self._addressed = Addressed()
        self.overruns = 0
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        try:
            self.sock.bind((0, 0))
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            for i, request in enumerate(subscribe_messages(group, conntrack)):
                self.sock.send(request)
                error = self._ack()
                if i == 2 and error == errno.EOPNOTSUPP:
                    self.conntrack = False  # no netlink glue: bound, without entries
                elif error:
                    raise OSError(error, f"NFLOG group {group}: {os.strerror(error)}")
        except OSError:
            self.sock.close()
            raise

    @classmethod
    def adopt(cls, fd: int, group: int, conntrack: bool) -> FlowLogReader:
        """A reader of a socket another process subscribed (and passed on, e.g. to a child)."""
        reader = cls.__new__(cls)
        reader.group, reader.conntrack = group, conntrack
        reader._addressed, reader.overruns = Addressed(), 0
        reader.sock = socket.socket(fileno=fd)
        return reader

    def _ack(self) -> int:
        reply = self.sock.recv(4096)
        if len(reply) >= _NLMSG.size + 4:
            _, kind, _, _, _ = _NLMSG.unpack_from(reply)
            (error,) = struct.unpack_from("=i", reply, _NLMSG.size)
            if kind == _NLMSG_ERROR:
                return -int(error)
        return 0

    def fileno(self) -> int:
        return self.sock.fileno()

    def read(self) -> list[NewConnection]:
        """The events of one datagram; none when the socket overran (``overruns`` counts it:
        the kernel dropped messages the reader was too slow for, never the packets)."""
        try:
            data = self.sock.recv(1 << 16)
        except OSError as exc:
            if exc.errno != errno.ENOBUFS:
                raise
            self.overruns += 1
            return []
        return self._addressed.join(parse_new_connections(data))

    def close(self) -> None:
        self.sock.close()


class FlowLogFile:
    """Append lines to ``path``, capped at ``max_bytes`` (then rotated to ``path.1``).

    A token bucket of ``rate`` lines a second (``burst`` at once) samples
    bursts: a line over it is not written and counts in ``sampled_out``.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "flows.jsonl"
    >>> log = FlowLogFile(path, max_bytes=10, rate=0, burst=3, clock=lambda: 0.0)
    >>> [log.write(b"123456\\n") for _ in range(4)], log.sampled_out, log.rotations
    ([True, True, True, False], 1, 2)
    >>> log.close(); path.read_bytes(), (path.parent / "flows.jsonl.1").read_bytes()
    (b'123456\\n', b'123456\\n')
    """

    def __init__(self, path: str | os.PathLike[str], *, max_bytes: int = 64 << 20,
                 rate: float = 200.0, burst: int = 1000,
                 clock: object = time.monotonic) -> None:
        self.path = os.fspath(path)
        self.max_bytes = max_bytes
        self.rate, self.burst = rate, burst
        self._clock = clock if callable(clock) else time.monotonic
        self._tokens = float(burst)
        self._last = float(self._clock())
        self.written = self.sampled_out = self.rotations = 0
        self._stream = open(self.path, "ab")  # noqa: SIM115 - closed by close()

    def _take(self) -> bool:
        now = float(self._clock())
        self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    def write(self, line: bytes) -> bool:
        """Write one line (sampled); False when the burst left it out."""
        if not self._take():
            self.sampled_out += 1
            return False
        if self._stream.tell() and self._stream.tell() + len(line) > self.max_bytes:
            self._stream.close()
            os.replace(self.path, self.path + ".1")
            self.rotations += 1
            self._stream = open(self.path, "ab")  # noqa: SIM115
        self._stream.write(line)
        self._stream.flush()
        self.written += 1
        return True

    def close(self) -> None:
        self._stream.close()
