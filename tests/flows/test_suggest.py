"""suggest: least-privilege policies from the shop's flows, verified by the engine."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from netwarden.analysis.diff import diff
from netwarden.analysis.flows import FlowEnd, dump_flow, tally
from netwarden.analysis.suggest import SuggestOptions, suggest, suggestion
from netwarden.analysis.suggest_labels import choose_selector
from netwarden.analysis.suggest_verify import verify
from netwarden.cli import main
from netwarden.compile import compile_snapshot
from netwarden.engine import Engine
from netwarden.load import load_snapshot, load_texts

from .helpers import API, DB, SHOP, WEB_1, flow, shop_flows


def _policy(manifests: list[dict[str, Any]], namespace: str, name: str) -> dict[str, Any]:
    [found] = [m for m in manifests if m["metadata"] == {
        "name": name, "namespace": namespace,
        "labels": {"app.kubernetes.io/managed-by": "netwarden-suggest"}}]
    return found


@pytest.fixture(scope="module")
def shop() -> Any:
    snapshot = load_snapshot([SHOP])
    return snapshot, compile_snapshot(snapshot)


# -- label choice ---------------------------------------------------------------------

def test_pods_with_unique_per_pod_labels_get_one_selector() -> None:
    pods = [{"app": "db", "statefulset.kubernetes.io/pod-name": f"db-{i}",
             "controller-revision-hash": "db-6f"} for i in range(3)]
    assert choose_selector(pods, others=[], name="shop/StatefulSet/db").labels == (
        ("app", "db"),)


def test_app_kubernetes_io_name_is_preferred_to_app() -> None:
    pods = [{"app": "backend", "app.kubernetes.io/name": "api", "pod-template-hash": "5c"}]
    assert choose_selector(pods, others=[]).labels == (("app.kubernetes.io/name", "api"),)


def test_a_label_shared_with_other_workloads_is_not_enough() -> None:
    pods = [{"app": "shop", "component": "cart"}]
    others = [{"app": "shop", "component": "checkout"}]
    assert choose_selector(pods, others).labels == (("app", "shop"), ("component", "cart"))


def test_a_pod_whose_only_labels_are_unstable_gets_a_clear_warning() -> None:
    selection = choose_selector([{"pod-template-hash": "7d9f"}], [], name="shop/web-7d9f-x")
    assert selection.labels == (("pod-template-hash", "7d9f"),)
    assert selection.warning == (
        "shop/web-7d9f-x: its only labels (pod-template-hash) change with every rollout or "
        "differ per pod: the suggested policies select it by them and will stop matching it; "
        "give the pod template a stable label (app.kubernetes.io/name or app)")


def test_calicos_implicit_labels_are_never_chosen(shop: Any) -> None:
    manifests = suggest(shop[1], shop_flows())
    selectors = [m["spec"]["podSelector"] for m in manifests]
    assert all("projectcalico.org/namespace" not in str(s) for s in selectors)


# -- the policies ---------------------------------------------------------------------

def test_one_policy_per_workload_and_direction_and_a_default_deny(shop: Any) -> None:
    names = [(m["metadata"]["namespace"], m["metadata"]["name"])
             for m in suggest(shop[1], shop_flows())]
    assert names == [
        ("kube-system", "suggested-coredns-ingress"),
        ("shop", "suggested-api-ingress"), ("shop", "suggested-api-egress"),
        ("shop", "suggested-web-ingress"), ("shop", "suggested-web-egress"),
        ("shop", "suggested-db-ingress"),
        ("shop", "suggested-default-deny"),
    ]


def test_ports_are_named_where_the_destination_declares_them(shop: Any) -> None:
    db = _policy(suggest(shop[1], shop_flows()), "shop", "suggested-db-ingress")
    assert db["spec"] == {
        "podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "api"}}}],
                     "ports": [{"protocol": "TCP", "port": "postgres"}]}]}


def test_outside_addresses_merge_to_the_prefix_length(shop: Any) -> None:
    api = _policy(suggest(shop[1], shop_flows(), prefix_length=24), "shop",
                  "suggested-api-egress")
    assert {"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}],
            "ports": [{"protocol": "TCP", "port": 443}]} in api["spec"]["egress"]
    exact = _policy(suggest(shop[1], shop_flows()), "shop", "suggested-api-egress")
    assert {"to": [{"ipBlock": {"cidr": "203.0.113.10/32"}}, {"ipBlock": {"cidr":
            "203.0.113.20/32"}}], "ports": [{"protocol": "TCP", "port": 443}]} \
        in exact["spec"]["egress"]


def test_pods_that_resolved_names_reach_kube_dns_on_udp_and_tcp_53(shop: Any) -> None:
    web = _policy(suggest(shop[1], shop_flows()), "shop", "suggested-web-egress")
    assert web["spec"]["egress"][0] == {
        "to": [{"podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                "namespaceSelector": {"matchLabels": {
                    "kubernetes.io/metadata.name": "kube-system"}}}],
        "ports": [{"protocol": "TCP", "port": 53}, {"protocol": "UDP", "port": 53}]}


def test_the_dns_servers_namespace_gets_no_default_deny_and_says_why(shop: Any) -> None:
    result = suggestion(shop[1], shop_flows())
    assert ("kube-system: no default deny suggested: it runs the cluster's DNS server "
            "(kube-system/coredns), whose traffic to upstream servers the flows do not show"
            ) in result.warnings


def test_denied_flows_are_left_out_unless_asked(shop: Any) -> None:
    result = suggestion(shop[1], shop_flows())
    assert result.skipped == {"denied flows (--include-denied to allow them)": 1}
    db = _policy(suggest(shop[1], shop_flows(), include_denied=True), "shop",
                 "suggested-db-ingress")
    assert {"ipBlock": {"cidr": "198.51.100.9/32"}} in db["spec"]["ingress"][-1]["from"]


def test_the_output_does_not_depend_on_the_order_of_the_flows(shop: Any) -> None:
    flows = shop_flows()
    shuffled = flows[:]
    random.Random(7).shuffle(shuffled)
    assert suggest(shop[1], flows) == suggest(shop[1], shuffled)


def test_flows_counted_per_connection_give_the_same_suggestion(shop: Any) -> None:
    flows = shop_flows() * 2   # every connection recorded twice
    by_flow, by_count = suggestion(shop[1], flows), suggestion(shop[1], tally(flows))
    assert by_count.manifests == by_flow.manifests
    assert (by_count.flows_used, by_count.skipped) == (by_flow.flows_used, by_flow.skipped) \
        == (18, {"denied flows (--include-denied to allow them)": 2})


# -- verified -------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["k8s", "calico"])
def test_the_engine_allows_every_observed_flow_and_lint_finds_nothing(
        shop: Any, fmt: str) -> None:
    result = suggestion(shop[1], shop_flows(), SuggestOptions(format=fmt, prefix_length=24))
    check = verify(shop[0], result)
    assert (check.ok, check.denied, check.findings) == (True, (), ())


@pytest.mark.parametrize(("src", "dst", "port"), [
    ("shop/Deployment/web", "shop/StatefulSet/db", 5432),     # web never spoke to db
    ("shop/Deployment/api", "shop/StatefulSet/db", 22),       # api spoke to db on 5432 only
    ("shop/StatefulSet/db", "203.0.113.10", 443),             # db never went outside
    ("198.51.100.9", "shop/StatefulSet/db", 5432),            # the denied flow stays denied
])
@pytest.mark.parametrize("fmt", ["k8s", "calico"])
def test_a_connection_outside_the_flows_is_denied(
        shop: Any, fmt: str, src: str, dst: str, port: int) -> None:
    check = verify(shop[0], suggestion(shop[1], shop_flows(), SuggestOptions(format=fmt)))
    assert Engine(check.after).check(src, dst, "TCP", port).allowed is False


def test_an_observed_flow_the_engine_would_deny_fails_verification(shop: Any) -> None:
    """An existing admin Deny outranks the suggestion: verification says so."""
    deny = load_texts([("anp.yaml", """\
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: no-db}
spec:
  priority: 10
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: shop}}}
  ingress:
  - action: Deny
    from: [{namespaces: {}}]
    ports: [{portNumber: {protocol: TCP, port: 5432}}]
