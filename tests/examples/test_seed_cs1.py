"""seed-cs1: the numbered cs1/default examples and the deny/allow snippets (seed 002)."""

from __future__ import annotations

import pytest

from netwarden import load_engine

from .walkthroughs import EXAMPLES, assert_walkthrough, walkthroughs

EX = EXAMPLES / "seed-cs1"
CASES = walkthroughs("seed-cs1")


@pytest.mark.parametrize("w", CASES, ids=[w.id for w in CASES])
def test_connectivity(w):
    assert_walkthrough(w)


def engine(step: str):
    return load_engine([EX / "cluster.yaml", EX / "policies" / step])


def test_example_4_excepted_address_is_unreachable():
    verdict = engine("06-restrict-ip.yaml").check("default/other", "192.168.94.134", "ICMP")
    assert not verdict.allowed
    assert "default/deny-all" in verdict.egress.reason


def test_example_6_blocks_all_egress_of_default():
    verdict = engine("08-namespace-label-in.yaml").check("default/web", "cs1/cs1-a", "TCP", 80)
    assert not verdict.allowed
    assert not verdict.egress.allowed
    assert "default/namespace-allow" in verdict.egress.reason


def test_example_7_label_in_other_namespace_does_not_count():
    verdict = engine("09-pod-label.yaml").check("cs1/cs1-a", "default/other", "TCP", 80)
    assert not verdict.allowed
    assert "default/namespace-allow" in verdict.ingress.reason
