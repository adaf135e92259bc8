"""Agent pieces without root: cache, directory source, metrics, table shape, reconciler."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from netwarden._errors import InvalidManifests, LabError
from netwarden.agent import (
    Agent,
    AgentConfig,
    CalicoInterfaces,
    DirectorySource,
    ManifestCache,
    Metrics,
    MetricsServer,
    Reconciler,
    StaticInterfaces,
)
from netwarden.agent.interfaces import calico_veth_name
from netwarden.agent.logs import JsonFormatter
from netwarden.agent.runner import _placement
from netwarden.compile import CompileMemo, compile_snapshot
from netwarden.dataplane.nft import FakeNft
from netwarden.dataplane.nft.objects import Map, Table
from netwarden.dataplane.shape import ruleset_shape
from netwarden.load import load_texts

from .manifests import namespace, pod, policy, text, write_atomic

DOCS = [namespace("prod"), pod("prod", "web", "10.244.1.10", app="web"),
        pod("prod", "db", "10.244.1.11", app="db"),
        policy("prod", "db-in", {"app": "db"}, [{"podSelector": {"matchLabels": {"app": "web"}}}])]
IFACES = {"prod/web": "veth-web", "prod/db": "veth-db"}


class JsonFake(FakeNft):
    """FakeNft that also answers ``list_table(as_json=True)`` from its model."""

    def list_table(self, table: Table, *, as_json: bool = False) -> str:
        if not as_json:
            return super().list_table(table)
        super().list_table(table)  # raises when the table does not exist
        objs: list[dict[str, Any]] = []
        for name in self.chain_names():
            objs.append({"chain": {"name": name}})
            objs += [{"rule": {"chain": name, **({"comment": r.comment} if r.comment else {})}}
                     for r in self.rules(name)]
        model = self._model  # type: ignore[attr-defined]
        for name in self.set_names():
            decl = model.sets[name].decl
            kind = "map" if isinstance(decl, Map) else "set"
            objs.append({kind: {"name": name, "flags": list(decl.flags),
                                "elem": list(self.elements(name))}})
        return json.dumps({"nftables": objs})


def items(*docs: dict[str, object]) -> list[tuple[str, str]]:
    return [(f"doc{i}.yaml", text(d)) for i, d in enumerate(docs)]


def test_cache_and_memo_equal_the_loader_and_compile_each_object_once() -> None:
    cache, memo = ManifestCache(), CompileMemo()
    first = compile_snapshot(cache.snapshot(items(*DOCS)), memo)
    assert first == compile_snapshot(load_texts(items(*DOCS)))
    second = compile_snapshot(cache.snapshot(items(*DOCS)), memo)
    assert second.policies[0] is first.policies[0]  # parsed once, so compiled once


def test_cache_keeps_services_and_endpoint_slices_as_the_loader_does() -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db",
                                                                   "namespace": "prod"},
               "spec": {"clusterIP": "10.96.7.7", "ports": [{"port": 80}]}}
    slice_ = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
              "metadata": {"name": "db-1", "namespace": "prod",
                           "labels": {"kubernetes.io/service-name": "db"}},
              "addressType": "IPv4", "endpoints": [{"addresses": ["10.244.1.21"]}],
              "ports": [{"port": 80}]}
    view = items(*DOCS, service, slice_)
    assert compile_snapshot(ManifestCache().snapshot(view)).services == compile_snapshot(
        load_texts(view)).services != ()


def test_cache_rejects_an_invalid_view_unless_told_to_skip_the_object() -> None:
    bad = [*items(*DOCS), ("bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {}\n")]
    with pytest.raises(InvalidManifests):
        ManifestCache().snapshot(bad)
    lenient = ManifestCache(skip_invalid=True)
    snapshot = lenient.snapshot(bad)
    assert len(snapshot.pods) == 2 and lenient.skipped
    assert snapshot.warnings == (
        "bad.yaml:3: metadata.name: is required (object left out)",)


def test_directory_source_sees_create_update_delete_within_a_second(tmp_path: Path) -> None:
    views: list[tuple[list[tuple[str, str]], float]] = []
    source = DirectorySource(tmp_path)
    stop = threading.Event()
    thread = threading.Thread(target=source.run, args=(lambda i, t: views.append((i, t)), stop))
    thread.start()
    try:
        assert source.ready.wait(2)

        def wait_for(check: Any) -> float:
            start = time.monotonic()
            while time.monotonic() - start < 1.0:
                if views and check(views[-1][0]):
                    return time.monotonic() - start
                time.sleep(0.01)
            raise AssertionError(f"not seen within 1s: {views[-1:]}")

        (tmp_path / "sub").mkdir()
        write_atomic(tmp_path / "sub" / "a.yaml", "kind: A\n")
        wait_for(lambda v: [t for _, t in v] == ["kind: A\n"])
        (tmp_path / "sub" / "a.yaml").write_text("kind: B\n")  # in place, same size
        wait_for(lambda v: [t for _, t in v] == ["kind: B\n"])
        (tmp_path / "sub" / "a.yaml").unlink()
        wait_for(lambda v: v == [])
    finally:
        stop.set()
        thread.join(3)


def test_polling_fallback_also_sees_changes(tmp_path: Path) -> None:
    views: list[list[tuple[str, str]]] = []
    source = DirectorySource(tmp_path, use_inotify=False, poll=0.05)
    stop = threading.Event()
    thread = threading.Thread(target=source.run, args=(lambda i, t: views.append(i), stop))
    thread.start()
    try:
        source.ready.wait(2)
        write_atomic(tmp_path / "x.yaml", "a: 1\n")
        deadline = time.monotonic() + 1
        while not (views and views[-1]) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert views[-1] == [(str(tmp_path / "x.yaml"), "a: 1\n")]
    finally:
        stop.set()
        thread.join(3)


def test_reconciler_applies_incrementally_adopts_and_repairs_drift() -> None:
    nft = JsonFake()
    rec = Reconciler(nft, "node-1", StaticInterfaces(IFACES), revoke=False)
    first = rec.reconcile(items(*DOCS), time.monotonic())
    assert first is not None and first.full and rec.ready.is_set()
    changed = [*DOCS[:3], policy("prod", "db-in", {"app": "db"}, [], port=5432)]
    second = rec.reconcile(items(*changed), time.monotonic())
    assert second is not None and not second.full and second.operations > 0
    # a new agent on the same kernel adopts the table without writing
    before = nft.transactions
    again = Reconciler(nft, "node-1", StaticInterfaces(IFACES), revoke=False)
    adopted = again.reconcile(items(*changed), time.monotonic())
    assert adopted is not None and adopted.adopted and nft.transactions == before
    # drift: a chain emptied by hand is noticed and the table rewritten
    assert not again.check_drift()
    from netwarden.dataplane.nft import Transaction

    tx = Transaction(again.desired.table)  # type: ignore[union-attr]
    tx.flush(again.desired.chain("forward"))  # type: ignore[union-attr]
    nft.run(tx)
    assert again.check_drift()
    assert again.metrics.get("netwarden_drift_repairs_total") == 1
    assert not again.check_drift()


def test_invalid_view_keeps_the_enforced_ruleset() -> None:
    nft = JsonFake()
    rec = Reconciler(nft, "node-1", StaticInterfaces(IFACES), revoke=False)
    rec.reconcile(items(*DOCS), time.monotonic())
    before = nft.dump()
    assert rec.reconcile([("bad.yaml", "kind: [")], time.monotonic()) is None
    assert nft.dump() == before
    assert rec.metrics.get("netwarden_source_errors_total") == 1


UNDECLARED_TIER = """\
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: guard}
spec:
  tier: security
  selector: app == 'db'
  ingress: [{action: Deny}]
