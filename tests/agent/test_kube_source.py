"""The Kubernetes source through the real client against a recorded fake API server."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

kubernetes = pytest.importorskip("kubernetes")

from netwarden import load_live_cluster  # noqa: E402
from netwarden.agent.kube import KubeSource  # noqa: E402
from netwarden.load.live import KIND_SPECS  # noqa: E402

from .kubeserver import FakeApi, serve  # noqa: E402

NS, PODS = "/api/v1/namespaces", "/api/v1/pods"
NPS = "/apis/networking.k8s.io/v1/networkpolicies"


def ns(name: str, rv: str, **labels: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "resourceVersion": rv, "labels": labels}}


def pod(name: str, rv: str, ip: str | None = "10.244.1.5", **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "prod", "resourceVersion": rv,
                         "labels": labels, "managedFields": [{"manager": "kubectl"}]},
            "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "nginx"}]},
            "status": {"phase": "Running", **({"podIP": ip} if ip else {})}}


def netpol(name: str, rv: str) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": "prod", "resourceVersion": rv},
            "spec": {"podSelector": {"matchLabels": {"app": "db"}}}}


def bookmark(rv: str) -> dict[str, Any]:
    return {"type": "BOOKMARK", "object": {"kind": "Pod", "apiVersion": "v1",
                                           "metadata": {"resourceVersion": rv}}}


def gone() -> dict[str, Any]:
    return {"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1", "code": 410,
                                        "reason": "Expired", "message": "too old"}}


def api_client(url: str) -> Any:
    cfg = kubernetes.client.Configuration()
    cfg.host = url
    return kubernetes.client.ApiClient(cfg)


def scripts() -> dict[str, tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    return {
        NS: ([("list", "10", [ns("prod", "5")]),
              ("list", "30", [ns("prod", "5"), ns("dev", "11"), ns("qa", "25")])],
             [("watch", [{"type": "ADDED", "object": {"kind": "Namespace", "apiVersion": "v1",
                                                      **ns("dev", "11")}}, bookmark("12")]),
              ("watch", [gone()]),                   # resume from 12: expired → relist
              ("hang", 30)]),
        PODS: ([("list", "100", [pod("web", "90", app="web"), pod("pending", "91", ip=None)]),
               ("list", "200", [pod("web", "101", app="web2"),
                                pod("db", "151", "10.244.1.6", app="db")])],
               [("watch", [{"type": "MODIFIED", "object": pod("web", "101", app="web2")},
                           bookmark("150"),
                           {"type": "ADDED", "object": pod("db", "151", "10.244.1.6",
                                                           app="db")}]),
                ("status", 410),                        # HTTP 410 on the watch request
                ("hang", 30)]),
        NPS: ([("list", "7", [netpol("db-in", "6")])],
              [("watch", [{"type": "DELETED", "object": netpol("db-in", "8")}]), ("hang", 30)]),
    }


def test_list_watch_bookmarks_and_relist_through_the_client() -> None:
    api = FakeApi(scripts())
    views: list[list[tuple[str, str]]] = []
    with serve(api) as url:
        client = api_client(url)
        source = KubeSource(client, watch_timeout=5, crd_recheck=60, backoff=(0.05, 0.2))
        stop = threading.Event()
        thread = threading.Thread(target=source.run, args=(lambda items, t: views.append(items),
                                                           stop), daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                names = {n for n, _ in source.items()}
                if ("kube:Namespace//qa" in names and "kube:Pod/prod/db" in names
                        and source.relists >= 2 and "kube:NetworkPolicy/prod/db-in" not in names):
                    break
                time.sleep(0.05)
            else:
                pytest.fail(f"source never converged: {sorted(n for n, _ in source.items())}")
        finally:
            stop.set()
            thread.join(5)
            client.close()
    assert source.ready.is_set()
    names = dict(source.items())
    assert "kube:Pod/prod/pending" not in names  # no IP yet: no interface to guard
    assert '"web2"' in names["kube:Pod/prod/web"] and "managedFields" not in names[
        "kube:Pod/prod/web"]
    watches = [(p, q) for p, q in api.requests if q.get("watch") == "true"]
    assert all(q.get("allowWatchBookmarks") == "true" for _, q in watches)
    ns_versions = [q.get("resourceVersion") for p, q in watches if p == NS]
    assert ns_versions[:3] == ["10", "12", "30"]  # list rv, bookmark rv, relist rv
    pod_versions = [q.get("resourceVersion") for p, q in watches if p == PODS]
    assert pod_versions[:3] == ["100", "151", "200"]
    lists = [p for p, q in api.requests if q.get("watch") != "true"]
    assert lists.count(NS) == 2 and lists.count(PODS) == 2
    assert any("/apis/crd.projectcalico.org/v1/" in p for p in lists)  # probed, 404: absent
    assert views and all(isinstance(v, list) for v in views)


def test_load_live_cluster_lists_once_and_compiles() -> None:
    api = FakeApi(scripts())
    with serve(api) as url:
        client = api_client(url)
        cluster = load_live_cluster(api_client=client)
        client.close()
    assert {e.key for e in cluster.pods} == {"prod/web"}
    assert [p.id for p in cluster.policies] == ["prod/db-in"]
    assert "prod" in cluster.namespaces


def test_load_live_cluster_leaves_out_an_object_it_cannot_read_with_a_warning() -> None:
    bad = netpol("broken", "9")
    bad["spec"] = {"podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Sideways"]}
    api = FakeApi({NS: ([("list", "1", [ns("prod", "1")])], [("hang", 30)]),
                   PODS: ([("list", "2", [])], [("hang", 30)]),
                   NPS: ([("list", "3", [netpol("db-in", "6"), bad])], [("hang", 30)])})
    with serve(api) as url:
        client = api_client(url)
        cluster = load_live_cluster(api_client=client)
        client.close()
    assert [p.id for p in cluster.policies] == ["prod/db-in"]
    assert cluster.warnings == (
        'kube:NetworkPolicy/prod/broken:1: spec.policyTypes[0]: unsupported value "Sideways": '
        'must be "Ingress" or "Egress" (object left out)',)


def test_load_live_cluster_reads_ingresses_for_exposure() -> None:
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
               "metadata": {"name": "shop", "namespace": "prod", "resourceVersion": "7"},
               "spec": {"defaultBackend": {"service": {"name": "web",
                                                       "port": {"number": 80}}}}}
    api = FakeApi({NS: ([("list", "1", [ns("prod", "1")])], [("hang", 30)]),
                   PODS: ([("list", "2", [pod("web", "3", app="web")])], [("hang", 30)]),
                   NPS: ([("list", "3", [])], [("hang", 30)]),
                   "/apis/networking.k8s.io/v1/ingresses": ([("list", "4", [ingress])],
                                                            [("hang", 30)])})
    with serve(api) as url:
        client = api_client(url)
        cluster = load_live_cluster(api_client=client)
        client.close()
    assert [i.key for i in cluster.ingresses] == ["prod/ingress/shop"]


def test_the_agent_does_not_watch_ingresses() -> None:
    assert "Ingress" not in {spec.kind for spec in KIND_SPECS}
