"""Semantic diff, external ranges and the reachability queries."""

from __future__ import annotations

import csv
import io
import itertools
import json
from typing import Any

import yaml

from netwarden.analysis.diff import diff
from netwarden.analysis.external import OTHER_V4, ExternalConnectivity, ranges
from netwarden.analysis.queries import reachable_from, resolve, who_can_reach

from .analysis_manifests import base, netpol, pod

DENY_PROD = netpol("deny", "prod", {"podSelector": {}})


def test_ranges_are_disjoint_and_cover_everything() -> None:
    out = ranges(["10.0.0.0/8"], ["10.0.5.0/24"])
    spans = sorted(s for r in out for s in r.spans)
    assert spans[0][0] == 0 and spans[-1][1] == 2**32 - 1
    assert all(a[1] + 1 == b[0] for a, b in itertools.pairwise(spans))
    assert [r.name for r in out][-1] == OTHER_V4
    assert "10.0.5.0/24" in [r.name for r in out]


def test_default_deny_diff_is_one_line(load: Any) -> None:
    report = diff(load(*base()), load(*base(), DENY_PROD))
    assert not report.gained
    assert [(c.kind, c.destination_label, str(c.services)) for c in report.changes] == [
        ("lost", "prod/*", "all")]
    assert report.changes[0].source_label.startswith("* (every pod)")


def test_gained_connection_and_parse_back(load: Any) -> None:
    allow = netpol("db", "prod", {"podSelector": {"matchLabels": {"role": "db"}}, "ingress": [
        {"from": [{"podSelector": {"matchLabels": {"app": "api"}}}],
         "ports": [{"port": 5432}]}]})
    report = diff(load(*base(), DENY_PROD), load(*base(), DENY_PROD, allow))
    assert report.gained
    (change,) = report.changes
    assert (change.source_label, change.destination_label, str(change.services)) == (
        "prod/api", "prod/db", "TCP 5432")
    data = report.to_data()
    assert json.loads(json.dumps(data)) == yaml.safe_load(yaml.safe_dump(data)) == data
    assert data["changes"][0]["services"] == [{"protocol": "TCP", "ports": [[5432, 5432]]}]
    rows = list(csv.DictReader(io.StringIO(report.to_csv())))
    assert rows == [{"change": "gained", "from": "prod/api", "to": "prod/db", "protocol": "TCP",
                     "ports": "5432", "from_members": "prod/api", "to_members": "prod/db",
                     "policies": "prod/db (added)"}]
    assert "| ➕ gained | prod/api | prod/db | TCP 5432 |" in report.to_markdown()


def test_pods_only_on_one_side_are_listed(load: Any) -> None:
    report = diff(load(*base()), load(*base(), pod("new", "dev", "10.244.2.20")))
    assert report.only_in_b == ("dev/new",) and not report.changes


def test_external_range_nodes(load: Any) -> None:
    egress = netpol("db", "prod", {"podSelector": {"matchLabels": {"role": "db"}},
                                   "policyTypes": ["Egress"], "egress": [
        {"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.0.5.0/24"]}}],
         "ports": [{"protocol": "UDP", "port": 53}]}]})
    conn = ExternalConnectivity(load(*base(), egress))
    db = conn.cluster.endpoint("prod/db")
    assert db is not None
    names = {e.key: str(conn.between(db, e)) for e in conn.external}
    assert names["10.0.5.0/24"] == "none"
    assert names[OTHER_V4] == "none"
    allowed = [n for n, s in names.items() if s == "UDP 53"]
    assert len(allowed) == 1 and allowed[0].startswith("10.0.0.0")
    report = diff(load(*base()), load(*base(), egress))
    lost = {c.destination_label for c in report.changes}
    assert "10.0.5.0/24" in ", ".join(lost)


def test_who_can_reach_and_reachable_from(load: Any) -> None:
    allow = netpol("db", "prod", {"podSelector": {"matchLabels": {"role": "db"}}, "ingress": [
        {"from": [{"podSelector": {"matchLabels": {"app": "api"}}},
                  {"ipBlock": {"cidr": "192.168.5.10/32"}}], "ports": [{"port": 5432}]}]})
    conn = ExternalConnectivity(load(*base(), allow))
    db = resolve(conn, "prod/db")
    answer = who_can_reach(conn, db, "TCP", 5432)
    assert [p.name for p in answer.peers] == ["prod/api", "192.168.5.10/32"]
    assert who_can_reach(conn, db, "TCP", 80).peers == ()
    out = reachable_from(conn, resolve(conn, "dev/api"))
    assert "prod/db" not in [p.name for p in out.peers]
    data = answer.to_data()
    assert yaml.safe_load(yaml.safe_dump(data)) == data


def test_workload_names(load: Any) -> None:
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": "web", "namespace": "prod"},
              "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {
                  "metadata": {"labels": {"app": "web"}},
                  "spec": {"containers": [{"name": "c", "image": "x"}]}}}}
    conn = ExternalConnectivity(load(deploy, *base()[:3]))
    web = resolve(conn, "prod/Deployment/web")
    peers = [p.name for p in reachable_from(conn, resolve(conn, "prod/db")).peers]
    assert "prod/web" in peers and web.workload == "Deployment/web"
