"""Probe connectivity between lab endpoints: many pairs at once, from one process.

Each attempt is a non-blocking socket created inside the source's namespace
and driven by one selector loop. What counts as success is an answer from the
destination itself (the daemon's ``nw <key>`` greeting or UDP reply, or an
ICMP echo reply), so a packet that is merely not refused never passes.

Retry rule: a success is final. Only a failure is tried once more (a SYN lost
on a loaded machine), so a denied flow can never be turned into an allowed one
by trying until it works, and an allowed one is not re-sent.
"""

from __future__ import annotations

import errno
import ipaddress
import itertools
import os
import resource
import selectors
import socket
import struct
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from .._errors import LabError, ProbeUnsupported
from ..ir import IPAddress
from ..ir.services import ICMP, ICMPV6, SCTP, TCP, UDP, protocol_number
from ..netns import inside
from .topology import IN_NODE, Topology

__all__ = ["DEFAULT_TIMEOUT", "ProbeUnsupported", "Target", "probe", "probe_detailed", "resolve"]

DEFAULT_TIMEOUT = 1.5
DEFAULT_CONCURRENCY = 4096  # enough for a 50x50 matrix in one wave; capped by RLIMIT_NOFILE
Pair = tuple[str, str]
_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Target:
    """Where one probe goes from and to, resolved from endpoint keys."""

    pair: Pair
    netns: str
    src_ip: IPAddress | None  # bound only for sources sharing the node ns (hostNetwork, HEP)
    dst_ip: IPAddress
    expect: str | None  # the destination key the answer must name (None: any lab answer)


def _proto(protocol: str | int) -> int:
    number = protocol if isinstance(protocol, int) else protocol_number(protocol)
    if number == ICMPV6:
        number = ICMP
    if number not in (TCP, UDP, ICMP, SCTP):
        raise LabError(f"cannot probe protocol {protocol}")
    if number == SCTP:
        try:
            socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP).close()
        except OSError as e:
            raise ProbeUnsupported(f"SCTP is not available in this kernel ({e.strerror}); "
                                   "SCTP probes are skipped") from None
    return number


def resolve(topo: Topology, pairs: Iterable[Pair], family: int | None = None) -> list[Target]:
    """Endpoint keys to namespaces and addresses; a destination may also be a literal IP.

    A host endpoint key (``host/<node>/<iface>``) probes from its node's
    namespace, bound to the endpoint's address, or to that address.
    """
    out: list[Target] = []
    for src_key, dst_key in pairs:
        src = topo.by_key.get(src_key)
        if src is None:
            raise LabError(f"unknown lab endpoint {src_key!r}")
        dst = topo.by_key.get(dst_key)
        if dst is not None:
            dst_ip = dst.ip(family)
            expect: str | None = dst.key
        else:
            try:
                dst_ip = ipaddress.ip_address(dst_key)
            except ValueError:
                raise LabError(f"unknown lab endpoint {dst_key!r}") from None
            expect = None
        if dst_ip is None:
            raise LabError(f"{dst_key} has no IPv{family} address")
        src_ip = src.ip(dst_ip.version)
        if src_ip is None:
            raise LabError(f"{src_key} has no IPv{dst_ip.version} address to reach {dst_key}")
        out.append(Target((src_key, dst_key), src.netns,
                          src_ip if src.kind in IN_NODE else None, dst_ip, expect))
    return out


@dataclass(slots=True)
class _Attempt:
    target: Target
    sock: socket.socket
    deadline: float
    token: bytes
    ident: int = 0
    buf: bytes = b""
    connecting: bool = True
    done: str | None = field(default=None)


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def _open(t: Target, proto: int, port: int, deadline: float) -> _Attempt:
    fam = socket.AF_INET6 if t.dst_ip.version == 6 else socket.AF_INET
    if proto == ICMP:
        kind, number = socket.SOCK_RAW, (socket.IPPROTO_ICMPV6 if fam == socket.AF_INET6
                                         else socket.IPPROTO_ICMP)
    elif proto == UDP:
        kind, number = socket.SOCK_DGRAM, 0
    else:
        kind, number = socket.SOCK_STREAM, (socket.IPPROTO_SCTP if proto == SCTP else 0)
    sock = socket.socket(fam, kind, number)
    sock.setblocking(False)
    ident = next(_ids) & 0xFFFF
    att = _Attempt(t, sock, deadline, f"{ident}:{os.getpid()}".encode(), ident)
    try:
        if t.src_ip is not None:
            sock.bind((str(t.src_ip), 0))
        if proto in (TCP, SCTP):
            err = sock.connect_ex((str(t.dst_ip), port))
            if err not in (0, errno.EINPROGRESS):
                att.done = errno.errorcode.get(err, str(err))
            return att
        sock.connect((str(t.dst_ip), port if proto == UDP else 0))
        att.connecting = False
        if proto == UDP:
            sock.send(b"probe " + att.token)
        else:
            echo_type = 128 if fam == socket.AF_INET6 else 8
            body = struct.pack("!BBHHH", echo_type, 0, 0, ident, 1) + att.token
            if fam == socket.AF_INET:
                body = body[:2] + struct.pack("!H", _checksum(body)) + body[4:]
            sock.send(body)
    except OSError as e:
        att.done = errno.errorcode.get(e.errno or 0, str(e))
    return att