"""


def test_a_policy_in_an_undeclared_tier_is_logged_and_the_ruleset_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Directory source → reconciler, as the agent runs them; only nft is a fake."""
    write_atomic(tmp_path / "cluster.yaml", text(*DOCS))
    nft = JsonFake()
    rec = Reconciler(nft, "node-1", StaticInterfaces(IFACES), revoke=False)
    source, stop = DirectorySource(tmp_path), threading.Event()
    threads = [threading.Thread(target=source.run, args=(rec.submit, stop)),
               threading.Thread(target=rec.run, args=(stop,))]
    for thread in threads:
        thread.start()
    try:
        assert rec.ready.wait(5)
        before = nft.dump()
        write_atomic(tmp_path / "guard.yaml", UNDECLARED_TIER)
        deadline = time.monotonic() + 5
        while (rec.metrics.get("netwarden_source_errors_total") != 1
               and time.monotonic() < deadline):
            time.sleep(0.02)
        assert rec.metrics.get("netwarden_source_errors_total") == 1
    finally:
        stop.set()
        rec.submit([], time.monotonic())  # wakes the loop, which sees ``stop`` and returns
        for thread in threads:
            thread.join(5)
    assert nft.dump() == before
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert errors == [
        "invalid cluster view, keeping the enforced ruleset: "
        f"{tmp_path / 'guard.yaml'}:5: spec.tier: tier 'security' is not declared; "
        "Calico rejects a policy whose tier does not exist"]


