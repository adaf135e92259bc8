"""``check`` through a Service on the command line: names, ports, exit codes, JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from netwarden.cli import main

from .svc_helpers import pod, service

APP = ("apiVersion: v1\nkind: Namespace\nmetadata: {name: admin, labels: {role: admin}}\n---\n"
       + pod("curl", ns="admin", labels="{app: curl}")
       + pod("backend-1", ports="[{name: http, containerPort: 80}]")
       + pod("backend-2", ports="[{name: http, containerPort: 8080}]")
       + service("backend", "selector: {role: backend}\n"
                            "ports: [{name: http, port: 80, targetPort: http}]")
       + """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: backend, namespace: staging}
spec:
  podSelector: {matchLabels: {role: backend}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {role: admin}}}]
    ports: [{port: 80}]
""")


@pytest.fixture
def app(tmp_path: Path) -> str:
    (tmp_path / "app.yaml").write_text(APP)
    return str(tmp_path)


def _run(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_check_through_a_service_answers_per_backend_and_exits_1_when_one_is_denied(
        capsys: Any, app: str) -> None:
    code, out, _ = _run(capsys, "check", app, "--from", "admin/curl",
                        "--to", "backend.staging.svc.cluster.local", "--port", "http")
    assert code == 1
    assert out.splitlines()[:2] == [
        "DENIED  admin/curl → staging/svc/backend port 80/TCP (http) via 10.96.1.0:80/TCP",
        "  allowed to 1 of 2 backends; denied to staging/backend-2 on port 8080: "
        "staging/backend-2 is isolated for ingress by staging/backend and no "
        "rule there allows TCP/8080"]


def test_check_through_a_service_json(capsys: Any, app: str) -> None:
    code, out, _ = _run(capsys, "check", app, "--from", "admin/curl", "--to",
                        "staging/svc/backend", "--port", "80", "-o", "json")
    data = json.loads(out)
    assert code == 1 and data["allowed"] is False and data["to"] == "staging/svc/backend"
    (port,) = data["ports"]
    assert (port["allowed_backends"], port["total_backends"]) == (1, 2)
    assert [(b["backend"], b["port"], b["allowed"]) for b in port["backends"]] == [
        ("staging/backend-1", 80, True), ("staging/backend-2", 8080, False)]


def test_a_bare_name_with_namespace_is_the_service(capsys: Any, app: str) -> None:
    code, out, _ = _run(capsys, "check", app, "--from", "admin/curl", "-n", "staging",
                        "--to", "backend", "--port", "80")
    assert code == 1 and out.startswith("DENIED  admin/curl → staging/svc/backend")


def test_the_cluster_ip_is_the_service(capsys: Any, app: str) -> None:
    code, out, _ = _run(capsys, "check", app, "--from", "admin/curl", "--to", "10.96.1.0",
                        "--port", "80")
    assert code == 1
    assert out.startswith("DENIED  admin/curl → staging/svc/backend port 80/TCP (http)")


def test_another_cluster_domain_is_a_flag(capsys: Any, app: str) -> None:
    code, _, err = _run(capsys, "check", app, "--from", "admin/curl",
                        "--to", "backend.staging.svc.corp.local", "--port", "80")
    assert code == 2
    assert "'backend.staging.svc.corp.local' is not in the cluster domain 'cluster.local'" in err
    code, out, _ = _run(capsys, "check", app, "--from", "admin/curl", "--cluster-domain",
                        "corp.local", "--to", "backend.staging.svc.corp.local", "--port", "80")
    assert code == 1 and "staging/svc/backend" in out


def test_a_misspelt_service_suggests_the_closest(capsys: Any, app: str) -> None:
    code, _, err = _run(capsys, "check", app, "--from", "admin/curl",
                        "--to", "bakend.staging.svc", "--port", "80")
    assert code == 2
    assert "no Service named 'bakend' in namespace 'staging'; did you mean staging/svc/backend?" \
        in err


def test_a_port_name_for_a_pod_is_its_container_port(capsys: Any, app: str) -> None:
    code, out, _ = _run(capsys, "check", app, "--from", "admin/curl",
                        "--to", "staging/backend-2", "--port", "http")
    assert code == 1  # only port 80 is allowed, and backend-2 names 8080 http
    assert "TCP/8080" in out
    assert "port http = TCP 8080: staging/backend-2's container port of that name" in out


def test_a_port_name_the_pod_does_not_declare_is_an_error(capsys: Any, app: str) -> None:
    code, _, err = _run(capsys, "check", app, "--from", "admin/curl",
                        "--to", "staging/backend-1", "--port", "grpc")
    assert code == 2
    assert ("--port grpc: staging/backend-1 declares no TCP port of that name (its named "
            "ports: http 80/TCP); a port name is the destination pod's container port or a "
            "Service port's name") in err
