"""``PolicyIndex`` looks policies up (by namespace and a label their selector requires)
and finds exactly what testing every policy finds (random small clusters).

The reference below is the definition: walk ``Cluster.evaluation_order`` and keep,
per tier, every policy of the wanted stages (only ``applyOnForward`` ones for
forwarded traffic) that has the direction and ``applies_to`` the endpoint.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from netwarden.ir import (
    Action,
    Cluster,
    Direction,
    Endpoint,
    EndpointKind,
    Labels,
    Namespace,
    Policy,
    PolicyIndex,
    PolicyKind,
    Scope,
    Stage,
    Tier,
)
from netwarden.ir.selector import All, And, Eq, Has, Not, Or, Selector

from ..engine.builders import load_engine, to_yaml
from ..engine.test_properties import PROPERTY, clusters

NAMESPACES = ("n0", "n1", "n2")
KEYS, VALUES = ("app", "tier"), ("a", "b")
TIERS = (Tier("t1", 1.0, Action.PASS), Tier("t2", 2.0),
         Tier("pre", 1.0, Action.PASS, stage=Stage.PRE_DNAT))
Shape = list[tuple[str, list[int]]]

labels = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=2)
equalities = st.builds(Eq, st.sampled_from(KEYS), st.sampled_from(VALUES))
terms: st.SearchStrategy[Selector] = st.one_of(
    equalities, st.builds(Has, st.sampled_from(KEYS)), st.builds(Not, equalities),
    st.just(All()))
selectors: st.SearchStrategy[Selector] = st.one_of(
    terms,
    st.lists(terms, min_size=1, max_size=3).map(lambda ops: And(tuple(ops))),
    st.lists(terms, min_size=1, max_size=2).map(lambda ops: Or(tuple(ops))))
scopes = st.one_of(
    st.builds(Scope, namespace=st.sampled_from(NAMESPACES)),
    st.builds(Scope, namespace_selector=selectors),
    st.just(Scope(global_only=True)),
    st.just(Scope()))


@st.composite
def policies(draw: st.DrawFn, name: str) -> Policy:
    scope = draw(scopes)
    return Policy(
        name, PolicyKind.CALICO_GLOBAL if scope.namespace is None else PolicyKind.CALICO,
        scope.namespace, draw(selectors),
        draw(st.frozensets(st.sampled_from(Direction), min_size=1)),
        tier=draw(st.sampled_from([t.name for t in TIERS])),
        order=draw(st.sampled_from((None, 1.0, 2.0))), scope=scope,
        applies_to_kinds=draw(st.frozensets(
            st.sampled_from((EndpointKind.POD, EndpointKind.HOST)), min_size=1)),
        apply_on_forward=draw(st.booleans()))


@st.composite
def endpoints(draw: st.DrawFn, i: int) -> Endpoint:
    if draw(st.booleans()):
        ns = draw(st.sampled_from(NAMESPACES))
        return Endpoint(f"{ns}/p{i}", EndpointKind.POD, f"p{i}", ns, Labels(draw(labels)),
                        host_network=draw(st.booleans()))
    return Endpoint(f"host/n{i}/eth0", EndpointKind.HOST, f"n{i}-eth0", labels=Labels(
        draw(labels)), node=f"n{i}", interface="eth0")


@st.composite
def ir_clusters(draw: st.DrawFn) -> Cluster:
    """Calico-shaped clusters: every kind of scope, selectors with and without a required
    label, tiers of two stages, pods and host endpoints."""
    namespaces = {ns: Namespace(ns, Labels(draw(labels))) for ns in NAMESPACES}
    return Cluster(endpoints=tuple(draw(endpoints(i)) for i in range(draw(st.integers(1, 5)))),
                   policies=tuple(draw(policies(f"p{i}"))
                                  for i in range(draw(st.integers(0, 6)))),
                   namespaces=namespaces, tiers=TIERS)


def _scanned(cluster: Cluster, endpoint: Endpoint, direction: Direction, forwarded: bool,
             stages: frozenset[Stage] | None) -> Shape:
    if not endpoint.is_policed:
        return []
    out = []
    for tier, candidates in cluster.evaluation_order:
        chosen = [id(p) for p in candidates
                  if (stages is None or tier.stage in stages)
                  and (p.apply_on_forward or not forwarded) and direction in p.types
                  and p.applies_to(endpoint, cluster.ns_labels)]
        if chosen:
            out.append((tier.name, chosen))
    return out


def _looked_up(index: PolicyIndex, endpoint: Endpoint, direction: Direction, forwarded: bool,
               stages: frozenset[Stage] | None) -> Shape:
    return [(tier.name, [id(p) for p in ps])
            for tier, ps in index.layers(endpoint, direction, forwarded, stages)]


def _assert_lookup_is_the_scan(cluster: Cluster) -> None:
    index = PolicyIndex(cluster)
    for endpoint in cluster.endpoints:
        for direction in Direction:
            for forwarded in (False, True):
                for stages in (None, frozenset({Stage.NORMAL})):
                    assert _looked_up(index, endpoint, direction, forwarded, stages) == \
                        _scanned(cluster, endpoint, direction, forwarded, stages), (
                            endpoint.key, direction, forwarded, stages)


@PROPERTY
@given(ir_clusters())
def test_the_lookup_finds_what_the_scan_finds_on_calico_shaped_clusters(
        cluster: Cluster) -> None:
    _assert_lookup_is_the_scan(cluster)


@PROPERTY
@given(clusters())
def test_the_lookup_finds_what_the_scan_finds_on_network_policy_clusters(
        cluster: tuple[list[dict[str, object]], list[dict[str, object]]]) -> None:
    docs, pols = cluster
    _assert_lookup_is_the_scan(load_engine(to_yaml(docs), to_yaml(pols)).cluster)
