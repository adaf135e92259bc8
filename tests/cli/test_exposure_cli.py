"""``netwarden exposure``, ``matrix``/``who-can-reach --exposure`` and ``diff --exposure``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from netwarden.cli import main
from netwarden.cli.exposure import split_subject

NS = """apiVersion: v1
kind: Namespace
metadata: {name: payments}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: payments, labels: {app: db}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.244.1.10}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: payments, labels: {app: api}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.244.1.11}
---
"""
POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: payments}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
  ingress:
  - from: [%s]
    ports: [{port: 5432}]
"""
API_ONLY = NS + POLICY % "{podSelector: {matchLabels: {app: api}}}"
WHOLE_CLUSTER = NS + POLICY % "{namespaceSelector: {}}"
LOAD_BALANCER = """---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: payments}
spec:
  type: LoadBalancer
  selector: {app: db}
  ports: [{port: 5432}]
"""


def run(capsys: Any, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_table_lists_lines_with_existing_workloads_and_rules(capsys: Any,
                                                             tmp_path: Path) -> None:
    code, out = run(capsys, "exposure", _write(tmp_path, "a.yaml", API_ONLY), "payments/db")
    assert code == 0
    assert out.splitlines() == [
        "payments/db",
        "  ingress",
        "    ← pods with app=api in namespace payments : TCP 5432",
        "        existing: payments/api",
        "        by: payments/db ingress[0] from[0] ports[0]",
        "  egress: not isolated",
        "    → entire cluster and outside : all ports",
        "        existing: payments/api",
        "        by: not isolated: no policy selects it for egress",
    ]


def test_json_contract(capsys: Any, tmp_path: Path) -> None:
    path = _write(tmp_path, "a.yaml", WHOLE_CLUSTER)
    code, out = run(capsys, "exposure", path, "payments/db", "-o", "json", "--direction",
                    "ingress")
    assert code == 0
    (workload,) = json.loads(out)["workloads"]
    assert set(workload) == {"workload", "namespace", "pods", "ingress"}
    (line,) = workload["ingress"]["lines"]
    assert line == {"kind": "cluster", "peer": "entire cluster", "namespaces": "all namespaces",
                    "pods": "all pods", "addresses": [], "except": [],
                    "services": [{"protocol": "TCP", "ports": [[5432, 5432]]}],
                    "port_names": [], "ports": "TCP 5432", "existing": ["payments/api"],
                    "rules": ["payments/db ingress[0] from[0] ports[0]"], "via": None,
                    "caveat": None}
    _, text = run(capsys, "exposure", path, "-o", "yaml")
    assert yaml.safe_load(text)["workloads"][0]["workload"] == "payments/api"


def test_markdown_marks_broad_lines(capsys: Any, tmp_path: Path) -> None:
    _, out = run(capsys, "exposure", _write(tmp_path, "a.yaml", WHOLE_CLUSTER), "payments/db",
                 "-o", "md")
    assert "| ingress | **entire cluster** | TCP 5432 | `payments/api` |" in out
    assert out.startswith("## Exposure\n")


def test_a_mistyped_workload_is_an_input_error_with_a_suggestion(capsys: Any,
                                                                  tmp_path: Path) -> None:
    code = main(["exposure", _write(tmp_path, "a.yaml", API_ONLY), "payments/dbb"])
    assert code == 2
    assert "did you mean payments/db?" in capsys.readouterr().err


def test_a_load_balancer_exposes_its_backends_to_outside_addresses(capsys: Any,
                                                                    tmp_path: Path) -> None:
    cluster = NS + POLICY % "{ipBlock: {cidr: 0.0.0.0/0}}" + LOAD_BALANCER
    _, out = run(capsys, "exposure", _write(tmp_path, "a.yaml", cluster), "payments/db",
                 "-o", "json", "--direction", "ingress")
    lines = json.loads(out)["workloads"][0]["ingress"]["lines"]
    via = [line for line in lines if line["via"]]
    assert [(line["peer"], line["ports"]) for line in via] == [
        ("any address outside the cluster through LoadBalancer Service payments/svc/db",
         "TCP 5432")]


def test_a_load_balancer_in_front_of_a_closed_backend_exposes_nothing(
        capsys: Any, tmp_path: Path) -> None:
    _, out = run(capsys, "exposure", _write(tmp_path, "a.yaml", API_ONLY + LOAD_BALANCER),
                 "payments/db", "-o", "json")
    lines = json.loads(out)["workloads"][0]["ingress"]["lines"]
    assert [line["via"] for line in lines] == [None]


def test_matrix_exposure_adds_the_lines(capsys: Any, tmp_path: Path) -> None:
    path = _write(tmp_path, "a.yaml", API_ONLY)
    code, out = run(capsys, "matrix", path, "--exposure")
    assert code == 0 and "← pods with app=api in namespace payments : TCP 5432" in out
    _, out = run(capsys, "matrix", path, "--exposure", "-o", "json")
    assert [w["workload"] for w in json.loads(out)["exposure"]] == ["payments/api",
                                                                    "payments/db"]
    assert main(["matrix", path, "--exposure", "-o", "csv"]) == 2


@pytest.mark.parametrize("question, arrow", [("who-can-reach", "←"), ("reachable-from", "→")])
def test_queries_exposure_show_the_subject_side(capsys: Any, tmp_path: Path, question: str,
                                                arrow: str) -> None:
    path = _write(tmp_path, "a.yaml", API_ONLY)
    code, out = run(capsys, question, path, "payments/db", "--exposure")
    assert code == 0
    expected = ("← pods with app=api in namespace payments : TCP 5432" if arrow == "←"
                else "→ entire cluster and outside : all ports")
    assert expected in out
    _, out = run(capsys, question, path, "payments/db", "--exposure", "-o", "json")
    assert json.loads(out)["exposure"]["isolated"] is (question == "who-can-reach")


def test_diff_exposure_gate(capsys: Any, tmp_path: Path) -> None:
    a = _write(tmp_path, "a.yaml", API_ONLY)
    b = _write(tmp_path, "b.yaml", WHOLE_CLUSTER)
    code, out = run(capsys, "diff", a, b, "--exposure")
    assert code == 1  # no pod gains a connection, but the whole cluster may now reach db
    assert "no connection gained or lost" in out
    assert "+ gained payments/db ← entire cluster : TCP 5432" in out
    assert "lost" not in out.split("exposure:")[1]  # the api line is covered, not lost
    code, out = run(capsys, "diff", b, a, "--exposure", "-o", "json")
    assert code == 0
    data = json.loads(out)["exposure"]
    assert data["gained"] == []
    assert [(c["workload"], c["peer"], c["ports"]) for c in data["lost"]] == [
        ("payments/db", "entire cluster", "TCP 5432")]
    code, out = run(capsys, "diff", a, b, "--exposure", "-o", "md")
    assert "| **+ gained** | `payments/db` | ingress | entire cluster | TCP 5432 |" in out
    code, _ = run(capsys, "diff", a, a, "--exposure")
    assert code == 0


def test_the_last_positional_is_a_workload_only_when_it_is_no_path(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.yaml", API_ONLY)
    assert split_subject([path]) is None
    paths = [path, "payments/db"]
    assert split_subject(paths) == "payments/db" and paths == [path]
    assert split_subject([path, path]) is None
    assert split_subject(["payments/db"], live=True) == "payments/db"


SHOP = """apiVersion: v1
kind: Pod
metadata: {name: controller, namespace: edge, labels: {app: proxy}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.244.9.1}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: x, ports: [{containerPort: 8080, name: http}]}]}
status: {podIP: 10.244.1.1}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: http}]}
"""
INGRESS = """---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: shop}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
"""


def test_diff_exposure_gains_the_line_an_ingress_adds(capsys: Any, tmp_path: Path) -> None:
    a = _write(tmp_path, "a.yaml", SHOP)
    b = _write(tmp_path, "b.yaml", SHOP + INGRESS)
    code, out = run(capsys, "diff", a, b, "--exposure", "--ingress-controller", "edge/app=proxy")
    assert code == 1
    assert ("+ gained shop/web ← any address outside the cluster through Ingress "
            "shop/ingress/shop via edge/controller : TCP 8080") in out
    code, out = run(capsys, "diff", a, b, "--exposure", "-o", "json")
    (change,) = json.loads(out)["exposure"]["gained"]
    assert change["via"] == "shop/ingress/shop"
    assert change["caveat"].startswith("holds if the Ingress controller's own egress policies "
                                       "let it connect")


def test_exposure_names_the_controller_rule_it_used(capsys: Any, tmp_path: Path) -> None:
    path = _write(tmp_path, "a.yaml", SHOP + INGRESS)
    code, out = run(capsys, "exposure", path, "shop/web", "--direction", "ingress",
                    "--ingress-controller", "edge")
    assert code == 0
    assert out.splitlines()[-1] == ("note: Ingress controller pods, by --ingress-controller: "
                                    "pods in namespace edge; found: edge/controller")


def test_a_bad_ingress_controller_is_a_usage_error(capsys: Any, tmp_path: Path) -> None:
    path = _write(tmp_path, "a.yaml", SHOP)
    with pytest.raises(SystemExit) as info:
        main(["exposure", path, "--ingress-controller", "Edge/app=proxy"])
    assert info.value.code == 2
    assert ("argument --ingress-controller: 'Edge/app=proxy': invalid namespace \"Edge\": "
            "must consist of lowercase alphanumerics or '-', and start and end with an "
            "alphanumeric") in capsys.readouterr().err


QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart"


def test_a_workload_is_named_by_its_endpoint_key_as_check_names_it(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["exposure", str(QUICKSTART), "prod/Deployment/db", "-o", "json"]) == 0
    [db] = json.loads(capsys.readouterr().out)["workloads"]
    assert (db["workload"], db["pods"]) == ("prod/db", ["prod/db"])
    existing = {name for line in db["ingress"]["lines"] for name in line["existing"]}
    assert existing == {"prod/web"}


def _service(spec: str, status: str = "") -> str:
    return ("---\napiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: payments}\n"
            f"spec:\n  selector: {{app: db}}\n{spec}" + (f"status: {status}\n" if status else ""))


def _via_lines(capsys: Any, tmp_path: Path, policy_peer: str, service: str
               ) -> list[tuple[str, str]]:
    path = _write(tmp_path, "a.yaml", NS + POLICY % policy_peer + service)
    _, out = run(capsys, "exposure", path, "payments/db", "-o", "json", "--direction", "ingress")
    lines = json.loads(out)["workloads"][0]["ingress"]["lines"]
    return [(line["peer"], line["ports"]) for line in lines if line["via"]]


ANY = "{ipBlock: {cidr: 0.0.0.0/0}}"
CLIENTS = "{ipBlock: {cidr: 203.0.113.0/24}}"


def test_a_node_port_exposes_its_backends_to_outside_addresses(capsys: Any,
                                                                tmp_path: Path) -> None:
    service = _service("  type: NodePort\n  ports: [{port: 5432, nodePort: 30432}]\n")
    assert _via_lines(capsys, tmp_path, ANY, service) == [
        ("any address outside the cluster through NodePort Service payments/svc/db",
         "TCP 5432")]


def test_an_external_ip_exposes_the_backends_of_a_cluster_ip_service(capsys: Any,
                                                                      tmp_path: Path) -> None:
    service = _service("  externalIPs: [192.0.2.10]\n  ports: [{port: 5432}]\n")
    assert _via_lines(capsys, tmp_path, ANY, service) == [
        ("any address outside the cluster through ClusterIP Service payments/svc/db",
         "TCP 5432")]


def test_with_local_traffic_policy_the_clients_own_range_is_what_policy_admits(
        capsys: Any, tmp_path: Path) -> None:
    service = _service("  type: LoadBalancer\n  externalTrafficPolicy: Local\n"
                       "  ports: [{port: 5432}]\n")
    assert _via_lines(capsys, tmp_path, CLIENTS, service) == [
        ("203.0.113.0/24 through LoadBalancer Service payments/svc/db", "TCP 5432")]


def test_with_cluster_traffic_policy_a_client_range_in_policy_admits_nobody_from_outside(
        capsys: Any, tmp_path: Path) -> None:
    """The entry node masquerades the client: the backend sees the node, not 203.0.113.x."""
    service = _service("  type: LoadBalancer\n  ports: [{port: 5432}]\n")
    assert _via_lines(capsys, tmp_path, CLIENTS, service) == []


def test_load_balancer_source_ranges_limit_the_clients_of_the_load_balancer_address(
        capsys: Any, tmp_path: Path) -> None:
    service = _service("  type: LoadBalancer\n  allocateLoadBalancerNodePorts: false\n"
                       "  loadBalancerSourceRanges: [198.51.100.0/24]\n  ports: [{port: 5432}]\n",
                       "{loadBalancer: {ingress: [{ip: 192.0.2.80}]}}")
    assert _via_lines(capsys, tmp_path, ANY, service) == [
        ("198.51.100.0/24 through LoadBalancer Service payments/svc/db", "TCP 5432")]


def test_source_ranges_do_not_close_the_node_port_of_a_load_balancer(
        capsys: Any, tmp_path: Path) -> None:
    """kube-proxy applies loadBalancerSourceRanges to the load balancer's address only (its
    NodePort stays open: kubernetes/kubernetes#33586, closed without a change)."""
    service = _service("  type: LoadBalancer\n  loadBalancerSourceRanges: [198.51.100.0/24]\n"
                       "  ports: [{port: 5432}]\n")
    assert _via_lines(capsys, tmp_path, ANY, service) == [
        ("any address outside the cluster through LoadBalancer Service payments/svc/db",
         "TCP 5432")]