""")])
    snapshot = replace(shop[0], cluster_policies=deny.cluster_policies)
    check = verify(snapshot, suggestion(compile_snapshot(snapshot), shop_flows()))
    assert check.problems() == [
        "the suggestion denies an observed flow: shop/api-5c4b-klmno -> shop/db-0 TCP/5432"]


# -- the command ----------------------------------------------------------------------

def test_suggest_writes_one_file_per_policy_and_prints_the_diff(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flows = tmp_path / "flows.jsonl"
    flows.write_bytes(b"".join(dump_flow(f) for f in shop_flows()))
    out = tmp_path / "policies"
    assert main(["suggest", str(SHOP), "--flows", str(flows), "-O", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "7 policies suggested from 9 flows; every observed flow is allowed" in printed
    assert "lost: shop/web -> shop/db" in printed
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.yaml")) == [
        "kube-system/suggested-coredns-ingress.yaml", "shop/suggested-api-egress.yaml",
        "shop/suggested-api-ingress.yaml", "shop/suggested-db-ingress.yaml",
        "shop/suggested-default-deny.yaml", "shop/suggested-web-egress.yaml",
        "shop/suggested-web-ingress.yaml"]
    # what was written loads with the application and allows the traffic
    assert main(["check", str(SHOP), str(out), "--from", "shop/Deployment/api",
                 "--to", "shop/StatefulSet/db", "--port", "5432"]) == 0


def test_the_written_files_are_the_policies_that_were_verified(tmp_path: Path) -> None:
    flows = tmp_path / "flows.jsonl"
    flows.write_bytes(b"".join(dump_flow(f) for f in shop_flows()))
    out = tmp_path / "policies"
    assert main(["suggest", str(SHOP), "--flows", str(flows), "-O", str(out)]) == 0
    snapshot = load_snapshot([SHOP])
    verified = verify(snapshot, suggestion(compile_snapshot(snapshot), shop_flows())).after
    written = compile_snapshot(load_snapshot([SHOP, out]))
    assert sorted(p.id for p in written.policies) == sorted(p.id for p in verified.policies)
    assert [p.ingress + p.egress for p in sorted(written.policies, key=lambda p: p.id)] == \
        [p.ingress + p.egress for p in sorted(verified.policies, key=lambda p: p.id)]
    assert diff(verified, written).changes == ()


def test_a_flow_to_a_pod_outside_the_manifests_is_not_checked_and_lint_stops_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A peer in a namespace the manifests lack: the rule would allow nothing here, so
    lint warns and nothing is written (exit 1)."""
    stranger = FlowEnd(namespace="other", pod="probe-1", labels=(("app", "probe"),),
                       address="10.9.9.9")
    flows = tmp_path / "flows.jsonl"
    flows.write_bytes(b"".join(dump_flow(f) for f in [*shop_flows(), flow(API, stranger, 80)]))
    out = tmp_path / "policies"
    assert main(["suggest", str(SHOP), "--flows", str(flows), "-O", str(out)]) == 1
    err = capsys.readouterr().err
    assert "note: 1 flows not checked: other/probe-1 is not in the manifests" in err
    assert "error: lint warning NW003: " in err and "matches no namespace" in err
    assert "nothing written: the suggestion failed verification" in err
    assert not out.exists()