def _on_ready(att: _Attempt, proto: int) -> None:
    sock, t = att.sock, att.target
    try:
        if att.connecting:
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                att.done = errno.errorcode.get(err, str(err))
            else:
                # Speak first: the lab server greets at once instead of waiting to
                # see whether an HTTP client is about to send a request.
                sock.send(b"\n")
            att.connecting = False
            return
        data = sock.recv(4096)
    except (BlockingIOError, InterruptedError):
        return
    except OSError as e:
        att.done = errno.errorcode.get(e.errno or 0, str(e))
        return
    if proto in (TCP, SCTP):
        if not data:
            att.done = "closed without greeting"
            return
        att.buf += data
        if b"\n" in att.buf:
            line = att.buf.split(b"\n", 1)[0].decode(errors="replace")
            att.done = _judge(line, t.expect)
    elif proto == UDP:
        line = data.decode(errors="replace")
        if not line.endswith(" probe " + att.token.decode()):
            return  # not ours (cannot happen on a connected socket, but be strict)
        att.done = _judge(line[: -len(" probe " + att.token.decode())], t.expect)
    else:
        if t.dst_ip.version == 4:
            data = data[(data[0] & 0x0F) * 4:]
        if len(data) < 8:
            return
        kind, _code, _sum, ident = struct.unpack("!BBHH", data[:6])
        if ident == att.ident and kind in (0, 129):
            att.done = "ok"
        elif kind in (3, 1):  # destination unreachable (v4, v6)
            att.done = "unreachable"


def _judge(line: str, expect: str | None) -> str:
    if not line.startswith("nw "):
        return f"unexpected answer {line!r}"
    if expect is not None and line != f"nw {expect}":
        return f"answered by {line[3:]!r}, not {expect!r}"
    return "ok"


def _round(targets: list[Target], proto: int, port: int, timeout: float,
           concurrency: int) -> dict[Pair, str]:
    """One attempt per target; sockets are opened namespace by namespace."""
    queue = sorted(targets, key=lambda t: t.netns)
    concurrency = max(1, min(concurrency, resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 128))
    out: dict[Pair, str] = {}
    sel = selectors.DefaultSelector()
    active: dict[int, _Attempt] = {}
    pos = 0
    try:
        while pos < len(queue) or active:
            room = concurrency - len(active)
            while room > 0 and pos < len(queue):
                netns = queue[pos].netns
                with inside(netns):
                    while room > 0 and pos < len(queue) and queue[pos].netns == netns:
                        t = queue[pos]
                        pos, room = pos + 1, room - 1
                        att = _open(t, proto, port, time.monotonic() + timeout)
                        if att.done is not None:
                            out[t.pair] = att.done
                            att.sock.close()
                            continue
                        active[att.sock.fileno()] = att
                        mask = selectors.EVENT_WRITE if att.connecting else selectors.EVENT_READ
                        sel.register(att.sock, mask, att)
            now = time.monotonic()
            wait = max(0.0, min(a.deadline for a in active.values()) - now) if active else 0
            for key, _ in sel.select(timeout=min(wait, 0.2)):
                att = key.data
                was_connecting = att.connecting
                _on_ready(att, proto)
                if att.done is None and was_connecting and not att.connecting:
                    sel.modify(att.sock, selectors.EVENT_READ, att)
            now = time.monotonic()
            for fd, att in list(active.items()):
                if att.done is None and now >= att.deadline:
                    att.done = "timeout"
                if att.done is not None:
                    out[att.target.pair] = att.done
                    sel.unregister(att.sock)
                    att.sock.close()
                    del active[fd]
    finally:
        for att in active.values():
            att.sock.close()
        sel.close()
    return out


def topology_of(lab: object) -> Topology:
    """The ``Topology`` of a ``Lab`` (or a topology itself); ``LabError`` otherwise."""
    topo = getattr(lab, "topology", lab)
    if not isinstance(topo, Topology):
        raise LabError(f"not a lab: {lab!r}")
    return topo


def probe_detailed(lab: object, pairs: Iterable[Pair], protocol: str | int = "TCP",
                   port: int = 80, timeout: float = DEFAULT_TIMEOUT, *,
                   family: int | None = None, retries: int = 1,
                   concurrency: int = DEFAULT_CONCURRENCY) -> dict[Pair, str]:
    """Like ``probe`` but each value is ``"ok"`` or why the attempt failed."""
    proto = _proto(protocol)
    targets = resolve(topology_of(lab), pairs, family)
    out = _round(targets, proto, port, timeout, concurrency)
    for _ in range(min(retries, 1)):  # at most one retry, and only of failures
        failed = [t for t in targets if out[t.pair] != "ok"]
        if not failed:
            break
        again = _round(failed, proto, port, timeout, concurrency)
        out.update({pair: why for pair, why in again.items() if why == "ok"})
    return out


def probe(lab: object, pairs: Iterable[Pair], protocol: str | int = "TCP", port: int = 80,
          timeout: float = DEFAULT_TIMEOUT, *, family: int | None = None, retries: int = 1,
          concurrency: int = DEFAULT_CONCURRENCY) -> dict[Pair, bool]:
    """Whether each ``(src_key, dst_key)`` gets an answer over ``protocol``/``port``.

    ``lab`` is a ``Lab`` (or its ``Topology``).
    ``protocol`` is a name (``"TCP"``, ``"UDP"``, ``"SCTP"``, ``"ICMP"``) or a
    number; ``port`` is ignored for ICMP. ``family`` (4 or 6) picks the
    address family, else the destination's first address decides. Raises
    ``ProbeUnsupported`` for SCTP on a kernel without it.
    """
    detail = probe_detailed(lab, pairs, protocol, port, timeout, family=family,
                            retries=retries, concurrency=concurrency)
    return {pair: why == "ok" for pair, why in detail.items()}
