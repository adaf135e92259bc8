"""The CLI contract of validate, check, matrix and explain: shapes and exit codes."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from netwarden.cli import main

CLUSTER = """\
apiVersion: v1
kind: Namespace
metadata: {name: prod, labels: {name: prod}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
status: {podIP: 10.244.1.2}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {role: db}}
spec: {containers: [{name: pg, ports: [{containerPort: 5432, name: postgres}]}]}
status: {podIP: 10.244.1.3}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: prod}
spec:
  podSelector: {matchLabels: {role: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: postgres}]
"""

INVALID = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad, namespace: prod}
spec:
  podSelector: {}
  egress:
  - to: [{ipBlock: {cidr: 192.168.5.10/32}}]
    ports: 80
"""


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    (tmp_path / "cluster.yaml").write_text(CLUSTER)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_accepts_valid_manifests(manifests: Path, capsys) -> None:
    code, out, _ = run(capsys, "validate", str(manifests))
    assert code == 0
    assert "valid" in out


def test_validate_rejects_with_file_line_and_field(tmp_path: Path, capsys) -> None:
    (tmp_path / "bad.yaml").write_text(INVALID)
    code, _, err = run(capsys, "validate", str(tmp_path))
    assert code == 2
    assert f"{tmp_path / 'bad.yaml'}:8: spec.egress[0].ports: must be a list" in err


def test_check_allowed_exits_0_with_the_json_contract(manifests: Path, capsys) -> None:
    code, out, _ = run(capsys, "check", str(manifests), "--from", "prod/web", "--to", "prod/db",
                       "--port", "5432", "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert {k: data[k] for k in ("allowed", "from", "to", "protocol", "port")} == {
        "allowed": True, "from": "prod/web", "to": "prod/db", "protocol": "TCP", "port": 5432}
    assert any("prod/db-from-web ingress[0]" in r for r in data["reasons"])


def test_check_denied_exits_1_and_names_the_isolating_policy(manifests: Path, capsys) -> None:
    code, out, _ = run(capsys, "check", str(manifests), "--from", "prod/db", "--to", "prod/db",
                       "--port", "5432")
    assert code == 0  # a pod may always talk to itself
    code, out, _ = run(capsys, "check", str(manifests), "--from", "prod/web", "--to", "prod/db",
                       "--port", "80")
    assert code == 1
    assert "DENIED" in out and "isolated for ingress by prod/db-from-web" in out


def test_check_from_an_outside_address_applies_only_the_pod_side(manifests: Path, capsys) -> None:
    code, out, _ = run(capsys, "check", str(manifests), "--from", "192.168.5.10",
                       "--to", "prod/db", "--port", "5432", "--format", "json")
    assert code == 1
    assert any("outside the cluster" in r for r in json.loads(out)["reasons"])


def test_check_without_port_lists_the_allowed_services(manifests: Path, capsys) -> None:
    code, out, _ = run(capsys, "check", str(manifests), "--from", "prod/web", "--to", "prod/db",
                       "--format", "json")
    assert code == 0
    assert json.loads(out)["allowed_services"] == [{"protocol": "TCP", "ports": [[5432, 5432]]}]


def test_check_unknown_pod_is_invalid_input(manifests: Path, capsys) -> None:
    code, _, err = run(capsys, "check", str(manifests), "--from", "prod/nope", "--to", "prod/db")
    assert code == 2
    assert "no pod or endpoint named 'prod/nope'" in err


def test_matrix_single_port_json_contract(manifests: Path, capsys) -> None:
    code, out, _ = run(capsys, "matrix", str(manifests), "--port", "5432", "--format", "json")
    assert code == 0
    assert json.loads(out) == {
        "protocol": "TCP", "port": 5432, "endpoints": ["prod/web", "prod/db"],
        "allowed": {"prod/web": {"prod/web": True, "prod/db": True},
                    "prod/db": {"prod/web": True, "prod/db": True}},
    }


