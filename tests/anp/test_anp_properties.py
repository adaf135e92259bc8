"""Properties of cluster-wide policies on random small clusters (hypothesis, bounded).

(a) An AdminNetworkPolicy that Allows everything for a subject makes
    NetworkPolicy irrelevant for it: every connection leaving or entering a
    subject pod is allowed on the subject's side, whatever NetworkPolicies say.
(b) Admin and baseline policies that decide nothing (only Pass rules, or rules
    matching nothing) leave exactly the NetworkPolicy-only connectivity; and
    removing every ANP/BANP from a snapshot gives exactly the cluster compiled
    without them.
(c) ``Connectivity`` agrees with ``Engine.check`` when ANP/BANP mix with NPs.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from netwarden.compile import compile_snapshot
from netwarden.engine import Connectivity, Engine
from netwarden.ir import Cluster
from netwarden.ir.services import protocol_number
from netwarden.load import load_texts

from ..engine.builders import to_yaml
from ..engine.test_properties import NAMESPACES, PROPERTY, SERVICES, clusters

Doc = dict[str, Any]
V1 = "policy.networking.k8s.io/v1alpha1"


def _cluster(*texts: str) -> Cluster:
    return compile_snapshot(load_texts([(f"p{i}.yaml", t) for i, t in enumerate(texts) if t]))


def _subject(namespace: str) -> Doc:
    return {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}


def _anp(name: str, priority: int, subject: Doc, ingress: list[Doc], egress: list[Doc]) -> Doc:
    return {"apiVersion": V1, "kind": "AdminNetworkPolicy", "metadata": {"name": name},
            "spec": {"priority": priority, "subject": subject, "ingress": ingress,
                     "egress": egress}}


def _matrix(cluster: Cluster) -> dict[tuple[str, str], str]:
    conn = Connectivity(cluster)
    return {(s.key, d.key): str(conn.between(s, d)) for s in cluster.pods for d in cluster.pods}


@PROPERTY
@given(clusters(), st.sampled_from(NAMESPACES[:2]), st.integers(0, 1000))
def test_an_allow_everything_anp_makes_network_policy_irrelevant(
    cluster: tuple[list[Doc], list[Doc]], namespace: str, priority: int
) -> None:
    docs, pols = cluster
    everyone = {"namespaces": {}}
    anp = _anp("allow-all", priority, _subject(namespace),
               [{"action": "Allow", "from": [everyone]}],
               [{"action": "Allow", "to": [everyone, {"networks": ["0.0.0.0/0"]}]}])
    engine = Engine(_cluster(to_yaml(docs), to_yaml(pols), to_yaml([anp])))
    for src in engine.cluster.pods:
        for dst in engine.cluster.pods:
            for proto, port in SERVICES:
                verdict = engine.check(src, dst, proto, port)
                if src.namespace == namespace and verdict.egress is not None:
                    assert verdict.egress.allowed, (src.key, dst.key, proto, port)
                if dst.namespace == namespace and verdict.ingress is not None:
                    assert verdict.ingress.allowed, (src.key, dst.key, proto, port)


@st.composite
def deciding_nothing(draw: st.DrawFn) -> list[Doc]:
    """ANPs of Pass rules and a BANP whose rules match no pod (a namespace that does not exist)."""
    out: list[Doc] = []
    for i in range(draw(st.integers(1, 3))):
        peer = draw(st.sampled_from(({"namespaces": {}}, {"networks": ["10.0.0.0/24"]})))
        out.append(_anp(f"pass-{i}", draw(st.integers(0, 1000)),
                        _subject(draw(st.sampled_from(NAMESPACES))),
                        [{"action": "Pass", "from": [{"namespaces": {}}]}],
                        [{"action": "Pass", "to": [peer]}]))
    nowhere = {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "nowhere"}}}
    out.append({"apiVersion": V1, "kind": "BaselineAdminNetworkPolicy",
                "metadata": {"name": "default"},
                "spec": {"subject": {"namespaces": {}},
                         "ingress": [{"action": "Deny", "from": [nowhere]}],
                         "egress": [{"action": "Deny", "to": [nowhere]}]}})
    return out


@PROPERTY
@given(clusters(), deciding_nothing())
def test_admin_policies_that_decide_nothing_leave_the_network_policy_matrix(
    cluster: tuple[list[Doc], list[Doc]], admin: list[Doc]
) -> None:
    docs, pols = cluster
    only_np = _cluster(to_yaml(docs), to_yaml(pols))
    with_admin = _cluster(to_yaml(docs), to_yaml(pols), to_yaml(admin))
    assert _matrix(with_admin) == _matrix(only_np)


@PROPERTY
@given(clusters(), deciding_nothing())
def test_removing_every_admin_policy_gives_the_network_policy_only_cluster(
    cluster: tuple[list[Doc], list[Doc]], admin: list[Doc]
) -> None:
    docs, pols = cluster
    snapshot = load_texts([("c.yaml", to_yaml(docs)), ("p.yaml", to_yaml(pols)),
                           ("a.yaml", to_yaml(admin))])
    assert snapshot.cluster_policies
    removed = compile_snapshot(dataclasses.replace(snapshot, cluster_policies=()))
    assert _matrix(removed) == _matrix(_cluster(to_yaml(docs), to_yaml(pols)))


@st.composite
def admin_policies(draw: st.DrawFn) -> list[Doc]:
    actions = ("Allow", "Deny", "Pass")
    peers = ({"namespaces": {}}, {"networks": ["10.0.0.0/29"]},
             {"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "a"}}}})
    ports = (None, [{"portNumber": {"protocol": "TCP", "port": 80}}],
             [{"namedPort": "http"}], [{"portRange": {"protocol": "UDP", "start": 79,
                                                      "end": 81}}])
    out: list[Doc] = []

    def rules(key: str) -> list[Doc]:
        made = []
        for _ in range(draw(st.integers(0, 2))):
            usable = peers if key == "to" else peers[::2]  # no networks peers in ingress
            rule: Doc = {"action": draw(st.sampled_from(actions)),
                         key: [draw(st.sampled_from(usable))]}
            chosen = draw(st.sampled_from(ports))
            if chosen is not None and not ("networks" in rule[key][0] and
                                           "namedPort" in chosen[0]):
                rule["ports"] = chosen
            made.append(rule)
        return made

    for i in range(draw(st.integers(1, 2))):
        out.append(_anp(f"anp-{i}", draw(st.integers(0, 3)),
                        _subject(draw(st.sampled_from(NAMESPACES))), rules("from"), rules("to")))
    return out


@PROPERTY
@given(clusters(), admin_policies())
def test_connectivity_matches_per_packet_checks_with_admin_policies(
    cluster: tuple[list[Doc], list[Doc]], admin: list[Doc]
) -> None:
    docs, pols = cluster
    engine = Engine(_cluster(to_yaml(docs), to_yaml(pols), to_yaml(admin)))
    conn = engine.connectivity
    for src in engine.cluster.pods:
        for dst in engine.cluster.pods:
            services = conn.between(src, dst)
            for proto, number in SERVICES:
                expected = engine.check(src, dst, proto, number).allowed
                assert services.contains(protocol_number(proto), number) == expected, (
                    src.key, dst.key, proto, number)
