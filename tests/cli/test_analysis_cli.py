"""The lint, diff, who-can-reach and reachable-from commands end to end."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from netwarden.cli import main

AKS = ["examples/seed-aks/cluster.yaml", "examples/seed-aks/variants"]
PROD_DEV = "examples/seed-prod-dev/"


def run(capsys: Any, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_lint_structured_output_and_exit_code(capsys: Any, fmt: str) -> None:
    code, out = run(capsys, "lint", *AKS, "--format", fmt)
    data = json.loads(out) if fmt == "json" else yaml.safe_load(out)
    assert code == 1  # the dash mistake is an error
    first = data[0]
    assert first["id"] == "NW001" and first["severity"] == "error"
    assert first["location"].endswith("dbpod-policy-dash-or.yaml:17")
    assert {"why", "fix", "message", "name"} <= first.keys()


def test_lint_csv_md_and_table(capsys: Any) -> None:
    _, out = run(capsys, "lint", *AKS, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["id"] == "NW001" and rows[0]["severity"] == "error"
    _, out = run(capsys, "lint", *AKS, "--format", "md")
    assert out.startswith("| severity |") and "NW001" in out
    _, out = run(capsys, "lint", *AKS)
    assert "NW001" in out and "fix:" in out


def test_lint_clean_input_exits_zero(capsys: Any) -> None:
    code, _ = run(capsys, "lint", PROD_DEV + "cluster.yaml", "--min-severity", "error")
    assert code == 0


def test_diff_exit_codes_and_formats(capsys: Any, tmp_path: Path) -> None:
    a = [PROD_DEV + "cluster.yaml", PROD_DEV + "policies/07-default-deny-all.yaml"]
    b = [*a, PROD_DEV + "policies/08-allow-from-dev-namespace.yaml"]
    code, out = run(capsys, "diff", "--a", *a, "--b", *b, "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert [(c["change"], c["from"], c["to"], c["services"]) for c in data["changes"]] == [
        ("gained", "dev/*", "prod/*", "all")]
    code, out = run(capsys, "diff", "--a", *b, "--b", *a, "--format", "md")
    assert code == 0 and "➖ lost" in out
    code, out = run(capsys, "diff", "--a", *b, "--b", *a, "--format", "csv")
    assert next(csv.DictReader(io.StringIO(out)))["change"] == "lost"
    code, out = run(capsys, "diff", "--a", *a, "--b", *b)
    assert "gained" in out


def test_queries(capsys: Any) -> None:
    paths = ["examples/seed-db-api/cluster.yaml",
             "examples/seed-db-api/policies/06-ip-block-backup-server.yaml"]
    code, out = run(capsys, "who-can-reach", *paths, "prod/db", "--port", "3306",
                    "--format", "json")
    assert code == 0
    assert [p["peer"] for p in json.loads(out)["peers"]] == ["prod/api", "192.168.5.10/32"]
    code, out = run(capsys, "reachable-from", *paths, "dev/api", "--format", "yaml")
    assert "prod/db" not in [p["peer"] for p in yaml.safe_load(out)["peers"]]
    code, out = run(capsys, "who-can-reach", *paths, "prod/db")
    assert "prod/api" in out


@pytest.mark.parametrize("command", ["lint", "diff", "who-can-reach", "reachable-from"])
def test_help_has_an_example(capsys: Any, command: str) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert "Example:" in capsys.readouterr().out