def test_matrix_full_json_contract(manifests: Path, capsys) -> None:
    code, out, _ = run(capsys, "matrix", str(manifests), "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert data["endpoints"] == ["prod/web", "prod/db"]
    assert data["connections"]["prod/web"]["prod/db"] == [
        {"protocol": "TCP", "ports": [[5432, 5432]]}]
    assert data["connections"]["prod/db"]["prod/web"] == "all"


def test_matrix_grouped_json_contract(manifests: Path, capsys) -> None:
    code, out, _ = run(capsys, "matrix", str(manifests), "--port", "80", "--format", "json",
                       "--grouped")
    data = json.loads(out)
    assert code == 0
    assert sorted(m for ms in data["groups"].values() for m in ms) == ["prod/db", "prod/web"]
    web = next(g for g, ms in data["groups"].items() if ms == ["prod/web"])
    db = next(g for g, ms in data["groups"].items() if ms == ["prod/db"])
    assert data["allowed"][web][db] is False and data["allowed"][db][web] is True


def test_matrix_table_shows_a_legend_for_partial_connectivity(manifests: Path, capsys) -> None:
    code, out, _ = run(capsys, "matrix", str(manifests))
    assert code == 0
    assert "= TCP 5432" in out


def test_explain_states_isolation_in_plain_words(manifests: Path, capsys) -> None:
    code, out, _ = run(capsys, "explain", str(manifests))
    assert code == 0
    assert 'prod/db-from-web selects pods where role == "db"' in out
    assert "port named postgres" in out


def test_stdin_is_read_with_a_dash(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(CLUSTER))
    code, out, _ = run(capsys, "matrix", "-", "--port", "5432", "--format", "json")
    assert code == 0
    assert json.loads(out)["allowed"]["prod/web"]["prod/db"] is True


def test_no_command_prints_help_and_exits_2(capsys) -> None:
    code, out, _ = run(capsys)
    assert code == 2 and "check" in out


def test_a_30_pod_table_fits_a_120_column_terminal(tmp_path: Path, monkeypatch, capsys) -> None:
    docs = [f"""\
apiVersion: v1
kind: Pod
metadata: {{name: frontend-{i}-7d9f8c6b5-x{i:02d}, namespace: team-{i % 3}, labels: {{app: a{i}}}}}
""" for i in range(30)]
    docs.append("""\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: team-0}
spec: {podSelector: {}}
""")
    (tmp_path / "c.yaml").write_text("---\n".join(docs))
    monkeypatch.setenv("COLUMNS", "120")
    for extra in ((), ("--port", "80")):
        code, out, _ = run(capsys, "matrix", str(tmp_path), *extra)
        assert code == 0
        assert max(len(line) for line in out.splitlines()) <= 120
        assert "7d9f8c6b5-x29" in out  # not grouped, and the distinguishing suffix is kept


def test_matrix_external_adds_the_ranges_policies_name(tmp_path: Path, capsys) -> None:
    (tmp_path / "c.yaml").write_text(CLUSTER + """\
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-backup, namespace: prod}
spec:
  podSelector: {matchLabels: {role: db}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 192.168.5.0/24, except: [192.168.5.128/25]}}]
    ports: [{port: 80}]
""")
    code, out, _ = run(capsys, "matrix", str(tmp_path), "--external", "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert data["endpoints"][2:] == ["192.168.5.0/25", "192.168.5.128/25", "any other address"]
    assert data["connections"]["prod/db"]["192.168.5.0/25"] == [
        {"protocol": "TCP", "ports": [[80, 80]]}]
    assert data["connections"]["prod/db"]["192.168.5.128/25"] == []
    assert data["connections"]["prod/db"]["any other address"] == []


def test_an_unreadable_live_cluster_is_reported_not_a_traceback(tmp_path: Path, capsys) -> None:
    (tmp_path / "kubeconfig").write_text("""\
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
users: [{name: u, user: {token: t}}]
""")
    code, _, err = run(capsys, "matrix", "--kubeconfig", str(tmp_path / "kubeconfig"))
    assert code == 3
    assert f"cannot read the cluster at {tmp_path / 'kubeconfig'}" in err
