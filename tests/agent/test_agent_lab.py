"""The agent on a real lab: directory events, drift, restart, cross-node revocation."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from netwarden.dataplane.shape import kernel_shape, ruleset_shape
from netwarden.lab import run_in

from .conftest import wait_matrix
from .manifests import cluster_of, namespace, pod, policy, text, write_atomic

pytestmark = pytest.mark.lab

NAMESPACES = [namespace("prod", env="prod"), namespace("dev", env="dev")]
WEB = pod("prod", "web", "10.244.1.10", app="web")
DB = pod("prod", "db", "10.244.1.11", app="db")
CLIENT = pod("dev", "client", "10.244.1.12", app="client")
LATE = pod("prod", "late", "10.244.1.13", app="late")  # in the lab, joins the view later
FROM_WEB = [{"podSelector": {"matchLabels": {"app": "web"}}}]
FROM_DEV = [{"namespaceSelector": {"matchLabels": {"env": "dev"}}}]


def _keys(docs: list[dict[str, object]]) -> list[str]:
    out = []
    for d in docs:
        meta = d["metadata"]
        if d["kind"] == "Pod":
            out.append(f"{meta['namespace']}/{meta['name']}")  # type: ignore[index]
    return out


def test_directory_events_are_enforced_within_two_seconds(make_lab, start_agent,
                                                          tmp_path: Path) -> None:
    lab = make_lab([*NAMESPACES, WEB, DB, CLIENT, LATE])
    base, pols = tmp_path / "base.yaml", tmp_path / "policies.yaml"
    state: dict[str, object] = {"ns": NAMESPACES, "pods": [WEB, DB, CLIENT], "pols": []}

    def publish() -> tuple[list[dict[str, object]], float]:
        docs = [*state["ns"], *state["pods"]]  # type: ignore[misc]
        write_atomic(base, text(*docs))
        if state["pols"]:
            write_atomic(pols, text(*state["pols"]))  # type: ignore[misc]
        elif pols.exists():
            pols.unlink()
        return [*docs, *state["pols"]], time.monotonic()  # type: ignore[misc]

    docs, _ = publish()
    start_agent(tmp_path, lab)
    steps = [
        ("create policy", lambda: state.update(pols=[policy("prod", "db-in", {"app": "db"},
                                                            FROM_WEB)])),
        ("update policy", lambda: state.update(pols=[policy("prod", "db-in", {"app": "db"},
                                                            FROM_DEV)])),
        ("add pod", lambda: state.update(pods=[WEB, DB, CLIENT, LATE])),
        ("relabel pod", lambda: state.update(pods=[
            WEB, pod("prod", "db", "10.244.1.11", app="web"), CLIENT, LATE])),
        ("relabel namespace", lambda: state.update(ns=[namespace("prod", env="prod"),
                                                       namespace("dev", env="qa")])),
        ("isolate namespace", lambda: state.update(pols=[
            policy("prod", "db-in", {"app": "db"}, FROM_DEV),
            policy("prod", "deny-all", {}, None)])),
        ("delete policies", lambda: state.update(pols=[])),
    ]
    timings = {}
    for what, change in steps:
        change()
        docs, _ = publish()
        ok, diff, took = wait_matrix(lab, cluster_of(*docs), _keys(docs), within=2.0)
        assert ok, f"{what}: lab differs from the engine after {took:.2f}s: {diff}"
        timings[what] = took
    print("seconds to agreement:", {k: round(v, 2) for k, v in timings.items()})


def test_flushed_table_is_restored_at_resync(make_lab, start_agent, tmp_path: Path) -> None:
    docs = [*NAMESPACES, WEB, DB, CLIENT, policy("prod", "db-in", {"app": "db"}, FROM_WEB)]
    lab = make_lab(docs)
    write_atomic(tmp_path / "all.yaml", text(*docs))
    agent = start_agent(tmp_path, lab, resync=1.0)
    assert lab.probe([("dev/client", "prod/db")], "TCP", 80, timeout=0.3) == {
        ("dev/client", "prod/db"): False}
    netns = lab.node_netns("node-1")
    run_in(netns, ["nft", "flush", "table", "inet", "netwarden"], check=True)
    assert lab.probe([("dev/client", "prod/db")], "TCP", 80, timeout=0.3) == {
        ("dev/client", "prod/db"): True}, "flushing should have opened the pod"
    deadline = time.monotonic() + 3.0
    rec = agent.reconciler
    while time.monotonic() < deadline:
        if kernel_shape(rec.backend, rec.desired) == ruleset_shape(rec.desired):  # type: ignore[arg-type]
            break
        time.sleep(0.1)
    else:
        pytest.fail("table not restored within the resync period")
    assert rec.metrics.get("netwarden_drift_repairs_total") >= 1
    ok, diff, _ = wait_matrix(lab, cluster_of(*docs), _keys(docs), within=1.0)
    assert ok, diff


def test_revocation_across_nodes(make_lab, start_agent, tmp_path: Path) -> None:
    client = pod("dev", "client", "10.244.1.12", node="node-1", app="client")
    db = pod("prod", "db", "10.244.2.11", node="node-2", app="db")
    web = pod("prod", "web", "10.244.3.10", node="node-3", app="web")
    allow = policy("prod", "db-in", {"app": "db"}, FROM_DEV)
    deny = policy("prod", "db-in", {"app": "db"}, FROM_WEB)
    docs = [*NAMESPACES, client, db, web]
    lab = make_lab(docs, nodes=3)
    write_atomic(tmp_path / "base.yaml", text(*docs))
    write_atomic(tmp_path / "pol.yaml", text(allow))
    agents = {n: start_agent(tmp_path, lab, node=n) for n in ("node-1", "node-2", "node-3")}
    # each agent enforces only its own pods
    for node, agent in agents.items():
        chains = {c.name for c in agent.reconciler.desired.chains}  # type: ignore[union-attr]
        local = {"node-1": "dev/client", "node-2": "prod/db", "node-3": "prod/web"}[node]
        assert any(local in c for c in chains)
        assert not any(other in c for c in chains for other in
                       {"dev/client", "prod/db", "prod/web"} - {local})
    keys = ["dev/client", "prod/db", "prod/web"]
    ok, diff, _ = wait_matrix(lab, cluster_of(*docs, allow), keys)
    assert ok, diff
    with lab.hold("dev/client", "prod/db", 80, stall=0.5) as conn:
        time.sleep(0.3)
        assert conn.alive
        write_atomic(tmp_path / "pol.yaml", text(deny))
        assert conn.wait_broken(3.0), "established cross-node connection survived the deny"
    revoked = sum(a.reconciler.metrics.get("netwarden_revoked_connections_total")
                  for a in agents.values())
    assert revoked >= 1
    ok, diff, _ = wait_matrix(lab, cluster_of(*docs, deny), keys)
    assert ok, diff


def test_per_policy_metrics_count_packets_the_fast_path_allows(make_lab, start_agent,
                                                                tmp_path: Path) -> None:
    docs = [*NAMESPACES, WEB, DB, CLIENT, policy("prod", "db-in", {"app": "db"}, FROM_WEB)]
    lab = make_lab(docs)
    write_atomic(tmp_path / "all.yaml", text(*docs))
    agent = start_agent(tmp_path, lab)
    desired = agent.reconciler.desired
    assert desired is not None and any(s.counter for s in desired.sets), (
        "db-in's Allow should be a counted set element (the allow-only fast path)")
    assert all("prod/db-in" not in (r.comment or "") for c in desired.chains for r in c.rules)
    seen = lab.probe([("prod/web", "prod/db")], "TCP", 80)
    assert seen == {("prod/web", "prod/db"): True}
    agent.reconciler.metrics.render()  # a scrape runs the counter collector
    allowed = agent.reconciler.metrics.get("netwarden_policy_packets_total",
                                           direction="ingress", policy="prod/db-in",
                                           verdict="match")
    assert allowed >= 1, "the fast path's allow of web -> db is missing from the metrics"


def test_a_table_deleted_by_hand_is_restored_within_a_second(make_lab, start_agent,
                                                             tmp_path: Path) -> None:
    docs = [*NAMESPACES, WEB, DB, CLIENT, policy("prod", "db-in", {"app": "db"}, FROM_WEB)]
    lab = make_lab(docs)
    write_atomic(tmp_path / "all.yaml", text(*docs))
    agent = start_agent(tmp_path, lab, resync=30.0)  # no resync during the test
    assert agent.monitor is not None and agent.monitor.started.wait(5)
    rec = agent.reconciler
    pair = ("dev/client", "prod/db")
    assert lab.probe([pair], "TCP", 80, timeout=0.3) == {pair: False}
    restored: list[float] = []
    start = time.monotonic()

    def watch_shape() -> None:
        while time.monotonic() - start < 3.0:
            if kernel_shape(rec.backend, rec.desired) == ruleset_shape(rec.desired):  # type: ignore[arg-type]
                restored.append(time.monotonic() - start)
                return
            time.sleep(0.01)

    run_in(lab.node_netns("node-1"), ["nft", "delete", "table", "inet", "netwarden"], check=True)
    start = time.monotonic()
    watcher = threading.Thread(target=watch_shape)
    watcher.start()
    opened = []  # when a probe of the denied pair got through, seconds after the delete
    while time.monotonic() - start < 2.5:
        at = time.monotonic() - start
        if lab.probe([pair], "TCP", 80, timeout=0.2)[pair]:
            opened.append(round(at, 3))
    watcher.join()
    assert restored and restored[0] < 1.0, f"table not restored within 1 s: {restored}"
    assert all(at < 1.0 for at in opened), f"the denied pair connected after 1 s: {opened}"
    assert rec.metrics.get("netwarden_drift_repairs_total") >= 1
    print(f"restored after {restored[0] * 1000:.0f} ms; denied pair open at {opened}")
