"""One manifest that triggers each lint check and one that must not."""

from __future__ import annotations

from typing import Any

import pytest

from netwarden import load_cluster
from netwarden.analysis.findings import CATALOG, Severity
from netwarden.analysis.lint import lint

from .analysis_manifests import base, netpol, ns, pod

ALLOW_API = {"podSelector": {"matchLabels": {"role": "db"}}, "ingress": [
    {"from": [{"podSelector": {"matchLabels": {"app": "api"}}}]}]}
DENY_ALL = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
DNS_OK = {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
    {"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}]}


def ids(cluster: Any, check: str) -> list[Any]:
    return [f for f in lint(cluster) if f.id == check]


def _dash(pair: bool) -> dict[str, Any]:
    items: list[dict[str, Any]] = [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "dev"}}}]
    pods = {"podSelector": {"matchLabels": {"app": "api"}}}
    if pair:
        items.append(pods)
    else:
        items[0].update(pods)
    return {"podSelector": {"matchLabels": {"role": "db"}},
            "ingress": [{"from": items, "ports": [{"port": 5432}]}]}


CASES: list[tuple[str, list[dict[str, Any]], list[dict[str, Any]]]] = [
    ("NW001", [netpol("db", "prod", _dash(True))], [netpol("db", "prod", _dash(False))]),
    ("NW002",
     [netpol("db", "prod", {"podSelector": {"matchLabels": {"role": "db"}}, "ingress": [{"from": [
         {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "dev"}},
          "podSelector": {"matchLabels": {"app": "web"}}}]}]})],
     [netpol("db", "prod", _dash(False))]),
    ("NW003",
     [netpol("db", "prod", {"podSelector": {"matchLabels": {"role": "db"}}, "ingress": [{"from": [
         {"namespaceSelector": {"matchLabels": {"name": "dev"}}}]}]})],
     [netpol("db", "prod", {"podSelector": {"matchLabels": {"role": "db"}}, "ingress": [{"from": [
         {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "dev"}}}]}]})]),
    ("NW004", [netpol("db", "prod", ALLOW_API)],
     [netpol("db", "prod", ALLOW_API), netpol("deny", "prod", {"podSelector": {}})]),
    ("NW005", [netpol("deny", "prod", DENY_ALL)],
     [netpol("deny", "prod", DENY_ALL), netpol("dns", "prod", DNS_OK)]),
    ("NW006", [netpol("x", "prod", {"podSelector": {"matchLabels": {"role": "cache"}}})],
     [netpol("x", "prod", {"podSelector": {"matchLabels": {"role": "db"}}})]),
    ("NW007",
     [netpol("db", "prod", ALLOW_API), netpol("db2", "prod", {
         "podSelector": {"matchLabels": {"role": "db"}}, "ingress": [{"from": [
             {"podSelector": {"matchLabels": {"app": "api"}}}], "ports": [{"port": 5432}]}]})],
     [netpol("db", "prod", ALLOW_API)]),
    ("NW008",
     [netpol("db", "prod", {"podSelector": {"matchLabels": {"role": "db"}}, "ingress": [{"from": [
         {"ipBlock": {"cidr": "10.244.1.0/24"}}]}]})],
     [netpol("db", "prod", {"podSelector": {"matchLabels": {"role": "db"}}, "ingress": [{"from": [
         {"ipBlock": {"cidr": "192.168.0.0/16"}}]}]})]),
    ("NW009",
     [netpol("db", "prod", {"podSelector": {"matchLabels": {"role": "db"}}, "ingress": [
         {"ports": [{"port": "mysql"}]}]})],
     [netpol("db", "prod", {"podSelector": {"matchLabels": {"role": "db"}}, "ingress": [
         {"ports": [{"port": "postgres"}]}]})]),
    ("NW010", [pod("agent", "prod", "10.244.1.50", host_network=True, app="agent"),
               netpol("agent", "prod", {"podSelector": {"matchLabels": {"app": "agent"}}})],
     [pod("agent", "prod", "10.244.1.50", app="agent"),
      netpol("agent", "prod", {"podSelector": {"matchLabels": {"app": "agent"}}})]),
    ("NW011", [], [netpol("deny", "prod", {"podSelector": {}}),
                   netpol("deny", "dev", {"podSelector": {}})]),
]


@pytest.mark.parametrize(("check", "bad", "good"), CASES, ids=[c[0] for c in CASES])
def test_check_triggers_and_not(load: Any, check: str, bad: list[Any], good: list[Any]) -> None:
    found = ids(load(*base(), *bad), check)
    assert found, f"{check} should fire"
    f = found[0]
    assert f.location is not None and f.location.line > 0
    assert f.message and f.fix and CATALOG[check].why
    assert not ids(load(*base(), *good), check), f"{check} should not fire"


