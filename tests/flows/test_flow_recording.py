"""Flow recording without a kernel: NFLOG messages, the join with the cluster, the bounded log."""

from __future__ import annotations

import socket
import struct
import threading
import time
from ipaddress import ip_address
from pathlib import Path

import pytest

from netwarden import load_cluster
from netwarden.analysis.flows import Decision, FlowService, FlowVerdict
from netwarden.analysis.flows.observed import FlowJoiner
from netwarden.dataplane.chains import forward_chain
from netwarden.dataplane.conntrack import parse_conntrack
from netwarden.dataplane.flowlog import (
    SERVICE_PREFIX,
    Addressed,
    FlowLogFile,
    NewConnection,
    dnat_originals,
    parse_new_connections,
    with_original,
)
from netwarden.dataplane.options import FLOW_LOG_SAMPLED, RenderOptions
from netwarden.dataplane.services import Backend, Frontend, frontend_chain, render_services
from netwarden.lab import flows as lab_flows

CLUSTER = """
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.244.1.4}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: c, image: x, ports: [{containerPort: 5432}]}]}
status: {podIP: 10.244.1.3}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec: {clusterIP: 10.96.1.5, selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}]
"""


def _attr(kind: int, payload: bytes) -> bytes:
    raw = struct.pack("=HH", 4 + len(payload), kind) + payload
    return raw + b"\0" * (-len(raw) % 4)


NESTED = 0x8000  # NLA_F_NESTED, as the kernel sets it on NFULA_CT and its tuples


def conntrack_attr(src: str, dst: str, sport: int, dport: int) -> bytes:
    """NFULA_CT holding an original tuple (CTA_TUPLE_ORIG → CTA_TUPLE_IP, CTA_TUPLE_PROTO)."""
    ip = _attr(1, socket.inet_aton(src)) + _attr(2, socket.inet_aton(dst))
    proto = _attr(1, bytes([6])) + _attr(2, struct.pack(">H", sport)) \
        + _attr(3, struct.pack(">H", dport))
    orig = _attr(1 | NESTED, _attr(1 | NESTED, ip) + _attr(2 | NESTED, proto))
    return _attr(18 | NESTED, orig)


def nflog_packet(src: str, dst: str, sport: int, dport: int, prefix: str,
                 extra: bytes = b"") -> bytes:
    ip = bytes([0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0]) + socket.inet_aton(src) \
        + socket.inet_aton(dst)
    body = struct.pack("=BBH", socket.AF_INET, 0, 0) + _attr(9, ip + struct.pack(
        ">HH", sport, dport) + b"\0" * 16) + _attr(10, prefix.encode() + b"\0") + extra
    return struct.pack("=IHHII", 16 + len(body), 4 << 8, 0, 0, 0) + body


def event(prefix: str = "nw accept", **kw: object) -> NewConnection:
    fields: dict[str, object] = dict(time=0.0, family=4, protocol=6, src="10.244.1.4",
                                     dst="10.244.1.3", sport=40000, dport=5432,
                                     original_dst=None, original_dport=None, prefix=prefix)
    fields.update(kw)
    return NewConnection(**fields)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def joiner(tmp_path_factory: pytest.TempPathFactory) -> FlowJoiner:
    path = tmp_path_factory.mktemp("c") / "c.yaml"
    path.write_text(CLUSTER)
    return FlowJoiner(load_cluster([path]))


def test_an_nflog_message_gives_the_packet_ends_ports_and_prefix() -> None:
    data = nflog_packet("10.244.1.4", "10.244.1.3", 40000, 5432, "nw shop/db ingress[0]")
    [got] = parse_new_connections(data, now=1.0)
    assert got == event("nw shop/db ingress[0]", time=1.0)


def test_an_accepted_connection_names_the_rule_the_engine_finds(joiner: FlowJoiner) -> None:
    flow = joiner.flow(event())
    assert flow.verdict is FlowVerdict.ALLOWED
    assert flow.decision == Decision("ingress", "default", "shop/db",
                                     "ingress[0] from[0] ports[0]")
    assert (flow.source.key, flow.destination.key, flow.destination.port) == (
        "shop/web", "shop/db", 5432)


def test_a_denied_connection_names_the_end_of_tier_its_log_prefix_names(
        joiner: FlowJoiner) -> None:
    flow = joiner.flow(event("nw shop/db ingress end of tier default", src="10.244.1.9"))
    assert (flow.verdict, flow.decision) == (FlowVerdict.DENIED,
                                             Decision("ingress", "default"))
    assert flow.source.pod is None and flow.source.address == "10.244.1.9"


def test_the_service_comes_from_conntrack_s_original_destination(joiner: FlowJoiner) -> None:
    entries = parse_conntrack(
        "ipv4 2 tcp 6 117 TIME_WAIT src=10.244.1.4 dst=10.96.1.5 sport=40000 dport=5432 "
        "src=10.244.1.3 dst=10.244.1.4 sport=5432 dport=40000 [ASSURED] mark=0 use=1\n")
    flow = joiner.flow(with_original(event(), dnat_originals(entries)))
    assert flow.service == FlowService("shop", "db", 5432)


