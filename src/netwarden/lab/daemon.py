"""The lab's one server process: every port of every pod, from one selector loop.

``up`` starts it detached (``python -m netwarden.lab.daemon STATE READY_FD``).
It enters each pod's namespace only to create a socket (a socket keeps the
namespace it was created in), binds it to each of the pod's addresses (so a
UDP reply leaves from the address the probe was sent to) and serves:

* TCP: write ``nw <key>\\n`` so the prober knows the handshake got through
  both ways; then echo whatever arrives, so a long-lived connection can be
  watched until a policy cuts it. The greeting waits ``GREETING_DELAY`` for
  the client to speak first: an HTTP request line gets a small HTTP/1.0 reply
  carrying the same greeting instead, so ``curl http://<pod>`` works too.
* UDP: reply ``nw <key> `` followed by the datagram.
* SCTP, where the kernel has it: as TCP.
* DNS: the pods that back the kube-dns Service (``Topology.dns_servers``)
  answer UDP and TCP port 53 from the lab's zone (``netwarden.lab.dns``)
  instead of echoing.

It forks once so that nobody has to reap it, reports ``ok <pid> <sockets>``
(or the error) on READY_FD, and exits on SIGTERM or when its
state file disappears.
"""

from __future__ import annotations

import json
import os
import resource
import selectors
import signal
import socket
import sys
import time

from ..ir.services import SCTP, TCP, UDP
from ..netns import inside
from .dns import Zone, read_frames
from .topology import Attachment, Topology

__all__ = ["main", "open_servers"]

Server = tuple[socket.socket, str, int, str]  # socket, endpoint key, protocol, role
DNS_PORT = 53

GREETING_DELAY = 0.05
_HTTP_METHODS = (b"GET ", b"HEAD ", b"POST ", b"PUT ", b"DELETE ", b"OPTIONS ", b"PATCH ")


