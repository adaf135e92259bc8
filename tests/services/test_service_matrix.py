"""``matrix --services``: Services (their ready backends) and the pods that back none."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from netwarden.analysis.service_matrix import service_matrix
from netwarden.cli import main
from netwarden.engine import Engine

from .svc_helpers import ADMIN, BACKENDS, ONLY_PORT_80, SVC, cluster

APP = ADMIN + BACKENDS + SVC + ONLY_PORT_80


def test_nodes_are_services_then_pods_that_back_none() -> None:
    data = service_matrix(Engine(cluster(APP)).connectivity)
    assert data["nodes"] == ["staging/svc/backend", "admin/curl"]
    assert data["members"]["staging/svc/backend"] == [
        "staging/backend-1", "staging/backend-2", "staging/backend-3"]


def test_a_cell_to_a_service_counts_source_backend_pairs_on_the_target_port() -> None:
    data = service_matrix(Engine(cluster(APP)).connectivity, "TCP", 80)
    assert data["connections"]["admin/curl"]["staging/svc/backend"] == [
        {"port": "80/TCP (web)", "allowed": "some", "pairs": [2, 3]}]
    assert data["connections"]["staging/svc/backend"]["admin/curl"] == [
        {"port": "TCP 80", "allowed": "all", "pairs": [3, 3]}]


def test_a_service_port_name_selects_the_column_port() -> None:
    data = service_matrix(Engine(cluster(APP)).connectivity, "TCP", "web")
    assert data["connections"]["admin/curl"]["staging/svc/backend"][0]["pairs"] == [2, 3]
    assert data["connections"]["staging/svc/backend"]["admin/curl"] == []


def test_cli_matrix_services_json_and_table(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "app.yaml").write_text(APP)
    assert main(["matrix", str(tmp_path), "--services", "-o", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["connections"]["admin/curl"]["staging/svc/backend"] == [
        {"port": "80/TCP (web)", "allowed": "some", "pairs": [2, 3]}]
    assert main(["matrix", str(tmp_path), "--services", "--port", "80"]) == 0
    lines = capsys.readouterr().out.splitlines()
    # a backend reaches itself (loopback), the others not: some pairs of the Service to itself
    assert lines[2:4] == [" 1 staging/svc/backend  ◐  ● ", " 2 admin/curl           ◐  ● "]


def test_cli_matrix_services_csv_writes_the_allowed_share_per_port(
        tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "app.yaml").write_text(APP)
    assert main(["matrix", str(tmp_path), "--services", "--port", "80", "-o", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "from \\ to,staging/svc/backend,admin/curl",
        "staging/svc/backend,80/TCP (web): some,TCP 80: all",
        "admin/curl,80/TCP (web): some,TCP 80: all",
    ]


def test_cli_matrix_services_md_marks_nothing_allowed_with_a_dot(
        tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "app.yaml").write_text(APP)
    assert main(["matrix", str(tmp_path), "--services", "--port", "web", "-o", "md"]) == 0
    rows = capsys.readouterr().out.splitlines()[2:]
    assert rows == ["| # | from \\ to | 1 | 2 |", "|---|---|---|---|",
                    "| 1 | staging/svc/backend | 80/TCP (web): some | · |",
                    "| 2 | admin/curl | 80/TCP (web): some | · |"]
