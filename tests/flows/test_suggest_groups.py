"""suggest: bare pods that one stable label picks out together are one workload."""

from __future__ import annotations

from typing import Any

from netwarden.analysis.flows import FlowEnd, Workload
from netwarden.analysis.suggest import suggestion
from netwarden.analysis.suggest_verify import verify
from netwarden.compile import compile_snapshot
from netwarden.engine import Engine
from netwarden.load import load_texts
from netwarden.resources.snapshot import Snapshot

from .helpers import flow

NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata: {name: lab}\n"
KUBE_DNS = """\
apiVersion: v1
kind: Namespace
metadata: {name: kube-system}
---
apiVersion: v1
kind: Pod
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec: {containers: [{name: dns, image: coredns}]}
"""


def _pod(name: str, **labels: str) -> str:
    return ("apiVersion: v1\nkind: Pod\n"
            f"metadata: {{name: {name}, namespace: lab, labels: {labels!r}}}\n"
            "spec: {containers: [{name: main, image: x}]}\n")


def _deployment(name: str, **labels: str) -> str:
    return ("apiVersion: apps/v1\nkind: Deployment\n"
            f"metadata: {{name: {name}, namespace: lab}}\n"
            f"spec: {{replicas: 2, selector: {{matchLabels: {labels!r}}}, template: {{metadata: "
            f"{{labels: {labels!r}}}, spec: {{containers: [{{name: main, image: x}}]}}}}}}\n")


def _snapshot(*docs: str) -> Snapshot:
    return load_texts([("lab.yaml", "---\n".join([NAMESPACE, KUBE_DNS, *docs]))])


def _end(name: str, **labels: str) -> FlowEnd:
    return FlowEnd(namespace="lab", pod=name, labels=tuple(sorted(labels.items())))


WEB_1 = _end("web-1", app="web", index="1")
WEB_2 = _end("web-2", app="web", index="2")
DB_1 = _end("db-1", app="db", index="3")
PAYMENTS = FlowEnd(address="203.0.113.5")
DNS = FlowEnd(namespace="kube-system", pod="coredns", labels=(("k8s-app", "kube-dns"),))
BARE = (_pod("web-1", app="web", index="1"), _pod("web-2", app="web", index="2"),
        _pod("db-1", app="db", index="3"))
FLOWS = [flow(WEB_1, DB_1, 5432, second=1), flow(WEB_2, DB_1, 5432, second=2),
         flow(WEB_2, PAYMENTS, 443, second=3), flow(WEB_1, DNS, 53, "UDP", second=4)]
DNS_RULE = {"to": [{"podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                    "namespaceSelector": {"matchLabels": {
                        "kubernetes.io/metadata.name": "kube-system"}}}],
            "ports": [{"protocol": "TCP", "port": 53}, {"protocol": "UDP", "port": 53}]}


def _policies(manifests: tuple[dict[str, Any], ...]) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m["spec"] for m in manifests
            if m["metadata"]["namespace"] == "lab"}


def test_bare_pods_sharing_their_app_label_get_one_policy_per_direction() -> None:
    result = suggestion(compile_snapshot(_snapshot(*BARE)), FLOWS)
    policies = _policies(result.manifests)
    assert sorted(policies) == ["suggested-db-1-ingress", "suggested-default-deny",
                                "suggested-web-egress"]
    assert policies["suggested-web-egress"] == {
        "podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Egress"],
        "egress": [DNS_RULE,
                   {"to": [{"podSelector": {"matchLabels": {"app": "db"}}}],
                    "ports": [{"protocol": "TCP", "port": 5432}]},
                   {"to": [{"ipBlock": {"cidr": "203.0.113.5/32"}}],
                    "ports": [{"protocol": "TCP", "port": 443}]}]}
    assert policies["suggested-db-1-ingress"]["ingress"] == [
        {"from": [{"podSelector": {"matchLabels": {"app": "web"}}}],
         "ports": [{"protocol": "TCP", "port": 5432}]}]


def test_the_user_is_told_that_a_group_shares_what_any_of_its_pods_did() -> None:
    """web-1 never called the payments address, but as one workload with web-2 it may."""
    snapshot = _snapshot(*BARE)
    result = suggestion(compile_snapshot(snapshot), FLOWS)
    assert result.notes == (
        "lab: 2 bare pods labelled app=web are one workload (suggested-web-*): each is "
        "allowed what any of them was seen doing",)
    after = verify(snapshot, result).after
    assert Engine(after).check("lab/web-1", "203.0.113.5", "TCP", 443).allowed is True


def test_a_grouped_suggestion_allows_every_observed_flow_and_nothing_else() -> None:
    snapshot = _snapshot(*BARE)
    check = verify(snapshot, suggestion(compile_snapshot(snapshot), FLOWS))
    assert (check.ok, check.denied, check.findings) == (True, (), ())
    assert Engine(check.after).check("lab/db-1", "lab/web-1", "TCP", 5432).allowed is False


def test_bare_pods_are_not_grouped_when_their_label_also_selects_a_workloads_pods() -> None:
    snapshot = _snapshot(*BARE, _deployment("web", app="web", tier="front"))
    result = suggestion(compile_snapshot(snapshot), FLOWS)
    policies = _policies(result.manifests)
    assert policies["suggested-web-1-egress"]["podSelector"] == {
        "matchLabels": {"app": "web", "index": "1"}}
    assert policies["suggested-web-2-egress"]["podSelector"] == {
        "matchLabels": {"app": "web", "index": "2"}}
    assert result.notes == ()


def test_one_bare_pod_with_a_label_is_still_its_own_workload() -> None:
    result = suggestion(compile_snapshot(_snapshot(*BARE)), FLOWS)
    assert "suggested-db-1-ingress" in _policies(result.manifests)
    assert not any("db" in note for note in result.notes)


def test_workloads_whose_names_clash_get_their_kind_in_the_policy_name() -> None:
    """The bare pods labelled app=api and the Deployment api would both be ``api``."""
    snapshot = _snapshot(_pod("api-1", app="api"), _pod("api-2", app="api"),
                         _deployment("api", app="backend"))
    backend = FlowEnd(namespace="lab", pod="api-7d9f-x", workload=Workload("Deployment", "api"),
                      labels=(("app", "backend"),))
    flows = [flow(_end("api-1", app="api"), backend, 80, second=1),
             flow(_end("api-2", app="api"), backend, 80, second=2)]
    names = sorted(_policies(suggestion(compile_snapshot(snapshot), flows).manifests))
    assert names == ["suggested-api-deployment-ingress", "suggested-api-pods-egress",
                     "suggested-default-deny"]
