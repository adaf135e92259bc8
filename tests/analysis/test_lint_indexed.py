"""The indexed lint machinery finds what the plain definitions find (random small clusters).

Lint on thousands of policies looks pods up by label and namespace
(``LintContext.narrowed``), reuses the connectivity map's sides when one rule is
removed (``Connectivity.without_rule``) and compares only the cells a changed
side can reach. Each shortcut is held here to the definition it replaces:

(a) ``narrowed`` keeps every endpoint a peer's or a policy's selector matches;
(b) a map without one rule equals the map of a fresh cluster without it;
(c) a rule of a policy that applies to some pod is reported redundant exactly when
    removing it changes no cell of the class matrix (the semantic definition,
    computed with no shortcut; a policy selecting nothing is NW006's).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import given

from netwarden.analysis.lint_context import LintContext
from netwarden.analysis.redundancy import redundant_rules
from netwarden.engine import Connectivity
from netwarden.ir import Action, Cluster, Direction, Rule

from ..engine.builders import load_engine, to_yaml
from ..engine.test_properties import PROPERTY, clusters

Doc = dict[str, Any]


def _cluster(docs: list[Doc], pols: list[Doc]) -> Cluster:
    return load_engine(to_yaml(docs), to_yaml(pols)).cluster


def _rules(cluster: Cluster) -> list[Rule]:
    return [r for p in cluster.policies for d in Direction for r in p.rules(d)]


def _without(cluster: Cluster, rule: Rule) -> Cluster:
    policies = tuple(replace(p, ingress=tuple(r for r in p.ingress if r is not rule),
                             egress=tuple(r for r in p.egress if r is not rule))
                     for p in cluster.policies)
    return replace(cluster, policies=policies)


@PROPERTY
@given(clusters())
def test_narrowed_keeps_every_endpoint_a_selector_matches(
        cluster: tuple[list[Doc], list[Doc]]) -> None:
    ctx = LintContext(_cluster(*cluster))
    ns_labels = ctx.cluster.ns_labels
    for pool in (ctx.cluster.pods, ctx.cluster.endpoints):
        for peer in ctx.peers():
            m = peer.match
            expected = [e for e in pool if m.selects(e, ns_labels)]
            kept = list(ctx.narrowed(pool, m.selector, m.scope))
            assert [e for e in kept if m.selects(e, ns_labels)] == expected, peer.label
    for policy in ctx.policies:
        assert ctx.selected(policy) == [e for e in ctx.cluster.endpoints
                                        if policy.applies_to(e, ns_labels)], policy.id


@PROPERTY
@given(clusters())
def test_the_map_without_a_rule_is_the_map_of_the_cluster_without_it(
        cluster: tuple[list[Doc], list[Doc]]) -> None:
    compiled = _cluster(*cluster)
    conn = Connectivity(compiled)
    conn.class_matrix()  # the sides a variant may reuse are computed first
    for rule in _rules(compiled):
        variant = conn.without_rule(rule)
        fresh = Connectivity(_without(compiled, rule))
        for src in conn.endpoints:
            for dst in conn.endpoints:
                assert variant.between(src, dst) == fresh.between(src, dst), (
                    str(rule.origin), src.key, dst.key)


@PROPERTY
@given(clusters())
def test_a_rule_is_redundant_exactly_when_removing_it_changes_no_cell(
        cluster: tuple[list[Doc], list[Doc]]) -> None:
    ctx = LintContext(_cluster(*cluster))
    conn = ctx.conn
    found = {id(r.rule) for r in redundant_rules(conn)}
    matrix = conn.class_matrix()
    for policy in ctx.policies:
        for direction in Direction:
            if direction not in policy.types or not any(
                    policy in ps for c in conn.classes
                    for _, ps in conn.index.layers(c.rep, direction)):
                continue   # not applied in this direction: the rule is never looked at
            for rule in policy.rules(direction):
                if rule.action is Action.LOG:
                    continue
                unchanged = conn.without_rule(rule).class_matrix() == matrix
                assert (id(rule) in found) == unchanged, str(rule.origin)
