"""seed-bookstore: the api-allow policy of seed 001."""

from __future__ import annotations

import pytest

from netwarden import load_engine

from .walkthroughs import EXAMPLES, assert_walkthrough, walkthroughs

EX = EXAMPLES / "seed-bookstore"
CASES = walkthroughs("seed-bookstore")


@pytest.mark.parametrize("w", CASES, ids=[w.id for w in CASES])
def test_connectivity(w):
    assert_walkthrough(w)


def test_inventory_in_another_namespace_is_not_selected():
    """"podSelector of an ingress rule can only select pods in the same namespace"."""
    e = load_engine([EX / "cluster.yaml", EX / "policies/01-api-allow.yaml"])
    verdict = e.check("other/inventory", "default/bookstore-api", "TCP", 80)
    assert not verdict.allowed
    assert "default/api-allow" in verdict.ingress.reason
    assert e.allows("default/inventory", "default/bookstore-api", "TCP", 80)


def test_the_api_can_reply_but_connecting_out_is_a_separate_question():
    """Connections, not packets: the API is not isolated for egress, so it may connect out."""
    e = load_engine([EX / "cluster.yaml", EX / "policies/01-api-allow.yaml"])
    assert e.allows("default/bookstore-api", "default/coffeeshop", "TCP", 80)
    assert not e.allows("default/coffeeshop", "default/bookstore-api", "TCP", 80)
