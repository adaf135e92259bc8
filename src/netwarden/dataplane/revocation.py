"""Revocation: which tracked connections a new policy set no longer allows, and cutting them.

An nft ruleset judges only a connection's first packet; once conntrack marks
it established, ``ct state established accept`` lets it run. So after a
policy change the lab and the agent list a node's conntrack entries, turn each
into the packet that opened it (``entry_packet``), ask the policy engine
about that packet and delete the entries it now denies (``revoke_denied``).

The dataplane does not import the engine: the verdict comes in as a callable
(``FlowVerdict``), as kube-network-policies hands its dataplane an evaluator.
``Engine.allows`` is one.

>>> from .conntrack import parse_conntrack
>>> ping = parse_conntrack("ipv4 2 icmp 1 29 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=7 "
...                        "src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=7")[0]
>>> entry_packet(ping)
FlowPacket(src='10.0.0.1', dst='10.0.0.2', protocol=1, port=2048)
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Protocol

from .._errors import NetwardenError
from ..ir import IPAddress
from ..ir.services import ECHO_REQUEST, ICMP_PROTOCOLS
from .conntrack import Conntrack, ConntrackEntry

__all__ = ["CLOSING", "FlowPacket", "FlowVerdict", "doomed", "entry_packet", "revoke_denied"]

# TCP states of connections already closing: nothing left to cut.
CLOSING = frozenset(("TIME_WAIT", "CLOSE", "FIN_WAIT", "LAST_ACK", "CLOSE_WAIT"))


class FlowVerdict(Protocol):
    """Would policy allow a new connection ``src`` → ``dst`` (addresses as text)?

    ``port`` is the destination port, or for ICMP ``type << 8 | code``, the
    form the IR's service sets use.
    """

    def __call__(self, src: str, dst: str, protocol: int, port: int | None) -> bool: ...


@dataclass(frozen=True, slots=True)
class FlowPacket:
    """The first packet of a tracked connection, as a verdict function is asked about it."""

    src: str
    dst: str
    protocol: int
    port: int | None


def entry_packet(entry: ConntrackEntry) -> FlowPacket:
    """The packet that opened ``entry``: its original direction's addresses and port.

    For ICMP the "port" is ``type << 8 | code`` of the original direction.
    The kernel tracks an ICMP flow only for a query that has a reply
    (``nf_conntrack_proto_icmp``: echo, timestamp, information and address-mask
    requests; ICMPv6 echo and node-information queries); error messages are
    ``related`` to the flow they report on, never an entry of their own, and a
    reply (echo reply, type 0) never opens one. So an entry's original type is
    always a request, and ``conntrack -L`` prints it (``type=8 code=0 id=…``).
    Should it be missing (a tool that leaves it out), the flow is read as an
    echo request, by far the most common tracked ICMP flow — never as type 0,
    which no tracked flow starts with.

    >>> from .conntrack import ConntrackEntry
    >>> from ipaddress import ip_address as ip
    >>> entry_packet(ConntrackEntry(6, 58, ip("fd00::1"), ip("fd00::2"))).port == 128 << 8
    True

    A DNATed entry (a connection to a Service: the reply comes from another
    address than the original destination) is the packet policy judged after
    DNAT: to the reply's source address and port, the backend on its target port.

    >>> from .conntrack import parse_conntrack
    >>> svc = parse_conntrack("ipv4 2 tcp 6 99 ESTABLISHED src=10.0.0.1 dst=10.96.0.5 "
    ...     "sport=4000 dport=80 src=10.0.0.2 dst=10.0.0.1 sport=8080 dport=4000")[0]
    >>> entry_packet(svc)
    FlowPacket(src='10.0.0.1', dst='10.0.0.2', protocol=6, port=8080)
    """
    port: int | None
    dst = entry.dst
    if entry.protocol in ICMP_PROTOCOLS:
        if entry.icmp_type is None:
            port = ECHO_REQUEST[entry.protocol]
        else:
            port = entry.icmp_type << 8 | (entry.icmp_code or 0)
    else:
        port = entry.dport
        if entry.reply_src is not None and entry.reply_src != entry.dst:
            dst, port = entry.reply_src, entry.reply_sport
    return FlowPacket(str(entry.src), str(dst), entry.protocol, port)


def _judged(entry: ConntrackEntry, local: Collection[IPAddress]) -> bool:
    """Whether revocation speaks about ``entry`` at all.

    Only connections of a local pod (either side) are judged; the node's own
    link-local traffic and connections already closing are left alone.
    """
    if entry.src not in local and entry.dst not in local and entry.reply_src not in local:
        return False
    if entry.src.is_link_local or entry.dst.is_link_local:
        return False
    return entry.state not in CLOSING


def doomed(entries: Iterable[ConntrackEntry], allows: FlowVerdict,
           local: Collection[IPAddress]) -> list[ConntrackEntry]:
    """The entries of ``local`` pods whose opening packet ``allows`` now refuses.

    A verdict that fails with a ``NetwardenError`` (a protocol policy cannot
    speak about) keeps the connection: revocation never cuts what it cannot judge.
    """
    out = []
    for entry in entries:
        if not _judged(entry, local):
            continue
        p = entry_packet(entry)
        try:
            allowed = allows(p.src, p.dst, p.protocol, p.port)
        except NetwardenError:
            allowed = True
        if not allowed:
            out.append(entry)
    return out


def revoke_denied(conntrack: Conntrack, allows: FlowVerdict,
                  local: Collection[IPAddress]) -> list[ConntrackEntry]:
    """List ``conntrack``'s entries, delete those ``doomed`` finds, and return them."""
    gone = doomed(conntrack.list(), allows, local)
    conntrack.delete_all(gone)
    return gone
