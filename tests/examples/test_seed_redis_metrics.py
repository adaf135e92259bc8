"""seed-redis-metrics: allow-redis-nodejs and allow-metrics-prom, Kubernetes form (seed 002)."""

from __future__ import annotations

import pytest

from netwarden import load_engine

from .walkthroughs import EXAMPLES, assert_walkthrough, walkthroughs

EX = EXAMPLES / "seed-redis-metrics"
CASES = walkthroughs("seed-redis-metrics")


@pytest.mark.parametrize("w", CASES, ids=[w.id for w in CASES])
def test_connectivity(w):
    assert_walkthrough(w)


def test_php_to_redis_denied_by_allow_redis_nodejs():
    e = load_engine([EX / "cluster.yaml", EX / "policies/01-allow-redis-nodejs.yaml"])
    verdict = e.check("default/php", "default/redis", "TCP", 6379)
    assert not verdict.allowed
    assert "default/allow-redis-nodejs" in verdict.ingress.reason


def test_nodejs_is_not_isolated_by_being_named_in_a_rule():
    """The article says every selector mentioned becomes isolated; only spec.podSelector does."""
    e = load_engine([EX / "cluster.yaml", EX / "policies/01-allow-redis-nodejs.yaml"])
    verdict = e.check("default/php", "default/nodejs", "TCP", 80)
    assert verdict.allowed
    assert "not isolated for ingress" in verdict.ingress.reason


def test_metrics_policy_alone_cuts_nodejs_from_redis():
    e = load_engine([EX / "cluster.yaml", EX / "policies/02-allow-metrics-prom.yaml"])
    verdict = e.check("default/nodejs", "default/redis", "TCP", 6379)
    assert not verdict.allowed
    assert "default/allow-metrics-prom" in verdict.ingress.reason
