"""Kernel tests: real nft and conntrack inside throwaway ``nwt-`` namespaces."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from netwarden import ir
from netwarden._errors import NftError
from netwarden.dataplane import (
    Conntrack,
    RenderOptions,
    Ruleset,
    TableWriter,
    full_transaction,
    render_ruleset,
    revoke_denied,
    set_tcp_loose,
)
from netwarden.dataplane.nft import Chain, Rule, SystemNft
from netwarden.ir.services import TCP

from .builders import allow, make_pod, make_policy, peer, ports
from .conftest import NetnsFactory, in_ns

pytestmark = pytest.mark.lab
IN = ir.Direction.INGRESS

CLIENT = make_pod("client", ips=("10.99.1.2", "fd99:1::2"))
WEB = make_pod("web", ips=("10.99.2.2", "fd99:2::2"))
IFACES = {"default/client": "nwv-a", "default/web": "nwv-b"}


def web_policy(*port_numbers: int) -> ir.Policy:
    rule = allow("default/web-in", IN, 0, source=peer("client"), protocol=TCP,
                 destination=ir.EntityMatch(ports=ports(*port_numbers)))
    return make_policy("web-in", "web", ingress=(rule,))


def ruleset(*policies: ir.Policy) -> Ruleset:
    cluster = ir.Cluster(endpoints=(CLIENT, WEB), policies=policies)
    return render_ruleset(cluster, None, IFACES, RenderOptions(pod_interface_prefix="nwv"))


def test_rendered_ruleset_loads_checks_and_updates(netns: NetnsFactory) -> None:
    ns = netns()
    nft = SystemNft(ns)
    first = ruleset(web_policy(80))
    nft.check(full_transaction(first))
    writer = TableWriter(nft)
    assert writer.apply(first).full
    listed = nft.list_table(first.table)
    assert "chain ep-default/web-ingress" in listed
    assert 'comment "default/web-in ingress[0]"' in listed

    second = ruleset(web_policy(80, 443))
    stats = writer.apply(second)
    assert not stats.full and stats.operations > 0
    names = {o["chain"]["name"] for o in nft.list_json(second.table) if "chain" in o}
    assert names == {c.name for c in second.chains}  # old policy chain deleted


def test_invalid_update_is_rejected_and_old_ruleset_stays(netns: NetnsFactory) -> None:
    ns = netns()
    nft = SystemNft(ns)
    writer = TableWriter(nft)
    good = ruleset(web_policy(80))
    writer.apply(good)
    before = nft.list_table(good.table)
    # valid for our objects, refused by the kernel: an unknown set in a changed rule
    bad_chain = Chain("ep-default/web-ingress", (Rule("ip saddr @no-such-set drop"),))
    bad = Ruleset(good.table, tuple(bad_chain if c.name == bad_chain.name else c
                                    for c in ruleset(web_policy(81)).chains), good.sets)
    with pytest.raises(NftError) as info:
        writer.apply(bad)
    assert "no-such-set" in info.value.stderr or info.value.is_not_found
    assert nft.list_table(good.table) == before
    assert writer.apply(good).full  # after a failure the writer rebuilds


# -- real packets between pods routed through a node namespace ----------------

SERVER = textwrap.dedent("""
    import socket, sys, threading
    def serve(port):
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port)); s.listen()
        while True:
            c, _ = s.accept()
            threading.Thread(target=echo, args=(c,), daemon=True).start()
    def echo(c):
        while data := c.recv(100):
            c.sendall(data)
    for p in (8080, 9090):
        threading.Thread(target=serve, args=(p,), daemon=True).start()
    print("ready", flush=True)
    sys.stdin.read()
""")

CLIENT_SCRIPT = textwrap.dedent("""
    import socket, sys
    s = socket.create_connection(("10.99.2.2", int(sys.argv[1])), timeout=1.5)
    s.settimeout(1.5)
    print("connected", flush=True)
    for line in sys.stdin:
        try:
            s.sendall(line.encode()); print("echo" if s.recv(100) else "closed", flush=True)
        except OSError as e:
            print("timeout", flush=True)
""")


@dataclass
class Lab:
    node: str
    client: str
    server: str


@pytest.fixture
def lab(netns: NetnsFactory) -> Iterator[Lab]:
    node, client, server = netns(), netns(), netns()
    for pod, veth, net in ((client, "nwv-a", 1), (server, "nwv-b", 2)):
        in_ns(node, "ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0",
              "netns", pod)
        in_ns(node, "ip", "addr", "add", f"10.99.{net}.1/24", "dev", veth)
        in_ns(node, "ip", "link", "set", veth, "up")
        in_ns(pod, "ip", "addr", "add", f"10.99.{net}.2/24", "dev", "eth0")
        in_ns(pod, "ip", "link", "set", "eth0", "up")
        in_ns(pod, "ip", "route", "add", "default", "via", f"10.99.{net}.1")
    in_ns(node, "sysctl", "-qw", "net.ipv4.ip_forward=1")
    proc = subprocess.Popen(["ip", "netns", "exec", server, sys.executable, "-c", SERVER],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield Lab(node, client, server)
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[str]) -> None:
    proc.kill()
    proc.wait()
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            stream.close()


def connect(lab: Lab, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["ip", "netns", "exec", lab.client, sys.executable, "-c", CLIENT_SCRIPT, str(port)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )


def talk(proc: subprocess.Popen[str]) -> str:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("ping\n")
    proc.stdin.flush()
    return proc.stdout.readline().strip()


def test_policy_enforced_and_revocation_sticks(lab: Lab) -> None:
    TableWriter(SystemNft(lab.node)).apply(ruleset(web_policy(8080)))
    set_tcp_loose(lab.node, False)
    allowed, denied = connect(lab, 8080), connect(lab, 9090)
    try:
        assert allowed.stdout is not None and allowed.stdout.readline().strip() == "connected"
        assert talk(allowed) == "echo"
        denied.wait(timeout=10)
        assert denied.returncode != 0  # SYN to 9090 dropped by web's ingress chain

        tool = Conntrack(lab.node)
        entries = [e for e in tool.list() if e.dport == 8080]
        assert len(entries) == 1 and entries[0].state == "ESTABLISHED"
        assert str(entries[0].src) == "10.99.1.2" and entries[0].protocol == 6
        gone = revoke_denied(tool, lambda src, dst, proto, port: port != 8080,
                             {entries[0].src})
        assert gone == entries
        assert [e for e in tool.list() if e.dport == 8080] == []
        time.sleep(0.1)
        assert talk(allowed) == "timeout"  # tcp_loose=0: mid-stream segment is invalid
    finally:
        stop(allowed)
        stop(denied)
