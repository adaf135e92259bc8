"""Matrix formats for people: CSV and Markdown parse back, dot runs (HTML: test_report*)."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from typing import Any

import pytest

from netwarden.analysis import render
from netwarden.analysis.external import ExternalConnectivity
from netwarden.analysis.matrix import full_matrix
from netwarden.engine import Connectivity

from .analysis_manifests import base, netpol

POLICY = netpol("db", "prod", {"podSelector": {"matchLabels": {"role": "db"}}, "ingress": [
    {"from": [{"podSelector": {"matchLabels": {"app": "api"}}},
              {"ipBlock": {"cidr": "192.168.5.10/32"}}], "ports": [{"port": 5432}]}]})


def test_csv_parses_back(load: Any) -> None:
    cluster = load(*base(), POLICY)
    conn = Connectivity(cluster)
    data = full_matrix(conn)
    rows = list(csv.reader(io.StringIO(render.matrix(cluster, conn, "csv"))))
    assert rows[0][1:] == data["endpoints"]
    for row in rows[1:]:
        for dst, cell in zip(rows[0][1:], row[1:], strict=True):
            assert cell == render.cell_text(data["connections"][row[0]][dst])
    assert rows[2][1] == "TCP 5432"  # prod/api -> prod/db


def test_port_csv_and_markdown(load: Any) -> None:
    cluster = load(*base(), POLICY)
    conn = Connectivity(cluster)
    rows = list(csv.reader(io.StringIO(render.matrix(cluster, conn, "csv", port=5432))))
    assert {r[0]: r[1] for r in rows[1:]} == {"prod/db": "yes", "prod/api": "yes",
                                              "prod/web": "no", "dev/api": "no"}
    md = render.matrix(cluster, conn, "md", port=5432)
    assert md.count("\n| ") == 5 and "| 3 | prod/web | · |" in md


def test_dot_is_valid_graphviz(load: Any) -> None:
    cluster = load(*base(), POLICY)
    dot = render.matrix(cluster, ExternalConnectivity(cluster), "dot")
    assert 'label="namespace prod"' in dot and 'label="namespace dev"' in dot
    assert 'label="TCP 5432"' in dot and "rank=min" in dot
    if shutil.which("dot") is None:
        pytest.skip("graphviz dot is not installed")
    svg = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True,
                         check=True)
    assert "<svg" in svg.stdout and not svg.stderr
