"""Drop logging: packets an nft rule logs to an NFLOG group come back as readable lines."""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import socket
import struct
import subprocess
import uuid

import pytest

from netwarden.agent.droplog import DropLog, LoggedPacket, describe, parse_messages
from netwarden.dataplane.flowlog import NFLOG_PACKET
from netwarden.lab._ns import inside

NLA_F_NESTED, NLA_F_NET_BYTEORDER = 0x8000, 0x4000


def _nflog_message(prefix: bytes, payload: bytes, family: int = socket.AF_INET,
                   prefix_flags: int = 0) -> bytes:
    def attr(kind: int, data: bytes) -> bytes:
        raw = struct.pack("=HH", 4 + len(data), kind) + data
        return raw + b"\0" * (-len(raw) % 4)

    body = struct.pack("=BBH", family, 0, 0) + attr(10 | prefix_flags, prefix + b"\0") \
        + attr(9, payload)
    return struct.pack("=IHHII", 16 + len(body), NFLOG_PACKET, 0, 0, 0) + body


def _ipv4_udp(src: str, dst: str, sport: int, dport: int) -> bytes:
    header = bytes([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0])
    return header + socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack(">HHHH", sport,
                                                                                dport, 8, 0)


def test_a_logged_udp_packet_is_parsed() -> None:
    data = _nflog_message(b"nw prod/db ingress[0]", _ipv4_udp("10.0.0.1", "10.0.0.2", 4000, 53))
    assert parse_messages(data) == [
        LoggedPacket("nw prod/db ingress[0]", 4, "10.0.0.1", "10.0.0.2", 17, 4000, 53)]


def test_an_attribute_type_is_read_without_its_nested_and_byte_order_flags() -> None:
    data = _nflog_message(b"nw prod/db ingress[0]", _ipv4_udp("10.0.0.1", "10.0.0.2", 4000, 53),
                          prefix_flags=NLA_F_NESTED | NLA_F_NET_BYTEORDER)
    assert [p.prefix for p in parse_messages(data)] == ["nw prod/db ingress[0]"]


def test_the_line_names_peer_port_and_why() -> None:
    packet = LoggedPacket("nw prod/db ingress end of tier default", 4, "10.0.0.1", "10.0.0.2",
                          6, 40000, 5432)
    assert describe(packet, None) == (
        "drop 10.0.0.1 -> 10.0.0.2 TCP/5432: prod/db ingress end of tier default")


@pytest.mark.lab
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("nft"), reason="needs root and nft")
def test_the_kernel_delivers_dropped_packets_to_the_reader() -> None:
    netns = f"nwdl-{uuid.uuid4().hex[:6]}"
    subprocess.run(["ip", "netns", "add", netns], check=True)
    try:
        subprocess.run(["ip", "-n", netns, "link", "set", "lo", "up"], check=True)
        ruleset = """
table inet nwdl {
  chain out { type filter hook output priority 0; policy accept;
    udp dport 9 log group 7 prefix "nw test drop" drop
  }
}
"""
        subprocess.run(["ip", "netns", "exec", netns, "nft", "-f", "-"], input=ruleset,
                       text=True, check=True)
        with inside(netns):
            log = DropLog(7)
            sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            # A locally generated packet that nft drops fails the send: expected.
            with contextlib.suppress(PermissionError):
                sender.sendto(b"x", ("127.0.0.1", 9))
            ready, _, _ = select.select([log], [], [], 5)
            assert ready, "no NFLOG message within 5 s"
            packets = log.read()
        finally:
            log.close()
            sender.close()
        assert [(p.prefix, p.dst, p.protocol, p.dport) for p in packets] == [
            ("nw test drop", "127.0.0.1", 17, 9)]
    finally:
        subprocess.run(["ip", "netns", "delete", netns], check=False)
