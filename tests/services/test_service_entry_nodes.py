"""From outside, a client enters by one node: the answer is per entry node.

Two nodes (kind's numbering: node-1 is 172.18.0.2, node-2 172.18.0.3); the
only backend runs on node-2 and admits node-2's address alone. With
``externalTrafficPolicy: Cluster`` the entry node masquerades the client, so
entering by node-1 the backend sees 172.18.0.2 (denied), by node-2 it sees
172.18.0.3 (allowed). With ``Local`` the backend sees the client, and only
node-2, which has the backend, takes the connection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from netwarden.cli import main
from netwarden.engine import Engine
from netwarden.engine.services import ServiceVerdict, check_service

from .svc_helpers import cluster, pod, service

NODES = (pod("web", ns="default", labels="{app: web}",
             ports="[{name: http, containerPort: 8080}]").replace(
                 "spec:\n", "spec:\n  nodeName: node-2\n")
         + pod("other", ns="default", labels="{app: other}").replace(
             "spec:\n", "spec:\n  nodeName: node-1\n")
         + """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: default}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{ipBlock: {cidr: 172.18.0.3/32}}, {ipBlock: {cidr: 203.0.113.0/24}}]
---
""")


def node_port(policy: str) -> str:
    return NODES + service("web", f"type: NodePort\nexternalTrafficPolicy: {policy}\n"
                                  "selector: {app: web}\n"
                                  "ports: [{port: 80, targetPort: http, nodePort: 30080}]",
                           ns="default")


def load_balancer(policy: str) -> str:
    return NODES + service(
        "web", f"type: LoadBalancer\nexternalTrafficPolicy: {policy}\n"
        "selector: {app: web}\nports: [{port: 80, targetPort: http}]", ns="default",
        status="{loadBalancer: {ingress: [{ip: 198.51.100.10}]}}")


def _check(text: str, port: int = 30080, via_node: str | None = None) -> ServiceVerdict:
    engine = Engine(cluster(text))
    (answer,) = check_service(engine, "203.0.113.7", engine.cluster.service("default", "web"),
                              port, via_node=via_node)
    return answer


def test_with_cluster_policy_the_backend_sees_the_entry_nodes_address() -> None:
    answer = _check(node_port("Cluster"))
    assert [(e.node, e.address, [b.seen_source for b in e.backends]) for e in answer.entries] \
        == [("node-1", "172.18.0.2", ["172.18.0.2 (node node-1)"]),
            ("node-2", "172.18.0.3", ["172.18.0.3 (node node-2)"])]


def test_with_cluster_policy_only_the_node_the_policy_names_is_allowed() -> None:
    answer = _check(node_port("Cluster"))
    assert [(e.node, e.allowed) for e in answer.entries] == [("node-1", False),
                                                             ("node-2", True)]
    assert not answer.allowed
    assert answer.summary.startswith("allowed via node-2 only; via node-1 (172.18.0.2): "
                                     "denied to every backend; denied to default/web")


def test_via_node_pins_the_entry_node() -> None:
    answer = _check(node_port("Cluster"), via_node="node-2")
    assert [e.node for e in answer.entries] == ["node-2"] and answer.allowed
    assert answer.summary == "via node-2 (172.18.0.3): allowed to the 1 backend"


def test_with_local_policy_a_node_without_a_backend_takes_nothing() -> None:
    answer = _check(node_port("Local"))
    assert [(e.node, e.summary) for e in answer.entries] == [
        ("node-1", "node-1 has no ready backend (externalTrafficPolicy: Local): the "
                   "connection fails"),
        ("node-2", "allowed to the 1 backend")]
    assert answer.backends[0].seen_source == "203.0.113.7" and answer.allowed


def test_a_load_balancer_with_cluster_policy_sends_to_every_node() -> None:
    answer = _check(load_balancer("Cluster"), port=80)
    assert [e.node for e in answer.entries] == ["node-1", "node-2"]
    assert answer.summary.startswith("allowed via node-2 only")


def test_a_load_balancer_with_local_policy_sends_only_to_nodes_with_a_backend() -> None:
    answer = _check(load_balancer("Local"), port=80)
    assert [e.node for e in answer.entries] == ["node-2"]
    assert "the load balancer sends to nodes with a ready backend only (not to node-1)" \
        in answer.notes


def test_every_entry_node_in_json() -> None:
    data = _check(node_port("Cluster")).to_json()
    assert [(v["node"], v["address"], v["allowed"]) for v in data["via_nodes"]] == [
        ("node-1", "172.18.0.2", False), ("node-2", "172.18.0.3", True)]
    assert [b["via_node"] for b in data["backends"]] == ["node-1", "node-2"]


@pytest.mark.parametrize(("src", "node", "message"), [
    ("203.0.113.7", "node-9", "--via-node node-9: no such node (the cluster's nodes: node-1, "
                            "node-2)"),
    ("default/other", "node-1", "--via-node node-1: default/other is inside the cluster; "
                                "only a client outside it enters by a node"),
], ids=["unknown-node", "pod-client"])
def test_via_node_refusals(src: str, node: str, message: str) -> None:
    engine = Engine(cluster(node_port("Cluster")))
    with pytest.raises(ValueError) as caught:
        check_service(engine, src, engine.cluster.service("default", "web"), 30080,
                      via_node=node)
    assert str(caught.value) == message


# -- check --via-node on the command line -----------------------------------------------
@pytest.fixture
def app(tmp_path: Path) -> str:
    (tmp_path / "app.yaml").write_text(node_port("Cluster"))
    return str(tmp_path)


def _run(capsys: Any, app: str, *argv: str) -> tuple[int, str, str]:
    code = main(["check", app, "--from", "203.0.113.7", "--port", "30080", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_check_answers_per_entry_node_and_exits_1_when_one_denies(capsys: Any, app: str
                                                                  ) -> None:
    code, out, _ = _run(capsys, app, "--to", "default/svc/web")
    assert code == 1
    assert [line for line in out.splitlines() if line.startswith("  via ")] == [
        "  via node-1 (172.18.0.2): DENIED", "  via node-2 (172.18.0.3): allowed"]


@pytest.mark.parametrize("argv", [("--to", "default/svc/web", "--via-node", "node-2"),
                                  ("--to", "172.18.0.3")], ids=["via-node", "node-address"])
def test_check_entering_by_node_2_is_allowed(capsys: Any, app: str, argv: tuple[str, ...]
                                             ) -> None:
    code, out, _ = _run(capsys, app, *argv)
    assert code == 0
    assert out.splitlines()[1] == "  via node-2 (172.18.0.3): allowed to the 1 backend"


@pytest.mark.parametrize(("argv", "message"), [
    (("--to", "default/svc/web", "--via-node", "node-9"),
     "error: --via-node node-9: no such node (the cluster's nodes: node-1, node-2)"),
    (("--to", "default/web", "--via-node", "node-1"),
     "error: --via-node node-1: default/web is not a Service; only a Service is entered by "
     "a node"),
], ids=["unknown-node", "not-a-service"])
def test_check_via_node_refusals(capsys: Any, app: str, argv: tuple[str, ...],
                                 message: str) -> None:
    code, _, err = _run(capsys, app, *argv)
    assert code == 2 and err.strip() == message
