"""Flow records: JSON Lines round trip, the JSON Schema, and errors at file:line: field."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest

from netwarden._errors import ValidationError
from netwarden.analysis.flows import (
    Decision,
    Flow,
    FlowEnd,
    FlowService,
    FlowVerdict,
    Staged,
    Workload,
    dump_flow,
    flow_json,
    load_flows,
    read_flow_file,
    read_flows,
    write_flows,
)

SCHEMA = json.loads((Path(__file__).parents[2] / "src/netwarden/analysis/flows/flow.schema.json")
                    .read_text())

FULL = Flow(
    time="2026-12-01T12:00:00.123456789Z",
    source=FlowEnd(namespace="shop", pod="web-7d9f-abcde", workload=Workload("Deployment", "web"),
                   labels=(("app", "web"), ("pod-template-hash", "7d9f")),
                   address="10.0.0.5", port=40112),
    destination=FlowEnd(namespace="shop", pod="db-0", workload=Workload("StatefulSet", "db"),
                        labels=(("app", "db"),), address="10.0.0.9", port=5432),
    protocol="TCP", verdict=FlowVerdict.DENIED,
    decision=Decision(direction="ingress", tier="default", policy="shop/db", rule=None),
    service=FlowService("shop", "db", 5432),
    staged=Staged(FlowVerdict.ALLOWED, Decision("ingress", "default", "shop/staged-db",
                                                 "ingress[0] from[0] ports[0]")),
)
OUTSIDE = Flow(time="2026-12-01T12:00:01+01:00", protocol="UDP", verdict=FlowVerdict.ALLOWED,
               source=FlowEnd(namespace="shop", pod="web-1", address="10.0.0.5"),
               destination=FlowEnd(address="2001:db8::1", port=53))


def test_a_written_flow_reads_back_equal() -> None:
    buffer = io.BytesIO()
    assert write_flows(buffer, [FULL, OUTSIDE]) == 2
    assert read_flows(io.BytesIO(buffer.getvalue()), "f.jsonl") == [FULL, OUTSIDE]


def test_written_records_validate_against_the_json_schema() -> None:
    for flow in (FULL, OUTSIDE):
        jsonschema.validate(json.loads(dump_flow(flow)), SCHEMA)


def test_fields_without_a_value_are_left_out() -> None:
    assert flow_json(OUTSIDE) == {
        "time": "2026-12-01T12:00:01+01:00", "protocol": "UDP", "verdict": "allowed",
        "source": {"namespace": "shop", "pod": "web-1", "address": "10.0.0.5"},
        "destination": {"address": "2001:db8::1", "port": 53}}


def test_blank_lines_are_skipped_and_a_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "flows.jsonl"
    path.write_bytes(b"\n" + dump_flow(OUTSIDE) + b"  \n")
    assert load_flows(path) == [OUTSIDE]


def test_a_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"nope.jsonl: cannot read: No such file"):
        load_flows(tmp_path / "nope.jsonl")


GOOD = ('"time": "2026-12-01T12:00:00Z", "protocol": "TCP", "verdict": "allowed", '
        '"source": {"address": "192.0.2.1"}, ')

ERRORS = [
    ("{", "flows.jsonl:2: not JSON: "),
    ('{"time": "2026-12-01T12:00:00Z"}', "flows.jsonl:2: protocol: required"),
    ('{' + GOOD + '"destination": {"namespace": "a", "pod": "b", "port": 70000}}',
     "flows.jsonl:2: destination.port: expected an integer from 0 to 65535, got 70000"),
    ('{' + GOOD + '"destination": {"pod": "b"}}',
     "flows.jsonl:2: destination.namespace: required with pod"),
    ('{' + GOOD + '"destination": {"port": 80}}',
     "flows.jsonl:2: destination: needs a pod (with its namespace) or an address"),
    ('{' + GOOD + '"destination": {"address": "10.0.0.300"}}',
     "flows.jsonl:2: destination.address: expected an IP address, got '10.0.0.300'"),
    ('{' + GOOD + '"destination": {"address": "10.0.0.3", "labels": {"a": 1}}}',
     "flows.jsonl:2: destination.labels: expected an object of strings, got dict"),
    ('{' + GOOD + '"destination": {"address": "10.0.0.3", "podname": "x"}}',
     "flows.jsonl:2: destination.podname: unknown field (known: namespace, pod, workload, "
     "labels, address, port)"),
    ('{' + GOOD.replace('"TCP"', '"tcp"') + '"destination": {"address": "10.0.0.3"}}',
     "flows.jsonl:2: protocol: expected one of TCP, UDP, SCTP, ICMP, ICMPv6, got 'tcp'"),
    ('{' + GOOD.replace('"allowed"', '"FORWARDED"') + '"destination": {"address": "10.0.0.3"}}',
     "flows.jsonl:2: verdict: expected 'allowed' or 'denied', got 'FORWARDED'"),
    ('{' + GOOD + '"destination": {"address": "10.0.0.3"}, "decision": {"direction": "in"}}',
     "flows.jsonl:2: decision.direction: expected 'ingress' or 'egress', got 'in'"),
    ('{' + GOOD + '"destination": {"address": "10.0.0.3"}, "service": {"name": "db"}}',
     "flows.jsonl:2: service.namespace: required"),
]


@pytest.mark.parametrize(("line", "message"), ERRORS, ids=[m.split(": ")[1] for _, m in ERRORS])
def test_a_bad_record_is_an_error_at_file_line_and_field(line: str, message: str) -> None:
    text = dump_flow(OUTSIDE).decode() + line + "\n"
    with pytest.raises(ValidationError) as caught:
        read_flows(io.StringIO(text), "flows.jsonl")
    assert str(caught.value).startswith(message)


def test_a_flow_file_of_records_is_read_as_records(tmp_path: Path) -> None:
    path = tmp_path / "flows.jsonl"
    path.write_bytes(dump_flow(FULL) + dump_flow(OUTSIDE))
    file = read_flow_file(path)
    assert (file.kind, file.flows, file.notes) == ("netwarden", (FULL, OUTSIDE), [])
