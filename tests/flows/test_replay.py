"""replay: the shop's flows under the current and proposed policies; exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netwarden.analysis.flows import Flow, dump_flow, tally
from netwarden.analysis.replay import Change, ReplayReport, proposed_cluster, replay
from netwarden.cli import main
from netwarden.compile import compile_snapshot
from netwarden.load import load_snapshot, load_texts

from .helpers import SHOP, shop_flows

INGRESS_DENY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
"""
ALLOW_API_TO_DB = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app.kubernetes.io/name: api}}}]
    ports: [{port: 5432}]
"""


def _allowed_flows() -> list[Flow]:
    return [f for f in shop_flows() if f.allowed]


def _replay(*texts: str) -> ReplayReport:
    current = load_snapshot([SHOP])
    proposal = load_texts([(f"new{i}.yaml", t) for i, t in enumerate(texts)])
    return replay(compile_snapshot(current), proposed_cluster(current, proposal),
                  _allowed_flows())


def test_a_flow_a_new_default_deny_would_cut_is_reported() -> None:
    report = _replay(INGRESS_DENY, ALLOW_API_TO_DB)
    assert report.changes == (
        Change("192.0.2.50", "shop/web", "TCP", 8080, True, False, 2),
        Change("shop/web", "shop/api", "TCP", 9090, True, False, 2),
    )
    assert report.unchanged == 5


def test_flows_counted_per_connection_replay_as_the_flows_do() -> None:
    current = load_snapshot([SHOP])
    proposal = load_texts([("new.yaml", INGRESS_DENY)])
    before, after = compile_snapshot(current), proposed_cluster(current, proposal)
    flows = shop_flows() * 3
    assert replay(before, after, tally(flows)) == replay(before, after, flows)
    assert replay(before, after, tally(flows)).flows == 30


def test_a_proposal_that_keeps_every_flow_changes_nothing() -> None:
    report = _replay(ALLOW_API_TO_DB)
    assert (report.changes, report.unchanged) == ((), 9)


def test_a_proposed_policy_replaces_the_current_one_of_the_same_name(tmp_path: Path) -> None:
    (tmp_path / "db.yaml").write_text(ALLOW_API_TO_DB)
    current = load_snapshot([SHOP, tmp_path / "db.yaml"])
    loosened = ALLOW_API_TO_DB.replace("    ports: [{port: 5432}]\n", "")
    after = proposed_cluster(current, load_texts([("db.yaml", loosened)]))
    assert [p.name for p in after.policies] == ["db"]
    assert replay(compile_snapshot(current), after, _allowed_flows()).changes == ()


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    flows = tmp_path / "flows.jsonl"
    flows.write_bytes(b"".join(dump_flow(f) for f in _allowed_flows()))
    new = tmp_path / "new"
    new.mkdir()
    return flows, new


def test_exit_1_when_an_allowed_flow_would_be_denied(
        files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    flows, new = files
    (new / "deny.yaml").write_text(INGRESS_DENY)
    assert main(["replay", str(SHOP), str(new), "--flows", str(flows)]) == 1
    out = capsys.readouterr().out
    assert " shop/web    shop/api     TCP/9090  allowed  denied    2" in out
    assert out.rstrip().endswith("9 flows replayed: 5 would be denied, 0 newly allowed, "
                                 "4 unchanged")


def test_exit_0_when_no_allowed_flow_is_cut(
        files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    flows, new = files
    (new / "db.yaml").write_text(ALLOW_API_TO_DB)
    assert main(["replay", str(SHOP), str(new), "--flows", str(flows), "-o", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["flows"], data["cut"], data["changes"]) == (9, 0, [])


def test_markdown_for_pull_requests(
        files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    flows, new = files
    (new / "deny.yaml").write_text(INGRESS_DENY)
    (new / "db.yaml").write_text(ALLOW_API_TO_DB)
    assert main(["replay", str(SHOP), str(new), "--flows", str(flows), "-o", "md"]) == 1
    assert capsys.readouterr().out == (
        "**replay**: 9 recorded flows, 4 would be denied, 0 newly allowed, 5 unchanged\n\n"
        "| source | destination | port | now | proposed | flows |\n"
        "| --- | --- | --- | --- | --- | --- |\n"
        "| `192.0.2.50` | `shop/web` | TCP/8080 | allowed | **denied** | 2 |\n"
        "| `shop/web` | `shop/api` | TCP/9090 | allowed | **denied** | 2 |\n")


def test_the_suggestion_replays_without_cutting_anything(
        files: tuple[Path, Path], tmp_path: Path) -> None:
    flows, _ = files
    out = tmp_path / "suggested"
    assert main(["suggest", str(SHOP), "--flows", str(flows), "-O", str(out)]) == 0
    assert main(["replay", str(SHOP), str(out), "--flows", str(flows)]) == 0
