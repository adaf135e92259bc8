"""Differential: random small clusters and policies, lab observed == engine expected.

The pods' names and addresses are fixed (one lab for every example); their
labels, the namespaces' labels and the policies are drawn by hypothesis.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from netwarden.lab import Lab
from netwarden.lab.observe import flush_conntrack, observe_many

from ..lab_fixtures import ENFORCER, lab_for
from .labtools import cluster_from_text, grid

pytestmark = pytest.mark.lab

NAMESPACES = ("n1", "n2")
PODS = {f"{ns}/p{i}": f"10.72.{j}.{i}" for j, ns in enumerate(NAMESPACES, 1) for i in (1, 2, 3)}
VALUES = ("x", "y")
PORTS = (80, 81)

labels = st.dictionaries(st.sampled_from(("app", "tier")), st.sampled_from(VALUES), max_size=2)
selector = st.dictionaries(st.sampled_from(("app", "tier")), st.sampled_from(VALUES), max_size=1)
peer = st.one_of(
    st.builds(lambda s: {"podSelector": {"matchLabels": s}}, selector),
    st.builds(lambda s: {"namespaceSelector": {"matchLabels": s}}, selector),
    st.builds(lambda a, b: {"namespaceSelector": {"matchLabels": a},
                            "podSelector": {"matchLabels": b}}, selector, selector),
    st.builds(lambda ip, n: {"ipBlock": {"cidr": f"{ip}/{n}"}},
              st.sampled_from(sorted(PODS.values())), st.sampled_from((32, 24, 16))),
)
port = st.one_of(st.builds(lambda p, pr: {"port": p, "protocol": pr},
                           st.sampled_from(PORTS), st.sampled_from(("TCP", "UDP"))),
                 st.builds(lambda pr: {"protocol": pr}, st.sampled_from(("TCP", "UDP"))))
rule = st.fixed_dictionaries({}, optional={"peers": st.lists(peer, max_size=2),
                                           "ports": st.lists(port, min_size=1, max_size=2)})
policy = st.fixed_dictionaries({
    "ns": st.sampled_from(NAMESPACES),
    "select": selector,
    "ingress": st.none() | st.lists(rule, max_size=2),
    "egress": st.none() | st.lists(rule, max_size=2),
})


def _rules(rules: list[dict[str, object]], key: str) -> list[dict[str, object]]:
    out = []
    for r in rules:
        item: dict[str, object] = {}
        if "peers" in r:
            item[key] = r["peers"]
        if "ports" in r:
            item["ports"] = r["ports"]
        out.append(item)
    return out


def manifests(pod_labels: list[dict[str, str]], ns_labels: list[dict[str, str]],
              policies: list[dict[str, object]]) -> list[str]:
    docs = [json.dumps({"apiVersion": "v1", "kind": "Namespace",
                        "metadata": {"name": ns, "labels": lab}})
            for ns, lab in zip(NAMESPACES, ns_labels, strict=True)]
    for (key, ip), lab in zip(PODS.items(), pod_labels, strict=True):
        ns, name = key.split("/")
        docs.append(json.dumps({"apiVersion": "v1", "kind": "Pod",
                                "metadata": {"name": name, "namespace": ns, "labels": lab},
                                "spec": {"containers": [{"name": "c", "image": "x"}]},
                                "status": {"podIP": ip}}))
    for i, p in enumerate(policies):
        spec: dict[str, object] = {"podSelector": {"matchLabels": p["select"]},
                                   "policyTypes": []}
        for kind, key in (("ingress", "from"), ("egress", "to")):
            if p[kind] is not None:
                spec["policyTypes"].append(kind.capitalize())  # type: ignore[attr-defined]
                spec[kind] = _rules(p[kind], key)  # type: ignore[arg-type]
        docs.append(json.dumps({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                                "metadata": {"name": f"p{i}", "namespace": p["ns"]},
                                "spec": spec}))
    return docs


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    base = cluster_from_text(*manifests([{}] * len(PODS), [{}, {}], []))
    with lab_for(base, ports=[(p, proto) for p in PORTS for proto in (6, 17)]) as built:
        yield built


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture], derandomize=True,
          phases=(Phase.explicit, Phase.generate))  # shrinking re-probes for minutes
@given(pod_labels=st.lists(labels, min_size=len(PODS), max_size=len(PODS)),
       ns_labels=st.lists(labels, min_size=2, max_size=2),
       policies=st.lists(policy, min_size=1, max_size=3),
       service=st.sampled_from((("TCP", 80), ("UDP", 81))))
def test_lab_agrees_with_the_engine(lab: Lab, pod_labels: list[dict[str, str]],
                                    ns_labels: list[dict[str, str]],
                                    policies: list[dict[str, object]],
                                    service: tuple[str, int]) -> None:
    cluster = cluster_from_text(*manifests(pod_labels, ns_labels, policies))
    ENFORCER.enforce(lab, cluster)
    flush_conntrack(lab)  # each case starts with no tracked flows
    other = ("UDP", service[1]) if service[0] == "TCP" else ("TCP", service[1])
    for obs in observe_many(lab, cluster, [service, other], timeout=1.0):
        assert grid(obs, "observed") == grid(obs, "expected"), obs.protocol
