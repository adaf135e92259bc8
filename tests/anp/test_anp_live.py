"""A live cluster's AdminNetworkPolicies, BaselineAdminNetworkPolicy, ClusterNetworkPolicies
and Nodes, listed through the real client from a recorded fake API server; without their
CRDs (404) the rest is read as before."""

from __future__ import annotations

from typing import Any

import pytest

kubernetes = pytest.importorskip("kubernetes")

from netwarden import load_live_cluster  # noqa: E402
from netwarden.engine import Engine  # noqa: E402

from ..agent.kubeserver import FakeApi, serve  # noqa: E402

NS, PODS, NODES = "/api/v1/namespaces", "/api/v1/pods", "/api/v1/nodes"
NPS = "/apis/networking.k8s.io/v1/networkpolicies"
ANPS = "/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies"
CNPS = "/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies"


def _client(url: str) -> Any:
    cfg = kubernetes.client.Configuration()
    cfg.host = url
    return kubernetes.client.ApiClient(cfg)


POD = {"metadata": {"name": "web", "namespace": "prod", "labels": {"app": "web"}},
       "spec": {"containers": [{"name": "c"}]},
       "status": {"phase": "Running", "podIP": "10.244.1.5"}}
NODE = {"metadata": {"name": "cp-1", "labels": {"role": "cp"}, "managedFields": [{}]},
        "spec": {"podCIDR": "10.244.0.0/24"},
        "status": {"addresses": [{"type": "InternalIP", "address": "192.168.50.10"}],
                   "capacity": {"cpu": "4"}}}
ANP = {"metadata": {"name": "no-control-plane", "resourceVersion": "3"},
       "spec": {"priority": 5, "subject": {"namespaces": {}},
                "egress": [{"action": "Deny", "to": [{"nodes": {"matchLabels": {"role": "cp"}}}]}]}}
CNP = {"metadata": {"name": "prod-in", "resourceVersion": "4"},
       "spec": {"tier": "Admin", "priority": 6, "subject": {"namespaces": {}},
                "ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}]}}


def _api(with_crds: bool) -> FakeApi:
    scripts = {NS: ([("list", "1", [{"metadata": {"name": "prod"}}])], [("hang", 30)]),
               PODS: ([("list", "2", [POD])], [("hang", 30)]),
               NODES: ([("list", "5", [NODE])], [("hang", 30)]),
               NPS: ([("list", "6", [])], [("hang", 30)])}
    if with_crds:
        scripts[ANPS] = ([("list", "3", [ANP])], [("hang", 30)])
        scripts[CNPS] = ([("list", "4", [CNP])], [("hang", 30)])
    return FakeApi(scripts)


def test_live_cluster_reads_admin_policies_and_nodes() -> None:
    with serve(_api(with_crds=True)) as url:
        client = _client(url)
        cluster = load_live_cluster(api_client=client)
        client.close()
    assert sorted(p.id for p in cluster.policies) == ["anp:no-control-plane", "cnp:prod-in"]
    engine = Engine(cluster)
    assert not engine.check("prod/web", "192.168.50.10", "TCP", 6443).allowed
    assert engine.check("prod/web", "192.168.50.11", "TCP", 6443).allowed


def test_without_the_crds_the_rest_is_read() -> None:
    api = _api(with_crds=False)
    with serve(api) as url:
        client = _client(url)
        cluster = load_live_cluster(api_client=client)
        client.close()
    assert cluster.policies == ()
    assert {e.key for e in cluster.pods} == {"prod/web"}
    assert any(path == ANPS for path, _ in api.requests)  # probed: 404, absent