def test_debounce_coalesces_a_burst_into_one_apply() -> None:
    nft = JsonFake()
    results: list[object] = []
    rec = Reconciler(nft, "node-1", StaticInterfaces(IFACES), revoke=False,
                     quiet=0.03, debounce=0.2, on_result=results.append)
    stop = threading.Event()
    thread = threading.Thread(target=rec.run, args=(stop,))
    thread.start()
    try:
        for port in (81, 82, 83, 84, 85):
            rec.submit(items(*DOCS[:3], policy("prod", "db-in", {"app": "db"}, [], port=port)),
                       time.monotonic())
            time.sleep(0.005)
        deadline = time.monotonic() + 2
        while not results and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
    finally:
        stop.set()
        with rec._cond:
            rec._cond.notify_all()
        thread.join(3)
    assert len(results) == 1
    assert "85" in nft.dump() and "84" not in nft.dump()


def test_metrics_exposition_and_health_endpoints() -> None:
    metrics = Metrics()
    metrics.set("netwarden_policies", 3)
    metrics.inc("netwarden_reconciles_total", kind="full")
    metrics.observe("netwarden_reconcile_duration_seconds", 0.02)
    metrics.replace("netwarden_policy_packets_total",
                    {(("policy", 'a"b'), ("verdict", "drop")): 5.0})
    ready = threading.Event()
    server = MetricsServer(metrics, "127.0.0.1:0", ready.is_set).start()
    try:
        base = f"http://{server.address}"
        def get(path: str) -> tuple[int, str]:
            with urllib.request.urlopen(base + path) as resp:
                return resp.status, resp.read().decode()

        body = get("/metrics")[1]
        assert "# TYPE netwarden_policies gauge\nnetwarden_policies 3\n" in body
        assert 'netwarden_reconciles_total{kind="full"} 1' in body
        assert 'netwarden_reconcile_duration_seconds_bucket{le="0.025"} 1' in body
        assert 'netwarden_reconcile_duration_seconds_bucket{le="+Inf"} 1' in body
        assert 'netwarden_policy_packets_total{policy="a\\"b",verdict="drop"} 5' in body
        assert get("/healthz")[0] == 200
        with pytest.raises(urllib.error.HTTPError) as info:
            get("/readyz")
        assert info.value.code == 503
        info.value.close()
        ready.set()
        assert get("/readyz")[0] == 200
    finally:
        server.stop()


def test_shape_ignores_interval_set_element_counts() -> None:
    rec = Reconciler(JsonFake(), "node-1", StaticInterfaces(IFACES), revoke=False)
    rec.reconcile(items(*DOCS), time.monotonic())
    chains, sets = ruleset_shape(rec.desired)  # type: ignore[arg-type]
    assert ("local_ifaces", 2) in sets and any(n == "forward" for n, _ in chains)


def test_interface_resolvers() -> None:
    cluster = compile_snapshot(ManifestCache().snapshot(items(*DOCS)))
    names = CalicoInterfaces().interfaces(cluster, "node-1")
    assert names["prod/web"] == calico_veth_name("prod", "web") and len(names["prod/web"]) == 15
    assert CalicoInterfaces().interfaces(cluster, "node-2") == {}
    assert StaticInterfaces({"prod/web": "x", "gone/pod": "y"}).interfaces(cluster, None) == {
        "prod/web": "x"}


def test_agent_refuses_the_current_namespace_unless_asked() -> None:
    with pytest.raises(LabError):
        _placement(AgentConfig(source="dir:/nonexistent"))
    netns, _, options = _placement(AgentConfig(source="dir:/x", in_current_netns=True))
    assert netns is None and options.pod_interface_prefix == "cali"


def test_json_logs_carry_extra_fields() -> None:
    import logging

    record = logging.LogRecord("netwarden.agent", logging.INFO, "f", 1, "reconciled", None, None)
    record.latency_ms = 3.5
    out = json.loads(JsonFormatter().format(record))
    assert out["msg"] == "reconciled" and out["latency_ms"] == 3.5 and out["level"] == "info"


@pytest.mark.parametrize(("log_drops", "group"), [(None, 101), (12, 12)],
                         ids=["default group", "the --log-drops group"])
def test_the_flow_log_takes_its_group_rate_and_cap_from_the_options(
        tmp_path: Path, log_drops: int | None, group: int) -> None:
    agent = Agent.from_config(AgentConfig(
        source=f"dir:{tmp_path}", in_current_netns=True, metrics_address="",
        log_drops=log_drops, flow_log=str(tmp_path / "flows.jsonl"),
        flow_log_rate=2.0, flow_log_max_bytes=4096))
    log = agent.flow_log
    assert log is not None
    try:
        options = agent.reconciler.options
        assert (options.flow_log_group, options.drop_log_group) == (group, group)
        assert (log.max_bytes, log.rate, log.burst) == (4096, 2.0, 10)  # burst: 5 s of rate
        kept = [log.write(b"{}\n") for _ in range(11)]
        assert kept == [True] * 10 + [False] and log.sampled_out == 1
    finally:
        log.close()