NO_DNS_APP = """
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.244.1.6}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
spec: {containers: [{name: c, image: x, ports: [{containerPort: 5432}]}]}
status: {podIP: 10.244.1.5}
"""


def test_pods_that_made_no_dns_lookup_get_none_and_a_warning_not_a_refusal(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No kube-dns in the manifests and no lookup recorded: least privilege allows no DNS;
    lint's NW005 is printed as a warning and the policies are written."""
    (tmp_path / "app.yaml").write_text(NO_DNS_APP)
    web = FlowEnd(namespace="prod", pod="web", labels=(("app", "web"),), address="10.244.1.6")
    db = FlowEnd(namespace="prod", pod="db", labels=(("app", "db"),), address="10.244.1.5")
    flows = tmp_path / "flows.jsonl"
    flows.write_bytes(dump_flow(flow(web, db, 5432)))
    out = tmp_path / "policies"
    assert main(["suggest", str(tmp_path / "app.yaml"), "--flows", str(flows),
                 "-O", f"{out}/"]) == 0
    captured = capsys.readouterr()
    assert ("warning: lint warning NW005: " + f"{out}/prod/suggested-default-deny.yaml:1: "
            ) in captured.err
    assert "no DNS lookup from these pods was recorded" in captured.err
    assert "3 policies suggested from 1 flow; every observed flow is allowed" in captured.out
    assert f"wrote {out}/prod/suggested-db-ingress.yaml" in captured.out  # one slash


del WEB_1, DB  # imported for readers of the scenario: the flows name them
