"""The lab against the real kernel: namespaces, routes, the daemon and the prober."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from netwarden._errors import LabError
from netwarden.ir import Cluster, Endpoint, EndpointKind, NamedPort
from netwarden.ir.services import TCP
from netwarden.lab import (
    Lab,
    ProbeUnsupported,
    _ns,
    exec,
    hold_connection,
    parse_lab_hosts,
    probe,
    topology,
)

pytestmark = pytest.mark.lab

BACKUP = """
apiVersion: netwarden.dev/v1
kind: LabHost
metadata: {name: backup}
spec: {ip: 192.168.5.10, ports: [{port: 80, protocol: TCP}, {port: 873, protocol: TCP}]}
"""


def make_pod(ns: str, name: str, *ips: str, node: str | None = None,
             ports: tuple[NamedPort, ...] = ()) -> Endpoint:
    return Endpoint(f"{ns}/{name}", EndpointKind.POD, name, ns,
                    ips=tuple(ipaddress.ip_address(i) for i in ips), node=node, ports=ports)


SIX = Cluster(endpoints=(
    make_pod("prod", "web", "10.10.0.1", "fd10::1"),
    make_pod("prod", "api", "10.10.0.2", "fd10::2", ports=(NamedPort(9000, TCP, "http"),)),
    make_pod("prod", "db", "10.10.0.3"),
    make_pod("dev", "web", "10.10.1.1", "fd10::11"),
    make_pod("dev", "job", "10.10.1.2"),
    make_pod("dev", "cache", "10.10.1.3"),
))


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab.up(SIX, parse_lab_hosts([BACKUP])) as built:
        yield built


def all_pairs(keys: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(a, b) for a in keys for b in keys if a != b]


def nft(netns: str, script: str) -> None:
    subprocess.run(["ip", "netns", "exec", netns, "nft", "-f", "-"], input=script, text=True,
                   check=True)


def lab_names_in_root(prefix: str) -> list[str]:
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if prefix in line]


@pytest.mark.parametrize("protocol, port", [("TCP", 80), ("UDP", 80), ("ICMP", 0),
                                            ("TCP", 8080), ("UDP", 6379)])
def test_without_policy_every_pair_connects(lab: Lab, protocol: str, port: int) -> None:
    skip = ("prod/api",) if port == 80 else ("prod/api", "backup")  # they declare their ports
    result = probe(lab, all_pairs(tuple(k for k in lab.keys if k not in skip)), protocol, port)
    assert result and all(result.values()), {p: ok for p, ok in result.items() if not ok}


def test_declared_ports_are_served_on_tcp_and_udp(lab: Lab) -> None:
    pairs = [(k, "prod/api") for k in lab.keys if k != "prod/api"]
    assert all(probe(lab, pairs, "TCP", 9000).values())
    assert all(probe(lab, pairs, "UDP", 9000).values())
    assert all(probe(lab, [("dev/job", "backup")], "TCP", 873).values())
    assert not any(probe(lab, pairs, "TCP", 80).values())  # api declares 9000 only


def test_ipv6_dual_stack(lab: Lab) -> None:
    pairs = [("prod/web", "dev/web"), ("dev/web", "prod/web"), ("prod/api", "prod/web")]
    for protocol in ("TCP", "UDP", "ICMP"):
        assert all(probe(lab, pairs, protocol, 80, family=6).values()), protocol
    with pytest.raises(LabError, match="IPv6"):
        probe(lab, [("prod/db", "prod/web")], "TCP", 80, family=6)


def test_exec_runs_in_the_pod(lab: Lab) -> None:
    out = exec(lab, "prod/web", ["ip", "-o", "addr", "show", "dev", "eth0"]).stdout
    assert "10.10.0.1/32" in out and "fd10::1/128" in out
    routes = lab.exec("prod/db", ["ip", "route"], check=True).stdout
    assert "default via 169.254.1.1 dev eth0" in routes


def test_nothing_of_the_lab_is_in_the_root_namespace(lab: Lab) -> None:
    assert lab_names_in_root(lab.prefix) == []
    for family in ("-4", "-6"):
        routes = subprocess.run(["ip", family, "route"], capture_output=True, text=True,
                                check=True).stdout
        assert "10.10." not in routes and "fd10:" not in routes and lab.prefix not in routes


def test_node_side_interfaces(lab: Lab) -> None:
    veths = lab.interfaces()
    assert set(veths) == set(lab.keys)
    assert all(v.startswith(lab.pod_veth_prefix) for k, v in veths.items() if k != "backup")
    node = lab.node_netns()
    links = subprocess.run(["ip", "-n", node, "-o", "link"], capture_output=True, text=True,
                           check=True).stdout
    assert all(f" {v}@" in links for v in veths.values())
    sysctl = lab_sysctl(node, "net/netfilter/nf_conntrack_tcp_loose")
    assert sysctl == "0" and lab_sysctl(node, "net/ipv4/ip_forward") == "1"


def lab_sysctl(netns: str, path: str) -> str:
    return subprocess.run(["ip", "netns", "exec", netns, "cat", f"/proc/sys/{path}"],
                          capture_output=True, text=True, check=True).stdout.strip()


def test_another_process_can_probe_the_lab(lab: Lab) -> None:
    code = (f"from netwarden.lab import Lab; lab = Lab.load({lab.id!r}); "
            "print(lab.probe([('prod/web', 'dev/job'), ('dev/job', 'backup')], 'TCP', 873))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "('prod/web', 'dev/job'): False" in out  # job serves the defaults, not 873
    assert "('dev/job', 'backup'): True" in out


def test_dropped_and_refused_fail_and_stay_failed(lab: Lab) -> None:
    node = lab.node_netns()
    nft(node, "table inet nwtest { chain forward { type filter hook forward priority 0; "
              "ip daddr 10.10.0.3 tcp dport 80 drop; }; }")
    try:
        pairs = [("prod/web", "prod/db"), ("dev/web", "prod/db"), ("prod/web", "dev/web")]
        start = time.monotonic()
        result = probe(lab, pairs, "TCP", 80, timeout=1.0)
        elapsed = time.monotonic() - start
        assert result == {pairs[0]: False, pairs[1]: False, pairs[2]: True}
        assert elapsed < 3.5  # one attempt, one retry of the failures, not more
        assert probe(lab, [("prod/web", "prod/db")], "TCP", 9999) == {pairs[0]: False}
    finally:
        nft(node, "delete table inet nwtest")


def test_held_connection_notices_a_cut(lab: Lab) -> None:
    with hold_connection(lab, "dev/web", "prod/web", 80, interval=0.05, stall=0.5) as conn:
        time.sleep(0.3)
        assert conn.alive and conn.exchanges > 0
        nft(lab.node_netns(), "table inet nwtest { chain forward { type filter hook forward "
                              "priority 0; ip saddr 10.10.1.1 tcp dport 80 drop; }; }")
        try:
            cut_at = time.monotonic()
            assert conn.wait_broken(3.0)
            assert conn.broken_at is not None and conn.broken_at - cut_at < 2.0
        finally:
            nft(lab.node_netns(), "delete table inet nwtest")


def test_enforce_hands_each_node_to_the_enforcer(lab: Lab) -> None:
    calls = []
    lab.enforce(SIX, lambda cluster, node, netns, ifaces: calls.append((node, netns, ifaces)))
    assert calls == [("node-1", lab.node_netns(), lab.interfaces())]


def test_sctp_is_skipped_with_a_reason(lab: Lab) -> None:
    try:
        result = probe(lab, [("prod/web", "dev/web")], "SCTP", 80)
    except ProbeUnsupported as e:
        pytest.skip(str(e))
    assert result == {("prod/web", "dev/web"): False}  # nothing declares SCTP


def test_two_nodes_route_between_each_other() -> None:
    cluster = Cluster(endpoints=(
        make_pod("a", "x", "10.20.0.1", "fd20::1", node="w1"),
        make_pod("a", "y", "10.20.1.1", "fd20::2", node="w2"),
        make_pod("b", "z", "10.20.1.2", node="w2"),
    ))
    with Lab.up(cluster, parse_lab_hosts([BACKUP]), nodes=2) as lab:
        assert lab.nodes == ("w1", "w2")
        assert set(lab.interfaces("w2")) == {"a/y", "b/z"}
        assert all(probe(lab, all_pairs(lab.keys), "TCP", 80).values())
        assert all(probe(lab, [("a/x", "a/y"), ("a/y", "a/x")], "UDP", 80, family=6).values())


def test_down_removes_everything() -> None:
    import netwarden.lab as lab_module

    lab = Lab.up(Cluster(endpoints=(make_pod("a", "x", "10.30.0.1", "fd30::1"),)))
    names = set(lab.topology.netns_names)
    assert names <= _ns.list_netns()
    pid = lab.daemon_pid
    lab.down()
    assert not names & _ns.list_netns()
    assert not [n for n in _ns.list_netns() if n.startswith(lab.prefix)]
    assert lab_names_in_root(lab.prefix) == []
    assert not os.path.exists(topology.state_path(lab.id))
    assert pid is not None and not lab_module._daemon_alive(pid, lab.id)
    lab.down()  # idempotent


@pytest.mark.parametrize("where", ["build", "daemon"])
def test_failure_mid_up_cleans_up(monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    import netwarden.lab as lab_module

    def boom(*args: object, **kwargs: object) -> None:
        raise LabError(f"injected failure in {where}")

    lab_id = topology.new_lab_id()  # other sessions may run these tests at the same time
    if where == "build":
        real = _ns.ip_batches

        def half(*args: object, **kwargs: object) -> None:
            real(*args, **kwargs)  # type: ignore[arg-type]
            boom()
        monkeypatch.setattr(_ns, "ip_batches", half)
    else:
        monkeypatch.setattr(lab_module, "_start_daemon", boom)
    with pytest.raises(LabError, match="injected"):
        Lab.up(Cluster(endpoints=(make_pod("a", "x", "10.40.0.1"),)), lab_id=lab_id)
    assert [n for n in _ns.list_netns() if n.startswith(f"nw{lab_id}-")] == []
    assert lab_names_in_root(f"nw{lab_id}") == []
    assert not os.path.exists(topology.state_path(lab_id))


@pytest.mark.slow
def test_fifty_pods_fast() -> None:
    pods = [make_pod(f"ns{i % 5}", f"p{i}", f"10.50.0.{i + 1}") for i in range(50)]
    start = time.monotonic()
    with Lab.up(Cluster(endpoints=tuple(pods))) as lab:
        assert time.monotonic() - start < 5.0
        start = time.monotonic()
        result = probe(lab, [(a, b) for a in lab.keys for b in lab.keys], "TCP", 80)
        assert time.monotonic() - start < 10.0
        assert len(result) == 2500 and all(result.values())


def test_host_network_and_ipv6_only_pods() -> None:
    cluster = Cluster(endpoints=(
        make_pod("a", "x", "10.70.0.1", "fd70::1", node="w1"),
        make_pod("a", "v6", "fd70::2", node="w2"),
        Endpoint("kube-system/hn", EndpointKind.POD, "hn", "kube-system", node="w2",
                 ips=(ipaddress.ip_address("10.71.0.2"),), host_network=True),
    ))
    with Lab.up(cluster) as lab:
        assert lab.nodes == ("w1", "w2")
        assert "kube-system/hn" not in lab.interfaces("w2")  # it has no veth of its own
        assert lab.netns("kube-system/hn") == lab.node_netns("w2")
        v4 = [("a/x", "kube-system/hn"), ("kube-system/hn", "a/x")]
        assert all(probe(lab, v4, "TCP", 80).values())
        v6 = [("a/x", "a/v6"), ("a/v6", "a/x")]
        assert all(probe(lab, v6, "UDP", 80, family=6).values())
        assert Lab.load(lab.id).topology == lab.topology
