"""Matrix formats for people: CSV and Markdown parse back, dot runs, HTML renders."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from analysis_manifests import base, netpol

from netwarden.analysis import render
from netwarden.analysis.external import ExternalConnectivity
from netwarden.analysis.matrix import full_matrix
from netwarden.engine import Connectivity

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM = "/usr/bin/chromium"
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
    assert '"prod/api" -> "prod/db" [color="#dd8800", label="TCP 5432"];' in dot
    assert '"192.168.5.10/32" -> "prod/db"' in dot
    if shutil.which("dot") is None:
        pytest.skip("graphviz dot is not installed")
    svg = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True,
                         check=True)
    assert "<svg" in svg.stdout and not svg.stderr


def test_html_renders_in_chromium(load: Any, tmp_path: Path) -> None:
    cluster = load(*base(), POLICY)
    page = render.matrix(cluster, ExternalConnectivity(cluster), "html")
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "<script src" not in page and "<link" not in page
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: cannot render the HTML report headless")
    ARTIFACTS.mkdir(exist_ok=True)
    html_file = ARTIFACTS / "matrix-report.html"
    html_file.write_text(page)
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
             "--window-size=1400,1000"]
    shot = ARTIFACTS / "matrix-report.png"
    subprocess.run([*flags, f"--screenshot={shot}", html_file.as_uri()], capture_output=True,
                   timeout=120, check=False)
    assert shot.exists() and shot.stat().st_size > 10_000
    dom = subprocess.run([*flags, "--dump-dom", html_file.as_uri()], capture_output=True,
                         text=True, timeout=120, check=False).stdout
    edges = set(re.findall(r'class="edge (?:full|part)" data-from="([^"]+)" '
                           r'data-to="([^"]+)" data-services="([^"]+)"', dom))
    assert ("prod/api", "prod/db", "TCP 5432") in edges
    assert ("192.168.5.10/32", "prod/db", "TCP 5432") in edges
    assert not any(d == "prod/db" and s == "dev/api" for s, d, _ in edges)
    assert "Allowed connections" in dom and "prod/db selects" not in dom
    assert "Policies in plain words" in dom and "prod/db (tier default" in dom