def test_a_drop_carrying_its_conntrack_entry_names_the_service_addressed(
        joiner: FlowJoiner) -> None:
    data = nflog_packet("10.244.1.4", "10.244.1.3", 40000, 5432, "nw shop/db ingress[0]",
                        conntrack_attr("10.244.1.4", "10.96.1.5", 40000, 5432))
    [got] = parse_new_connections(data, now=0.0)
    assert (got.denied, got.original_dst, got.original_dport) == (True, "10.96.1.5", 5432)
    assert joiner.flow(got).service == FlowService("shop", "db", 5432)


def test_a_drop_after_the_kube_proxy_message_names_the_service_addressed(
        joiner: FlowJoiner) -> None:
    data = nflog_packet("10.244.1.9", "10.96.1.5", 40001, 5432, SERVICE_PREFIX) \
        + nflog_packet("10.244.1.9", "10.244.1.3", 40001, 5432,
                       "nw shop/db ingress end of tier default")
    [got] = Addressed().join(parse_new_connections(data, now=0.0))
    assert got.denied and joiner.flow(got).service == FlowService("shop", "db", 5432)


def test_a_kube_proxy_message_names_only_the_connection_of_its_client_port() -> None:
    pairs = Addressed()
    sent = event(SERVICE_PREFIX, dst="10.96.1.5", sport=40001)
    [other] = pairs.join([sent, event(sport=40002)])
    assert other.original_dst is None


def test_each_frontend_chain_logs_a_new_connection_before_its_dnat() -> None:
    front = Frontend("shop/db", 6, ip_address("10.96.1.5"), 5432,
                     (Backend("shop/db", ip_address("10.244.1.3"), 5432),))
    rules = render_services([front], log_group=7).chain(frontend_chain(front)).rules
    assert [r.body for r in rules] == [f'log group 7 prefix "{SERVICE_PREFIX}"',
                                       "meta l4proto tcp dnat ip to 10.244.1.3:5432"]
    assert [r.body for r in render_services([front]).chain(frontend_chain(front)).rules] == [
        "meta l4proto tcp dnat ip to 10.244.1.3:5432"]


def test_a_connection_to_a_pod_address_has_no_service(joiner: FlowJoiner) -> None:
    entries = parse_conntrack(
        "ipv4 2 tcp 6 117 TIME_WAIT src=10.244.1.4 dst=10.244.1.3 sport=40000 dport=5432 "
        "src=10.244.1.3 dst=10.244.1.4 sport=5432 dport=40000 [ASSURED] mark=0 use=1\n")
    assert joiner.flow(with_original(event(), dnat_originals(entries))).service is None


def test_a_burst_over_the_rate_is_counted_not_written(tmp_path: Path) -> None:
    now = [0.0]
    log = FlowLogFile(tmp_path / "f.jsonl", rate=1, burst=2, clock=lambda: now[0])
    assert [log.write(b"x\n") for _ in range(3)] == [True, True, False]
    now[0] = 1.0
    assert log.write(b"y\n") and (log.written, log.sampled_out) == (3, 1)
    log.close()
    assert (tmp_path / "f.jsonl").read_bytes() == b"x\nx\ny\n"


def test_the_log_rotates_at_its_cap(tmp_path: Path) -> None:
    log = FlowLogFile(tmp_path / "f.jsonl", max_bytes=4, clock=lambda: 0.0)
    for line in (b"a\n", b"b\n", b"c\n"):
        log.write(line)
    log.close()
    assert ((tmp_path / "f.jsonl").read_bytes(), (tmp_path / "f.jsonl.1").read_bytes(),
            log.rotations) == (b"c\n", b"a\nb\n", 1)


def test_the_forward_chain_logs_new_connections_after_both_sides_accepted() -> None:
    rules = forward_chain(RenderOptions(flow_log_group=7)).rules
    assert [r.body for r in rules[-2:]] == [
        'ct state new limit rate 200/second burst 1000 packets log group 7 prefix "nw accept"',
        "ct state new limit rate over 200/second burst 1000 packets counter"]
    assert rules[-1].comment == FLOW_LOG_SAMPLED
    assert rules[0].body == "ct state established,related accept"  # never logged


def test_following_the_lab_s_log_yields_what_it_holds_then_each_new_line_across_rotations(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lab_flows, "STATE_DIR", str(tmp_path))
    log = FlowLogFile(lab_flows.flow_log_path("abcd"), max_bytes=4, clock=lambda: 0.0)
    log.write(b"old\n")
    stop, got = threading.Event(), list[bytes]()

    def collect() -> None:
        for line in lab_flows.follow("abcd", stop):
            got.append(line)
            if len(got) == 4:
                stop.set()

    def wait_for(count: int) -> None:
        deadline = time.monotonic() + 10
        while len(got) < count and time.monotonic() < deadline:
            time.sleep(0.05)

    thread = threading.Thread(target=collect)
    thread.start()
    wait_for(1)
    for i, line in enumerate((b"a\n", b"b\n", b"c\n")):  # 4-byte files: "a", "c" start new
        log.write(line)
        wait_for(i + 2)
    thread.join(10)
    stop.set()
    log.close()
    assert (got, log.rotations) == ([b"old\n", b"a\n", b"b\n", b"c\n"], 2)
    assert list(lab_flows.recorded("abcd")) == [b"a\n", b"b\n", b"c\n"]