def _http_reply(key: str) -> bytes:
    body = f"nw {key}\n".encode()
    head = (f"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode()
    return head + body


def _listen(att: Attachment, port: int, proto: int, dns: bool = False) -> list[Server]:
    out: list[Server] = []
    for ip in att.ips:
        fam = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        with inside(att.netns):
            if proto == UDP:
                s = socket.socket(fam, socket.SOCK_DGRAM)
            elif proto == TCP:
                s = socket.socket(fam, socket.SOCK_STREAM)
            else:
                s = socket.socket(fam, socket.SOCK_STREAM, socket.IPPROTO_SCTP)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((str(ip), port))
        if proto != UDP:
            s.listen(1024)
        s.setblocking(False)
        role = "udp" if proto == UDP else "listen"
        out.append((s, att.key, proto, ("dns-" + role) if dns else role))
    return out


def open_servers(topo: Topology) -> tuple[list[Server], list[str]]:
    """All listening sockets, and notes about ports that could not be served."""
    servers: list[Server] = []
    notes: list[str] = []
    sctp_ok = True
    for att in topo.attachments:
        for port, proto in att.ports:
            if proto not in (TCP, UDP, SCTP) or (proto == SCTP and not sctp_ok):
                continue
            dns = (topo.dns is not None and att.key in topo.dns_servers and port == DNS_PORT
                   and proto in (TCP, UDP))
            try:
                servers += _listen(att, port, proto, dns)
            except OSError as e:
                if proto == SCTP:
                    sctp_ok = False
                    notes.append(f"SCTP unavailable in this kernel: {e.strerror}")
                else:
                    notes.append(f"{att.key} {port}/{proto}: {e.strerror}")
    return servers, notes


def _serve(servers: list[Server], state_path: str, zone: Zone | None = None) -> None:
    sel = selectors.DefaultSelector()
    for s, key, _proto, role in servers:
        sel.register(s, selectors.EVENT_READ, (role, key))
    pending: dict[socket.socket, bytes] = {}  # DNS over TCP: bytes of an unfinished message
    dns_fresh: set[socket.socket] = set()  # accepted on a DNS port, nothing received yet

    def on_term(*_: object) -> None:
        raise SystemExit(0)  # interrupts select() at once; the kernel closes the sockets

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    next_check = time.monotonic() + 2.0
    fresh: dict[socket.socket, float] = {}  # accepted, not greeted yet: greet at this time

    def greet(conn: socket.socket, key: str) -> None:
        fresh.pop(conn, None)
        dns_fresh.discard(conn)
        conn.send(f"nw {key}\n".encode())
        sel.modify(conn, selectors.EVENT_READ, ("conn", key))

    def drop(conn: socket.socket) -> None:
        fresh.pop(conn, None)
        dns_fresh.discard(conn)
        pending.pop(conn, None)
        sel.unregister(conn)
        conn.close()

    def dns_tcp(conn: socket.socket, data: bytes) -> None:
        frames, pending[conn] = read_frames(pending.get(conn, b"") + data)
        for frame in frames:
            reply = zone.answer(frame) if zone else None
            if reply is not None:
                conn.sendall(len(reply).to_bytes(2, "big") + reply)

    while True:
        now = time.monotonic()
        timeout = max(0.0, min(fresh.values()) - now) if fresh else 1.0
        for sk, _ in sel.select(timeout=timeout):
            role, key = sk.data
            sock: socket.socket = sk.fileobj  # type: ignore[assignment]
            try:
                if role == "listen":
                    conn, _addr = sock.accept()
                    conn.setblocking(False)
                    sel.register(conn, selectors.EVENT_READ, ("fresh", key))
                    fresh[conn] = time.monotonic() + GREETING_DELAY
                elif role == "dns-listen":  # a DNS client speaks first; a probe waits
                    conn, _addr = sock.accept()
                    conn.setblocking(False)
                    sel.register(conn, selectors.EVENT_READ, ("fresh", key))
                    fresh[conn] = time.monotonic() + GREETING_DELAY
                    dns_fresh.add(conn)
                elif role == "dns-udp":  # what is no DNS query is a probe: echoed
                    data, addr = sock.recvfrom(4096)
                    reply = zone.answer(data) if zone else None
                    sock.sendto(reply if reply is not None else f"nw {key} ".encode() + data,
                                addr)
                elif role == "dns-conn":
                    data = sock.recv(4096)
                    if not data:
                        drop(sock)
                    else:
                        dns_tcp(sock, data)
                elif role == "udp":
                    data, addr = sock.recvfrom(2048)
                    sock.sendto(f"nw {key} ".encode() + data, addr)
                else:
                    data = sock.recv(4096)
                    if not data:
                        drop(sock)
                    elif role == "fresh" and sock in dns_fresh:
                        fresh.pop(sock, None)
                        dns_fresh.discard(sock)
                        sel.modify(sock, selectors.EVENT_READ, ("dns-conn", key))
                        dns_tcp(sock, data)
                    elif role == "fresh" and data.startswith(_HTTP_METHODS):
                        sock.send(_http_reply(key))
                        drop(sock)
                    else:
                        if role == "fresh":
                            greet(sock, key)
                        sock.send(data)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                if role in ("conn", "fresh", "dns-conn"):
                    drop(sock)
        now = time.monotonic()
        for conn in [c for c, due in fresh.items() if due <= now]:
            try:
                greet(conn, sel.get_key(conn).data[1])
            except OSError:
                drop(conn)
        if time.monotonic() > next_check:
            next_check = time.monotonic() + 2.0
            if not os.path.exists(state_path):  # the lab was removed without us
                break


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    state_path, ready_fd = args[0], int(args[1])
    if os.fork() > 0:  # detach: `up` reaps this parent and never owns the daemon
        os._exit(0)
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        with open(state_path) as f:
            topo = Topology.from_json(json.load(f))
        servers, notes = open_servers(topo)
    except Exception as e:  # reported to `up`, which tears the lab down
        os.write(ready_fd, f"error: {e}\n".encode())
        os.close(ready_fd)
        return 1
    for note in notes:
        print(note, file=sys.stderr)
    os.write(ready_fd, f"ok {os.getpid()} {len(servers)}\n".encode())
    os.close(ready_fd)
    _serve(servers, state_path, topo.dns)
    return 0


if __name__ == "__main__":
    sys.exit(main())
