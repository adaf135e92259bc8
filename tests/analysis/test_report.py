"""The HTML report's content: graph model, bundling, summary, sections.

In a real browser: test_report_browser.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from netwarden import load_cluster
from netwarden.analysis import render
from netwarden.analysis.external import ExternalConnectivity
from netwarden.analysis.report import layout, page
from netwarden.analysis.report.model import COLLAPSE_ABOVE, OUTSIDE
from netwarden.engine import Connectivity

from .analysis_manifests import base, netpol, ns, pod
from .report_checks import check_graph_matches_matrix, report_model, shop

DB_POLICY = netpol("db", "prod", {"podSelector": {"matchLabels": {"role": "db"}}, "ingress": [
    {"from": [{"podSelector": {"matchLabels": {"app": "api"}}},
              {"ipBlock": {"cidr": "192.168.5.10/32"}}], "ports": [{"port": 5432}]}]})
ANP = Path(__file__).resolve().parents[2] / "examples" / "anp-tenant-isolation"


def _closed(namespace: str) -> dict[str, Any]:
    return netpol("closed", namespace, {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})


def _allow(name: str, namespace: str, app: str, peer: str, port: int,
           direction: str = "ingress") -> dict[str, Any]:
    key, types = ("from", ["Ingress"]) if direction == "ingress" else ("to", ["Egress"])
    return netpol(name, namespace, {
        "podSelector": {"matchLabels": {"app": app}}, "policyTypes": types,
        direction: [{key: [{"podSelector": {"matchLabels": {"app": peer}}}],
                     "ports": [{"port": port}]}]})


@pytest.mark.parametrize("options", [{}, {"external": True}, {"grouped": True}],
                         ids=["outside-merged", "external-ranges", "grouped"])
def test_bundled_example_graph_draws_every_allowed_pair_once(options: dict[str, Any]) -> None:
    cluster = shop()
    assert check_graph_matches_matrix(cluster, report_model(cluster, **options)) > 20


def test_without_external_outside_is_one_node_drawn_on_each_side() -> None:
    model = report_model(shop())
    outside = [n for n in model.nodes if n.outside]
    assert [n.label for n in outside] == [OUTSIDE]
    assert sorted(b.role for b in model.boxes if b.node.outside) == ["in", "out"]
    into = {model.box(e.target).node.label: e.forward for e in model.edges
            if model.box(e.source).node.outside}
    assert into == {"gateway ×2": "TCP 80, 443", "coredns ×2": "all"}


def test_with_external_every_named_range_is_a_node(load: Any) -> None:
    cluster = load(*base(), DB_POLICY)
    model = report_model(cluster, external=True)
    assert {n.label for n in model.nodes if n.outside} >= {"192.168.5.10/32",
                                                           "any other address"}
    edge = next(e for e in model.edges if model.box(e.source).node.label == "192.168.5.10/32"
                and model.box(e.target).node.label == "db")
    assert edge.forward == "TCP 5432" and not edge.partial


def test_a_pair_allowed_both_ways_is_one_edge(load: Any) -> None:
    cluster = load(ns("a"), pod("x", "a", "10.244.1.1", app="x"),
                   pod("y", "a", "10.244.1.2", app="y"), _closed("a"),
                   _allow("x-in", "a", "x", "y", 80), _allow("y-in", "a", "y", "x", 80),
                   _allow("x-out", "a", "x", "y", 80, "egress"),
                   _allow("y-out", "a", "y", "x", 443, "egress"))
    model = report_model(cluster)
    pods = [e for e in model.edges if not model.box(e.target).node.outside]
    assert [(model.box(e.source).node.label, model.box(e.target).node.label, e.label)
            for e in pods] == [("x", "y", "TCP 80")]  # y→x on 443: x's ingress refuses it
    cluster = load(ns("a"), pod("x", "a", "10.244.1.1", app="x"),
                   pod("y", "a", "10.244.1.2", app="y"), _closed("a"),
                   _allow("x-in", "a", "x", "y", 80), _allow("y-in", "a", "y", "x", 443),
                   _allow("x-out", "a", "x", "y", 443, "egress"),
                   _allow("y-out", "a", "y", "x", 80, "egress"))
    (edge,) = report_model(cluster).edges
    assert edge.label == "→ TCP 443\n← TCP 80"


def test_same_ports_both_ways_are_labelled_once(load: Any) -> None:
    cluster = load(ns("a"), pod("x", "a", "10.244.1.1", app="x"),
                   pod("y", "a", "10.244.1.2", app="y"),
                   netpol("both", "a", {"podSelector": {}, "ingress": [
                       {"from": [{"podSelector": {}}], "ports": [{"port": 80}]}]}))
    edges = [e for e in report_model(cluster).edges
             if not any(report_model(cluster).box(b).node.outside for b in (e.source, e.target))]
    assert [e.label for e in edges] == ["TCP 80 (both ways)"]


def test_the_same_edge_from_every_pod_of_a_namespace_is_drawn_once() -> None:
    model = report_model(shop())
    to_dns = [e for e in model.edges if model.box(e.target).node.label == "coredns ×2"]
    assert sorted((e.tail_ns or model.box(e.source).node.label, e.forward) for e in to_dns) == [
        ("data", "TCP 53; UDP 53"), ("edge", "TCP 53; UDP 53"), (OUTSIDE, "all"),
        ("shop", "TCP 53; UDP 53")]
    assert "ltail=cluster_" in layout.dot_source(model)


def test_every_pod_of_a_namespace_to_every_pod_of_another_is_one_edge(load: Any) -> None:
    cluster = load(ns("a"), ns("b"), pod("a1", "a", "10.244.1.1"), pod("a2", "a", "10.244.1.2"),
                   pod("b1", "b", "10.244.2.1"), pod("b2", "b", "10.244.2.2"))
    model = report_model(cluster)
    frames = sorted((e.tail_ns, e.head_ns, e.forward) for e in model.edges
                    if e.tail_ns is not None and e.head_ns is not None)
    assert frames == [("a", "b", "all"), ("b", "a", "all")]
    inside = sorted((model.box(e.source).node.label, model.box(e.target).node.label, e.label)
                    for e in model.edges if e.tail_ns is None and e.head_ns is None
                    and not any(model.box(b).node.outside for b in (e.source, e.target)))
    assert inside == [("a1", "a2", "all (both ways)"), ("b1", "b2", "all (both ways)")]
    check_graph_matches_matrix(cluster, model)
    assert "ltail=cluster_0, lhead=cluster_1" in layout.dot_source(model)


def test_a_big_namespace_is_drawn_by_equivalence_class(load: Any) -> None:
    half = COLLAPSE_ABOVE // 2 + 1
    pods = [pod(f"{app}{i}", "big", f"10.244.1.{10 * (app == 'b') + i + 1}", app=app)
            for app in ("a", "b") for i in range(half)]
    cluster = load(ns("big"), *pods, _allow("b-from-a", "big", "b", "a", 8080))
    model = report_model(cluster)
    assert model.collapsed == ("big",)
    assert sorted(n.label for n in model.nodes if not n.outside) == [
        f"{half} pods: a0, a1 +{half - 2}", f"{half} pods: b0, b1 +{half - 2}"]
    inside = [e for e in model.edges if e.tail_ns is None and e.head_ns is None
              and not model.box(e.source).node.outside and not model.box(e.target).node.outside]
    assert [e.forward for e in inside] == ["TCP 8080"]
    check_graph_matches_matrix(cluster, model)


def test_one_port_report_keeps_only_that_port(load: Any) -> None:
    cluster = load(*base(), DB_POLICY)
    model = report_model(cluster, port=5432, single=True)
    assert model.title == "TCP/5432"
    texts = {e.forward for e in model.edges} | {e.backward for e in model.edges}
    assert texts <= {"TCP 5432", ""}
    db = next(n.id for n in model.nodes if n.label == "db")
    assert {n.members[0] if len(n.members) == 1 else n.label: model.cells[(n.id, db)]
            for n in model.nodes} == {"prod/api": "TCP 5432", OUTSIDE: "TCP 5432",
                                       "prod/db": "loopback", "prod/web": "", "dev/api": ""}
    assert (next(n.id for n in model.nodes if n.outside), db) in model.partial


def _deployment(name: str, namespace: str, replicas: int, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "c", "image": "x"}]}}}}


def test_replicas_of_one_workload_are_a_policed_pair(load: Any) -> None:
    cluster = load(ns("a"), _deployment("web", "a", 3, app="web"),
                   pod("solo", "a", "10.244.1.9", app="solo"), _closed("a"))
    model = report_model(cluster)
    cells = {n.label: model.cells[(n.id, n.id)] for n in model.nodes if not n.outside}
    assert cells == {"web ×3": "", "solo": "loopback"}  # closed: replica to replica denied
    open_ = load(ns("a"), _deployment("web", "a", 3, app="web"))
    (web,) = [n for n in report_model(open_).nodes if not n.outside]
    assert report_model(open_).cells[(web.id, web.id)] == "all"


def test_backends_are_framed_under_their_service(load: Any) -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "reco",
                                                                    "namespace": "a"},
               "spec": {"selector": {"app": "reco"}, "ports": [{"port": 8080}]}}
    cluster = load(ns("a"), _deployment("reco-v1", "a", 1, app="reco", v="1"),
                   _deployment("reco-v2", "a", 1, app="reco", v="2"),
                   pod("client", "a", "10.244.1.9", app="client"), service)
    model = report_model(cluster)
    assert {n.label: n.service for n in model.nodes if not n.outside} == {
        "reco-v1": "a/svc/reco", "reco-v2": "a/svc/reco", "client": ""}
    dot = layout.dot_source(model)
    assert 'label="Service reco"; style="dashed,rounded"' in dot


def test_a_lone_backend_names_a_service_that_says_more(load: Any) -> None:
    html = layout.dot_source(report_model(shop()))
    assert 'label="gateway ×2\\nService gateway (LoadBalancer)"' in html
    assert 'label="coredns ×2\\nService kube-dns"' in html
    assert 'label="cart ×2"' in html  # Service cart, ClusterIP: nothing to add


def test_exposure_section_marks_broad_peers() -> None:
    cluster = shop()
    html = render.matrix(cluster, Connectivity(cluster), "html")
    section = html.split('id="exposure-section"', 1)[1].split("</section>", 1)[0]
    assert '<td class="broad">any IPv4 address outside the cluster</td>' in section
    assert "edge/gateway" in section and "pods with app=cart in namespace shop" in (
        section)


def test_summary_counts_isolated_pods_and_pods_open_to_outside(load: Any) -> None:
    cluster = load(*base(), DB_POLICY, _closed("prod"))
    model = report_model(cluster)
    # prod/db still accepts 192.168.5.10 on 5432 (its egress is closed, not its answers)
    assert model.isolated == ("prod/api", "prod/web")
    assert model.open_outside == (("dev/api", "all"), ("prod/db", "TCP 5432"))
    shop_model = report_model(shop())
    assert shop_model.open_outside == (("edge/gateway", "TCP 80, 443"),
                                       ("kube-system/coredns", "all"))
    assert shop_model.isolated == ()


def test_plural_forms_in_the_page(load: Any) -> None:
    one = load(ns("solo"), pod("p", "solo", "10.244.1.1"), _closed("solo"))
    html = render.matrix(one, Connectivity(one), "html")
    assert "1 pod in 1 namespace, 1 policy" in html
    assert "1 namespaces" not in html and "1 policies" not in html
    assert ">1</b>isolated" in html
    two = shop()
    assert "13 pods in 4 namespaces, 20 policies" in render.matrix(two, Connectivity(two),
                                                                     "html")


def test_page_is_self_contained() -> None:
    cluster = shop()
    html = render.matrix(cluster, Connectivity(cluster), "html")
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", html))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert "<link" not in html and "src=" not in html and "@import" not in html
    assert "url(" not in html.replace("url(#", "")


def test_page_has_every_section_and_names_on_both_axes() -> None:
    cluster = shop()
    html = render.matrix(cluster, Connectivity(cluster), "html")
    for section in ("summary", "graph", "matrix", "lint", "exposure", "policies"):
        assert f'id="{section}-section"' in html
    assert html.count('<th class="col" scope="col"><span><span class="ns-tag">shop/</span>'
                      "checkout</span></th>") == 2  # screen table and its print slice
    assert '<th class="rowh" scope="row"><span class="ns-tag">data/</span>postgres</th>' in html
    assert '<td class="part">TCP 5432</td>' in html
    assert "NW003" in html and "selector-matches-nothing" in html


def test_admin_network_policy_tiers_are_listed() -> None:
    cluster = load_cluster([ANP])
    html = render.matrix(cluster, Connectivity(cluster), "html")
    for tier in ("kube-admin", "default", "kube-baseline"):
        assert f'<h3 class="tier">tier {tier}</h3>' in html
    for policy in ("anp:always-dns", "cnp:tenant-isolation", "banp:default"):
        assert f"<h3>{policy} " in html


def test_wide_matrix_is_printed_in_slices(load: Any) -> None:
    pods = [pod(f"p{i}", f"ns{i % 3}", f"10.244.{i % 3 + 1}.{i + 1}") for i in range(24)]
    cluster = load(ns("ns0"), ns("ns1"), ns("ns2"), *pods)
    html = render.matrix(cluster, Connectivity(cluster), "html")
    slices = html.split('<div class="print-only">', 1)[1]
    assert slices.count('<table class="matrix">') == 3  # 25 columns, 10 a slice
    assert "columns 21–25 of 25" in slices


def test_without_graphviz_the_page_says_so(load: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layout.shutil, "which", lambda name: None)
    cluster = load(*base(), DB_POLICY)
    html = page.document(report_model(cluster), cluster, [])
    assert "No graph: Graphviz&#x27;s dot is not installed" in html and "<svg" not in html


def test_external_connectivity_is_used_as_given(load: Any) -> None:
    cluster = load(*base(), DB_POLICY)
    html = render.matrix(cluster, ExternalConnectivity(cluster), "html")
    assert 'data-name="192.168.5.10/32"' in html and f'data-name="{OUTSIDE}"' not in html
