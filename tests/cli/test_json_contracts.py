"""The JSON that commands write has the fields the README's JSON contracts name.

Each case runs one command on ``examples/quickstart`` and compares the keys of
one object with the README's list (extra keys that the README does not name fail
too: a field users cannot find documented is a contract nobody can rely on).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from netwarden.cli import main

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart"
Q = str(QUICKSTART)


def data(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    main([*argv, "-o", "json"])
    return json.loads(capsys.readouterr().out)


def test_check_with_a_port(capsys: pytest.CaptureFixture[str]) -> None:
    answer = data(capsys, "check", Q, "--from", "prod/web", "--to", "prod/db", "--port", "5432")
    assert set(answer) == {"allowed", "from", "to", "protocol", "port", "reasons", "egress",
                           "ingress", "address_caveats"}
    assert set(answer["egress"]) == {"endpoint", "allowed", "isolated", "policies",
                                     "decided_by", "trace"}


def test_check_without_a_port(capsys: pytest.CaptureFixture[str]) -> None:
    answer = data(capsys, "check", Q, "--from", "prod/web", "--to", "prod/db")
    assert set(answer) == {"allowed", "from", "to", "protocol", "port", "reasons", "egress",
                           "ingress", "address_caveats", "answer", "allowed_services",
                           "traced_port"}
    assert answer["answer"] == "allowed on TCP 5432 only"
    assert set(answer["ingress"]) == {"endpoint", "allowed", "isolated", "policies",
                                      "decided_by", "trace", "allowed_services", "answer"}


def test_matrix_for_one_port(capsys: pytest.CaptureFixture[str]) -> None:
    assert set(data(capsys, "matrix", Q, "--port", "80")) == {"protocol", "port", "endpoints",
                                                               "allowed"}


def test_matrix_of_every_port(capsys: pytest.CaptureFixture[str]) -> None:
    assert set(data(capsys, "matrix", Q)) == {"endpoints", "connections"}


def test_diff_changes(capsys: pytest.CaptureFixture[str]) -> None:
    diff = data(capsys, "diff", str(QUICKSTART / "cluster.yaml"), Q)
    assert set(diff) == {"summary", "changes"}
    assert {key for change in diff["changes"] for key in change} == {
        "change", "from", "to", "services", "text", "from_members", "to_members",
        "to_services", "policies"}


def test_exposure_lines(capsys: pytest.CaptureFixture[str]) -> None:
    exposure = data(capsys, "exposure", Q, "prod/Deployment/db")
    assert set(exposure) == {"workloads", "notes"}
    workload = exposure["workloads"][0]
    assert set(workload) == {"workload", "namespace", "pods", "ingress", "egress"}
    assert set(workload["ingress"]) == {"isolated", "lines"}
    assert set(workload["ingress"]["lines"][0]) == {
        "kind", "peer", "namespaces", "pods", "addresses", "except", "services", "port_names",
        "ports", "existing", "rules", "via", "caveat"}


def test_validate_of_valid_manifests(capsys: pytest.CaptureFixture[str]) -> None:
    assert set(data(capsys, "validate", Q)) == {"valid", "namespaces", "endpoints", "policies",
                                                "notes", "warnings"}


def test_validate_of_invalid_manifests_lists_every_error_as_data(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # before, -o json printed nothing on stdout for invalid input: a CI job had no JSON to read
    (tmp_path / "np.yaml").write_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: p, namespace: prod}\n"
        "spec:\n  podSelecter: {}\n  ingress: [{ports: [{port: 70000}]}]\n")
    code = main(["validate", str(tmp_path / "np.yaml"), "-o", "json"])
    out, err = capsys.readouterr()
    assert code == 2
    assert json.loads(out) == {"valid": False, "errors": [
        {"file": str(tmp_path / "np.yaml"), "line": 5, "field": "spec.podSelecter",
         "message": "unknown field; did you mean podSelector?"},
        {"file": str(tmp_path / "np.yaml"), "line": 6, "field": "spec.ingress[0].ports[0].port",
         "message": "invalid port 70000: must be between 1 and 65535, inclusive"}]}
    assert err.startswith(f"error: {tmp_path / 'np.yaml'}:5: spec.podSelecter: ")
