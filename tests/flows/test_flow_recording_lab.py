"""Flow recording in the lab with real packets, and the way from traffic to policy.

A three-tier application (web → api through its Service, api → db) runs without
policies; the recorder ``lab up`` started (``lab.recorder``) writes flows that
name both ends, the Service the client addressed (allowed or denied) and the
verdict, judged under the policies ``lab apply`` put in force; ``lab down``
stops it and removes its log. ``suggest`` turns the flows into policies, which
a new lab enforces: the same traffic still gets through and a connection
nobody made while recording is refused.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from netwarden.analysis.flows import Flow, FlowService, FlowVerdict, iter_flows
from netwarden.analysis.suggest import suggest
from netwarden.cli import main
from netwarden.lab import Lab
from netwarden.lab.flows import flow_log_path, recorded, recorder_status, status_path
from netwarden.lab.manifests import current_cluster
from netwarden.lab.recorder import running

from ..lab_fixtures import ENFORCER, lab_up

pytestmark = pytest.mark.lab

APP = """
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 80, name: http}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api-0, namespace: shop, labels: {app: api}}
spec: {containers: [{name: c, image: api, ports: [{containerPort: 8080, name: http}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db-0, namespace: shop, labels: {app: db}}
spec: {containers: [{name: c, image: postgres, ports: [{containerPort: 5432, name: pg}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec: {selector: {app: api}, ports: [{name: http, port: 80, targetPort: http}]}
"""

DB_FROM_API = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: 5432}]
"""

API_URL = "http://api.shop.svc.cluster.local/"


def curl(lab: Lab, key: str, url: str) -> str:
    """The body ``url`` answers from ``key`` (an allowed connection is tried twice)."""
    for _ in range(2):
        done = lab.exec(key, ["curl", "-s", "-m", "5", url], timeout=30)
        if done.returncode == 0:
            return done.stdout.strip()
    return ""


def tcp(lab: Lab, key: str, ip: str, port: int, tries: int = 1) -> bool:
    """Whether a TCP connection from ``key`` to ``ip:port`` gets the lab's greeting."""
    for _ in range(tries):
        done = lab.exec(key, ["sh", "-c", f"echo x | nc -w 3 {ip} {port}"], timeout=30)
        if done.stdout.startswith("nw "):
            return True
    return False


def ip_of(lab: Lab, key: str) -> str:
    endpoint = current_cluster(lab.id).endpoint(key)
    assert endpoint is not None
    return str(endpoint.ips[0])


def flows_of(lab: Lab, src: str, dst: str, count: int = 1,
             timeout: float = 15.0) -> list[Flow]:
    """The recorded flows from ``src`` to ``dst``, once there are ``count`` (or at ``timeout``:
    the recorder writes a record within a poll interval of the packet)."""
    deadline = time.monotonic() + timeout
    while True:
        flows = _between(list(iter_flows(recorded(lab.id), "recorded")), src, dst)
        if len(flows) >= count or time.monotonic() > deadline:
            return flows
        time.sleep(0.2)


def app_traffic(lab: Lab) -> tuple[str, bool]:
    """web → api by its Service name, api → db: what each got."""
    return curl(lab, "shop/web-0", API_URL), tcp(lab, "shop/api-0", ip_of(lab, "shop/db-0"),
                                                  5432, tries=2)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("flows") / "app.yaml"
    path.write_text(APP)
    return path


@pytest.fixture(scope="module")
def traffic(app: Path) -> Iterator[tuple[Lab, list[Flow]]]:
    with lab_up([app]) as lab:
        assert app_traffic(lab) == ("nw shop/api-0", True)
        flows_of(lab, "shop/api-0", "shop/db-0")
        flows_of(lab, "shop/web-0", "shop/api-0")
        yield lab, list(iter_flows(recorded(lab.id), "recorded"))


def _between(flows: list[Flow], src: str, dst: str) -> list[Flow]:
    return [f for f in flows if f.source.key == src and f.destination.key == dst]


def test_a_connection_through_a_service_is_recorded_with_the_service_and_the_backend(
        traffic: tuple[Lab, list[Flow]]) -> None:
    _, flows = traffic
    [flow] = _between(flows, "shop/web-0", "shop/api-0")
    assert (flow.protocol, flow.destination.port, flow.verdict) == ("TCP", 8080,
                                                                     FlowVerdict.ALLOWED)
    assert flow.service is not None
    assert (flow.service.namespace, flow.service.name, flow.service.port) == ("shop", "api", 80)
    assert flow.source.label_map == {"app": "web"}


def test_each_dns_lookup_is_one_flow_to_kube_dns(traffic: tuple[Lab, list[Flow]]) -> None:
    _, flows = traffic
    dns = _between(flows, "shop/web-0", "kube-system/lab-dns")
    assert dns and all(f.protocol == "UDP" and f.destination.port == 53 for f in dns)
    assert len({f.source.port for f in dns}) == len(dns)  # a socket's second query: no record


def test_a_denied_connection_is_recorded_with_the_end_of_tier_that_dropped_it(
        app: Path, tmp_path: Path) -> None:
    policy = tmp_path / "db.yaml"
    policy.write_text(DB_FROM_API)
    with lab_up([app, policy]) as lab:
        assert not tcp(lab, "shop/web-0", ip_of(lab, "shop/db-0"), 5432)
        assert tcp(lab, "shop/api-0", ip_of(lab, "shop/db-0"), 5432, tries=2)
        [denied] = flows_of(lab, "shop/web-0", "shop/db-0")
        [allowed] = flows_of(lab, "shop/api-0", "shop/db-0")
    assert denied.verdict is FlowVerdict.DENIED
    assert (denied.decision and (denied.decision.direction, denied.decision.tier,
                                 denied.decision.policy)) == ("ingress", "default", None)
    assert allowed.decision is not None
    assert (allowed.decision.policy, allowed.decision.rule) == ("shop/db",
                                                                 "ingress[0] from[0] ports[0]")


def test_the_suggestion_from_recorded_traffic_lets_it_through_and_refuses_the_rest(
        app: Path, traffic: tuple[Lab, list[Flow]], tmp_path: Path) -> None:
    first, flows = traffic
    manifests = suggest(current_cluster(first.id), flows)
    policies = tmp_path / "suggested.yaml"
    policies.write_text(yaml.safe_dump_all(manifests, sort_keys=False))
    with lab_up([app, policies]) as lab:
        assert app_traffic(lab) == ("nw shop/api-0", True)
        assert not tcp(lab, "shop/web-0", ip_of(lab, "shop/db-0"), 5432)
        assert not tcp(lab, "shop/db-0", ip_of(lab, "shop/api-0"), 8080)


STAGED_DENY_DB = """
apiVersion: projectcalico.org/v3
kind: StagedNetworkPolicy
metadata: {name: db-closed, namespace: shop}
spec: {stagedAction: Set, selector: app == 'db', types: [Ingress]}
"""


def test_traffic_a_staged_policy_would_deny_still_flows_and_is_counted(
        app: Path, tmp_path: Path) -> None:
    staged = tmp_path / "staged.yaml"
    staged.write_text(STAGED_DENY_DB)
    with lab_up([app, staged]) as lab:
        assert tcp(lab, "shop/api-0", ip_of(lab, "shop/db-0"), 5432, tries=2)
        [flow] = flows_of(lab, "shop/api-0", "shop/db-0")
        flows = list(iter_flows(recorded(lab.id), "recorded"))
        status = recorder_status(lab.id)
    assert flow.verdict is FlowVerdict.ALLOWED
    assert flow.staged is not None and flow.staged.verdict is FlowVerdict.DENIED
    assert flow.staged.decision is not None
    assert (flow.staged.decision.direction, flow.staged.decision.tier) == ("ingress", "default")
    assert sum(1 for f in flows if f.staged and f.staged.verdict is FlowVerdict.DENIED) == 1
    assert status is not None and status["staged_denied"] == 1


API_FROM_DB = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: db}}}]
"""


def cluster_ip(lab: Lab, name: str) -> str:
    [svc] = [s for s in current_cluster(lab.id).services if s.name == name]
    return str(svc.frontends[0].ip)


def test_a_denied_connection_to_a_cluster_ip_is_recorded_with_its_service(
        app: Path, tmp_path: Path) -> None:
    policy = tmp_path / "api.yaml"
    policy.write_text(API_FROM_DB)
    with lab_up([app, policy]) as lab:
        assert not tcp(lab, "shop/web-0", cluster_ip(lab, "api"), 80)
        [denied] = flows_of(lab, "shop/web-0", "shop/api-0")
    assert (denied.verdict, denied.destination.port) == (FlowVerdict.DENIED, 8080)
    assert denied.service == FlowService("shop", "api", 80)


def test_the_recorder_judges_accepted_flows_by_the_policies_lab_apply_put_in_force(
        app: Path, tmp_path: Path) -> None:
    policy = tmp_path / "db.yaml"
    policy.write_text(DB_FROM_API)
    with lab_up([app]) as lab:
        ENFORCER.apply_policies(lab, [policy])
        assert tcp(lab, "shop/api-0", ip_of(lab, "shop/db-0"), 5432, tries=2)
        [allowed] = flows_of(lab, "shop/api-0", "shop/db-0")
    assert allowed.decision is not None
    assert (allowed.decision.policy, allowed.decision.rule) == ("shop/db",
                                                                 "ingress[0] from[0] ports[0]")


def test_lab_flows_writes_what_was_recorded_since_lab_up(
        app: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, followed = tmp_path / "flows.jsonl", tmp_path / "followed.jsonl"
    with lab_up([app]) as lab:
        assert tcp(lab, "shop/api-0", ip_of(lab, "shop/db-0"), 5432, tries=2)
        flows_of(lab, "shop/api-0", "shop/db-0")
        assert main(["lab", "flows", "--lab", lab.id, "-O", str(out)]) == 0
        assert main(["lab", "flows", "--lab", lab.id, "--follow", "--seconds", "1",
                     "-O", str(followed)]) == 0
    flows = list(iter_flows(out.read_bytes().splitlines(), str(out)))
    assert [(f.source.key, f.destination.key) for f in flows] == [("shop/api-0", "shop/db-0")]
    assert f"lab {lab.id}: 1 flow record(s)" in capsys.readouterr().err
    assert followed.read_bytes() == out.read_bytes()  # and nothing new within the second


def test_lab_down_stops_the_recorder_and_removes_its_log(app: Path) -> None:
    with lab_up([app]) as lab:
        status = recorder_status(lab.id)
        assert status is not None and running(lab.id)
    assert not running(lab.id)
    assert not any(os.path.exists(p) for p in (flow_log_path(lab.id), status_path(lab.id)))
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert lab.prefix not in netns


def test_a_recorder_whose_lab_was_removed_otherwise_exits_and_removes_its_log(
        app: Path) -> None:
    with lab_up([app]) as lab:
        deadline = time.monotonic() + 15
        while not os.path.exists(flow_log_path(lab.id)):  # the recorder is running
            assert time.monotonic() < deadline, "the recorder never opened its log"
            time.sleep(0.1)
        lab.down()  # as `lab down --all` does: the namespaces and state file only
        deadline = time.monotonic() + 10
        while running(lab.id) or os.path.exists(status_path(lab.id)):
            assert time.monotonic() < deadline, "the recorder outlived its lab"
            time.sleep(0.1)
    assert not os.path.exists(flow_log_path(lab.id))


ACROSS = """
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {nodeName: node-1, containers: [{name: c, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {nodeName: node-2, containers: [{name: c, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api}}
spec: {nodeName: node-2, containers: [{name: c, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec: {selector: {app: db}, ports: [{port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
"""


def test_a_connection_between_nodes_is_one_record_with_the_verdict_of_the_node_that_decided(
        tmp_path: Path) -> None:
    path = tmp_path / "across.yaml"
    path.write_text(ACROSS)
    with lab_up([path], nodes=2, dns=False) as lab:
        assert not tcp(lab, "shop/web", cluster_ip(lab, "db"), 80)
        assert tcp(lab, "shop/web", ip_of(lab, "shop/api"), 80, tries=2)
        [allowed] = flows_of(lab, "shop/web", "shop/api")
        time.sleep(1.0)  # a second record of either would be written by now
        flows = list(iter_flows(recorded(lab.id), "recorded"))
    [denied] = _between(flows, "shop/web", "shop/db")
    assert (denied.verdict, denied.service) == (FlowVerdict.DENIED,
                                                FlowService("shop", "db", 80))
    assert allowed.verdict is FlowVerdict.ALLOWED
    assert len(_between(flows, "shop/web", "shop/api")) == 1
