"""Hubble import: `hubble observe -o json` lines (Cilium's flow.proto field names) as flows.

The sample (data/hubble-observe.json) was written for this test: a web → db connection
through Service shop/db with its reply and ACK, a DNS query and its L7 record, a policy
drop from outside, a drop for another reason, an event without L4, an audit-mode ICMP
echo, a TRACED event and a node status line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netwarden._errors import ValidationError
from netwarden.analysis.flows import (
    Decision,
    FlowEnd,
    FlowService,
    FlowVerdict,
    Staged,
    Workload,
    import_hubble,
    load_hubble,
    read_flow_file,
)

SAMPLE = Path(__file__).parent / "data" / "hubble-observe.json"


def test_the_first_packets_of_connections_become_flows() -> None:
    flows = load_hubble(SAMPLE).flows
    assert [(f.source.key or f.source.address, f.destination.key or f.destination.address,
             f.protocol, f.destination.port, f.verdict.value) for f in flows] == [
        ("shop/web-7d9f-abcde", "shop/db-0", "TCP", 5432, "allowed"),
        ("shop/web-7d9f-abcde", "kube-system/coredns-5d78c9869d-x2x7q", "UDP", 53, "allowed"),
        ("203.0.113.7", "shop/db-0", "TCP", 5432, "denied"),
        ("shop/web-7d9f-abcde", "198.51.100.1", "ICMP", None, "allowed"),
    ]


def test_what_was_left_out_is_counted_by_reason() -> None:
    assert load_hubble(SAMPLE).skipped == {
        "replies": 1, "TCP packets after the first": 1, "L7 records": 1,
        "drops not by policy": 1, "no L4 header": 1, "verdict TRACED": 1,
        "events that are not flows": 1}


def test_an_end_keeps_the_pods_labels_without_ciliums_and_its_workload() -> None:
    first = load_hubble(SAMPLE).flows[0]
    assert first.source == FlowEnd(
        namespace="shop", pod="web-7d9f-abcde", workload=Workload("Deployment", "web"),
        labels=(("app", "web"), ("pod-template-hash", "7d9f")), address="10.0.1.5", port=40112)


def test_the_destination_service_and_the_allowing_policy_are_kept() -> None:
    first = load_hubble(SAMPLE).flows[0]
    assert first.service == FlowService("shop", "db", None)
    assert first.decision == Decision(direction="egress", policy="shop/web-egress")
    assert first.time == "2026-12-01T12:00:00.123456789Z"


def test_a_policy_drop_names_its_direction_and_outside_is_an_address() -> None:
    drop = load_hubble(SAMPLE).flows[2]
    assert drop.source == FlowEnd(address="203.0.113.7", port=55000)
    assert drop.decision == Decision(direction="ingress")


def test_audit_mode_is_allowed_with_a_staged_denial() -> None:
    audit = load_hubble(SAMPLE).flows[3]
    assert (audit.verdict, audit.staged) == (FlowVerdict.ALLOWED, Staged(FlowVerdict.DENIED))


def test_a_flow_file_is_recognised_as_hubbles_by_its_first_line() -> None:
    file = read_flow_file(SAMPLE)
    assert (file.kind, len(file.flows)) == ("hubble", 4)
    assert file.notes == [f"{SAMPLE}: hubble export: read 4 flows, skipped 7 (L7 records 1, "
                          "TCP packets after the first 1, drops not by policy 1, events that "
                          "are not flows 1, no L4 header 1, replies 1, verdict TRACED 1)"]


def test_a_line_that_is_not_json_is_an_error_at_its_line() -> None:
    with pytest.raises(ValidationError, match=r"^hubble.json:2: not JSON"):
        import_hubble(['{"flow": {"Type": "L7"}}', "{oops"], "hubble.json")


def test_a_bad_time_is_an_error_at_its_line() -> None:
    line = ('{"flow": {"time": "yesterday", "verdict": "FORWARDED", "IP": {"source": "10.0.0.1",'
            ' "destination": "10.0.0.2"}, "l4": {"UDP": {"destination_port": 53}}}}')
    with pytest.raises(ValidationError, match=r"^h.json:1: flow.time: expected an RFC 3339 time"):
        import_hubble([line], "h.json")


def test_a_port_that_is_no_port_is_an_error_at_its_line() -> None:
    line = ('{"flow": {"time": "2026-12-01T12:00:00Z", "verdict": "FORWARDED", "IP": '
            '{"source": "10.0.0.1", "destination": "10.0.0.2"}, '
            '"l4": {"UDP": {"destination_port": "53"}}}}')
    with pytest.raises(ValidationError, match=r"^h.json:1: flow.l4.UDP.destination_port: "
                       r"expected a port from 0 to 65535, got '53'"):
        import_hubble([line], "h.json")
