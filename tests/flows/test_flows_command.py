"""``netwarden flows FILE``: filters named as every command names endpoints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netwarden.analysis.flows import (
    Decision,
    Flow,
    FlowEnd,
    FlowService,
    FlowVerdict,
    Workload,
    dump_flow,
    load_flows,
)
from netwarden.cli import main

WEB = FlowEnd(namespace="shop", pod="web-1", workload=Workload("Deployment", "web"),
              labels=(("app", "web"),), address="10.0.1.5", port=40000)
DB = FlowEnd(namespace="shop", pod="db-0", workload=Workload("StatefulSet", "db"),
             labels=(("app", "db"),), address="10.0.2.9", port=5432)
OUT = FlowEnd(address="203.0.113.7", port=55000)


def _flow(src: FlowEnd, dst: FlowEnd, verdict: str, port: int = 5432, protocol: str = "TCP",
          second: int = 0) -> Flow:
    return Flow(time=f"2026-12-01T12:00:0{second}Z", source=src,
                destination=FlowEnd(dst.namespace, dst.pod, dst.workload, dst.labels,
                                    dst.address, port),
                protocol=protocol, verdict=FlowVerdict(verdict),
                decision=Decision("ingress", "default", "shop/db", None)
                if verdict == "denied" else None,
                service=FlowService("shop", "db", port) if dst is DB else None)


FLOWS = [
    _flow(WEB, DB, "allowed", second=0),
    _flow(OUT, DB, "denied", second=1),
    _flow(WEB, DB, "denied", port=22, second=2),
    _flow(DB, FlowEnd(address="198.51.100.1"), "allowed", port=53, protocol="UDP", second=3),
]


@pytest.fixture
def flow_file(tmp_path: Path) -> Path:
    path = tmp_path / "flows.jsonl"
    path.write_bytes(b"".join(dump_flow(f) for f in FLOWS))
    return path


def _times(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    assert main(["flows", *args, "-o", "json"]) == 0
    return [f["time"][-3:-1] for f in json.loads(capsys.readouterr().out)]


@pytest.mark.parametrize(("filters", "seconds"), [
    ((), ["00", "01", "02", "03"]),
    (("--verdict", "denied"), ["01", "02"]),
    (("--to", "shop/StatefulSet/db", "--verdict", "denied"), ["01", "02"]),
    (("--from", "shop/deployment/web"), ["00", "02"]),
    (("--from", "shop/web-1", "--port", "22"), ["02"]),
    (("--from", "203.0.113.0/24"), ["01"]),
    (("--to", "198.51.100.1", "--protocol", "udp"), ["03"]),
    (("--to", "shop/db-0", "--verdict", "allowed"), ["00"]),
    (("--from", "web-1"), []),     # a bare name is a pod in default
], ids=["all", "denied", "to-workload", "from-workload-any-case", "port", "cidr", "protocol",
        "to-pod", "default-namespace"])
def test_filters_select_the_flows_matching_all_of_them(
        capsys: pytest.CaptureFixture[str], flow_file: Path, filters: tuple[str, ...],
        seconds: list[str]) -> None:
    assert _times(capsys, str(flow_file), *filters) == seconds


def test_jsonl_output_writes_records_that_read_back(flow_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "denied.jsonl"
    assert main(["flows", str(flow_file), "--verdict", "denied", "-o", "jsonl",
                 "-O", str(out)]) == 0
    assert load_flows(out) == [FLOWS[1], FLOWS[2]]


def test_the_table_names_ends_ports_and_the_deciding_rule(
        capsys: pytest.CaptureFixture[str], flow_file: Path) -> None:
    assert main(["flows", str(flow_file), "--from", "203.0.113.7"]) == 0
    out = capsys.readouterr().out
    assert "203.0.113.7" in out and "shop/db-0" in out and "TCP/5432" in out
    assert "shop/db: no ingress rule allows it" in out
    assert out.rstrip().endswith("1 of 4 flows")


def test_an_unreadable_end_name_is_an_input_error(
        capsys: pytest.CaptureFixture[str], flow_file: Path) -> None:
    assert main(["flows", str(flow_file), "--from", "a//b"]) == 2
    assert "cannot read 'a//b' as an end" in capsys.readouterr().err


def test_a_bad_record_is_an_input_error_at_its_line(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(dump_flow(FLOWS[0]) + b'{"time": 1}\n')
    assert main(["flows", str(path)]) == 2
    assert f"{path}:2: time: expected an RFC 3339 time" in capsys.readouterr().err


def test_a_name_no_flow_has_is_warned_with_a_did_you_mean(
        capsys: pytest.CaptureFixture[str], flow_file: Path) -> None:
    assert main(["flows", str(flow_file), "--to", "shop/db-1"]) == 0
    captured = capsys.readouterr()
    assert captured.out.rstrip().endswith("0 of 4 flows")
    assert ("warning: --to shop/db-1: no flow in the file starts or ends there; did you mean "
            "shop/db-0?") in captured.err


def test_a_name_that_only_this_filter_excludes_is_not_warned(
        capsys: pytest.CaptureFixture[str], flow_file: Path) -> None:
    assert main(["flows", str(flow_file), "--to", "shop/web-1"]) == 0
    assert "warning" not in capsys.readouterr().err
