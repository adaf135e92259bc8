"""``agent --flow-log``: the node's new connections as flow records, drops with their rule."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from netwarden.analysis.flows import Flow, FlowVerdict, load_flows

from .manifests import namespace, pod, policy, text, write_atomic

pytestmark = pytest.mark.lab

DOCS = [
    namespace("prod"),
    pod("prod", "web", "10.244.1.20", app="web"),
    pod("prod", "api", "10.244.1.22", app="api"),
    pod("prod", "db", "10.244.1.21", app="db"),
    policy("prod", "db-from-nobody", {"app": "db"}, None),
]


def _wait_flows(path: Path, count: int) -> list[Flow]:
    deadline = time.monotonic() + 10
    flows: list[Flow] = []
    while time.monotonic() < deadline and len(flows) < count:
        time.sleep(0.2)
        flows = load_flows(path) if path.exists() else []
    return flows


def test_the_agent_records_accepted_and_denied_connections(
        make_lab, start_agent, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    lab = make_lab(DOCS)
    manifests = tmp_path / "m"
    manifests.mkdir()
    write_atomic(manifests / "cluster.yaml", text(*DOCS))
    caplog.set_level(logging.INFO, logger="netwarden.agent")
    log = tmp_path / "flows.jsonl"
    start_agent(manifests, lab, flow_log=str(log), log_drops=12)
    assert lab.probe([("prod/web", "prod/db")], "TCP", 80, timeout=0.5) == {
        ("prod/web", "prod/db"): False}
    assert lab.probe([("prod/web", "prod/api")], "TCP", 80, timeout=2.0) == {
        ("prod/web", "prod/api"): True}
    flows = _wait_flows(log, 2)
    got = {(f.source.key, f.destination.key, f.verdict) for f in flows}
    assert got == {("prod/web", "prod/db", FlowVerdict.DENIED),
                   ("prod/web", "prod/api", FlowVerdict.ALLOWED)}
    denied = next(f for f in flows if f.verdict is FlowVerdict.DENIED)
    assert denied.decision is not None and denied.decision.direction == "ingress"
    drops = [r.getMessage() for r in caplog.records if getattr(r, "event", None) == "drop"]
    assert drops and drops[0].startswith("drop prod/web -> prod/db TCP/80: ")