def test_dash_or_severity_follows_the_cluster(load: Any) -> None:
    # prod/api exists: the OR admits it and all of dev, plausible on purpose.
    found = ids(load(*base(), netpol("db", "prod", _dash(True))), "NW001")
    assert found[0].severity is Severity.WARNING
    # Without prod/api the podSelector item matches nothing and the AND would admit dev/api.
    docs = [d for d in base() if d["metadata"].get("namespace") != "prod"
            or d["metadata"]["name"] != "api"]
    found = ids(load(*docs, netpol("db", "prod", _dash(True))), "NW001")
    assert found[0].severity is Severity.ERROR
    assert "dev/api" in found[0].message


def test_unlabelled_namespace_suggests_the_existing_label(load: Any) -> None:
    cluster = load(*base(), *CASES[2][1])
    f = ids(cluster, "NW003")[0]
    assert f.severity is Severity.ERROR
    assert "kubernetes.io/metadata.name: dev" in f.fix


def test_dns_blocked_uses_kube_dns_when_present(load: Any) -> None:
    dns = [ns("kube-system"), pod("coredns", "kube-system", "10.244.3.2",
                                  **{"k8s-app": "kube-dns"})]
    only_dns_ns = {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
        {"to": [{"namespaceSelector": {"matchLabels": {
            "kubernetes.io/metadata.name": "kube-system"}}}],
         "ports": [{"protocol": "UDP", "port": 53}]}]}
    assert ids(load(*base(), *dns, netpol("deny", "prod", DENY_ALL)), "NW005")
    assert not ids(load(*base(), *dns, netpol("deny", "prod", DENY_ALL),
                        netpol("dns", "prod", only_dns_ns)), "NW005")


CALICO_TIER = {"apiVersion": "projectcalico.org/v3", "kind": "Tier",
               "metadata": {"name": "security"}, "spec": {"order": 100}}


def _calico(name: str, rules: list[dict[str, Any]], tier: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"selector": "role == 'db'", "types": ["Ingress"], "ingress": rules,
                            "order": 10}
    if tier:
        spec["tier"] = tier
    return {"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": "prod"}, "spec": spec}


API = {"source": {"selector": "app == 'api'"}}


def test_calico_deny_after_covering_allow(load: Any) -> None:
    bad = _calico("p", [{"action": "Allow", **API}, {"action": "Deny", **API,
                                                     "protocol": "TCP"}])
    good = _calico("p", [{"action": "Deny", **API, "protocol": "TCP"},
                         {"action": "Allow", **API}])
    assert ids(load(*base(), bad), "NW012")
    assert not ids(load(*base(), good), "NW012")


def test_calico_pass_in_last_tier(load: Any) -> None:
    bad = _calico("security.p", [{"action": "Pass", **API}], tier="security")
    # A Pass in the security tier, followed by the default tier, is fine.
    good = [bad, netpol("db", "prod", ALLOW_API)]
    assert ids(load(*base(), CALICO_TIER, bad), "NW013")
    assert not ids(load(*base(), CALICO_TIER, *good), "NW013")


def test_calico_rules_after_catch_all_are_unreachable(load: Any) -> None:
    bad = _calico("p", [{"action": "Deny"}, {"action": "Allow", **API}])
    good = _calico("p", [{"action": "Allow", **API}, {"action": "Deny"}])
    assert ids(load(*base(), bad), "NW014")
    assert not ids(load(*base(), good), "NW014")


def test_seed_examples_are_caught() -> None:
    aks = lint(load_cluster(["examples/seed-aks/cluster.yaml", "examples/seed-aks/variants"]))
    assert any(f.id == "NW001" and f.severity is Severity.ERROR for f in aks)
    db = lint(load_cluster(["examples/seed-db-api/cluster.yaml",
                            "examples/seed-db-api/policies/07-dash-makes-or.yaml"]))
    assert any(f.id == "NW001" and f.severity is Severity.ERROR for f in db)


def test_every_check_has_a_test() -> None:
    # NW015-NW018 (cluster-wide policies) are tested in tests/anp/test_anp_lint.py,
    # NW019-NW021 (Services) in tests/services/test_service_lint.py,
    # NW022 (ipBlocks over invented addresses) in tests/cli/test_consistency.py
    tested = {c[0] for c in CASES} | {"NW012", "NW013", "NW014", "NW015", "NW016", "NW017",
                                      "NW018", "NW019", "NW020", "NW021", "NW022"}
    assert tested == set(CATALOG)
