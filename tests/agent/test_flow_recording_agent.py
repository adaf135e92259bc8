"""``agent --flow-log``: the node's new connections as flow records, drops with their rule
and, addressed to a ClusterIP, with its Service."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from netwarden import NftError
from netwarden.analysis.flows import Flow, FlowService, FlowVerdict, load_flows
from netwarden.dataplane import SystemNft, TableWriter
from netwarden.dataplane.services import ADDRESSED_TABLE, cluster_frontends, render_services

from .manifests import cluster_of, namespace, pod, policy, text, write_atomic

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


def _listed(netns: str) -> str:
    """The agent's table of addressed frontends, "" while it does not exist."""
    try:
        return SystemNft(netns).list_table(ADDRESSED_TABLE)
    except NftError:
        return ""


SERVICE_DOCS = [
    *DOCS,
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "prod"},
     "spec": {"clusterIP": "10.96.7.7", "selector": {"app": "db"},
              "ports": [{"port": 8080, "targetPort": 80}]}},
]


def test_a_denied_connection_to_a_cluster_ip_names_its_service(
        make_lab, start_agent, tmp_path: Path) -> None:
    lab = make_lab(SERVICE_DOCS)
    netns = lab.node_netns()
    # the node's kube-proxy: DNAT of the ClusterIP, and nothing logged (not netwarden's)
    TableWriter(SystemNft(netns)).apply(
        render_services(cluster_frontends(cluster_of(*SERVICE_DOCS), lambda _key: True)))
    manifests = tmp_path / "m"
    manifests.mkdir()
    write_atomic(manifests / "cluster.yaml", text(*SERVICE_DOCS))
    log = tmp_path / "flows.jsonl"
    start_agent(manifests, lab, flow_log=str(log))
    deadline = time.monotonic() + 10
    while "10.96.7.7" not in _listed(netns):
        assert time.monotonic() < deadline, "the agent never listed the ClusterIP"
        time.sleep(0.2)
    done = lab.exec("prod/web", ["sh", "-c", "echo x | nc -w 2 10.96.7.7 8080"], timeout=30)
    assert not done.stdout.startswith("nw ")
    [flow] = _wait_flows(log, 1)
    assert (flow.source.key, flow.destination.key, flow.destination.port, flow.verdict) == (
        "prod/web", "prod/db", 80, FlowVerdict.DENIED)
    assert flow.service == FlowService("prod", "db", 8080)


STAGED_DOCS = [
    *DOCS,
    {"apiVersion": "projectcalico.org/v3", "kind": "StagedNetworkPolicy",
     "metadata": {"name": "api-closed", "namespace": "prod"},
     "spec": {"stagedAction": "Set", "selector": "app == 'api'", "types": ["Ingress"]}},
]


def test_the_agent_logs_what_a_staged_policy_would_deny_and_lets_it_through(
        make_lab, start_agent, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    lab = make_lab(STAGED_DOCS)
    manifests = tmp_path / "m"
    manifests.mkdir()
    write_atomic(manifests / "cluster.yaml", text(*STAGED_DOCS))
    caplog.set_level(logging.INFO, logger="netwarden.agent")
    log = tmp_path / "flows.jsonl"
    start_agent(manifests, lab, flow_log=str(log))
    assert lab.probe([("prod/web", "prod/api")], "TCP", 80, timeout=2.0) == {
        ("prod/web", "prod/api"): True}
    [flow] = _wait_flows(log, 1)
    assert (flow.source.key, flow.destination.key, flow.verdict) == (
        "prod/web", "prod/api", FlowVerdict.ALLOWED)
    assert flow.staged is not None and flow.staged.verdict is FlowVerdict.DENIED
    assert flow.staged.decision is not None and flow.staged.decision.direction == "ingress"
    deadline = time.monotonic() + 5
    while not (staged := [r for r in caplog.records
                          if getattr(r, "event", None) == "staged-deny"]):
        assert time.monotonic() < deadline, "the agent never logged the staged deny"
        time.sleep(0.1)
    assert staged[0].getMessage().startswith("staged deny prod/web -> prod/api TCP/80: ")
    assert vars(staged[0])["count"] == 1
