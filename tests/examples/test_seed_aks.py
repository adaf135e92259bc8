"""seed-aks: AKS network policies with a test VM in the VNet (seed 004)."""

from __future__ import annotations

import pytest

from netwarden import load_engine

from .walkthroughs import EXAMPLES, assert_walkthrough, walkthroughs

EX = EXAMPLES / "seed-aks"
CASES = walkthroughs("seed-aks")
ALL = [EX / "cluster.yaml", *(EX / "policies" / f for f in (
    "01-dbpod-policy.yaml", "02-apipod-policy.yaml", "03-apppod-policy.yaml"))]


@pytest.mark.parametrize("w", CASES, ids=[w.id for w in CASES])
def test_connectivity(w):
    assert_walkthrough(w)


def test_step_7_apppod_to_dbpod_denied_by_dbpod_policy():
    verdict = load_engine(ALL[:2]).check("frontend/apppod", "backend/dbpod", "TCP", 80)
    assert not verdict.allowed
    assert "backend/dbpod-policy" in verdict.ingress.reason


def test_step_7_test_vm_is_an_address_outside_the_cluster():
    verdict = load_engine(ALL[:2]).check("10.0.0.4", "backend/dbpod", "TCP", 80)
    assert not verdict.allowed
    assert verdict.egress is None
    assert any("10.0.0.4 is outside the cluster" in r for r in verdict.reasons)


def test_ip_block_of_the_vnet_matches_pod_addresses_too():
    """apppod (10.0.1.20) reaches apipod through the ipBlock 10.0.0.0/16 rule."""
    verdict = load_engine(ALL).check("frontend/apppod", "frontend/apipod", "TCP", 80)
    assert verdict.allowed
    assert "frontend/apppod-policy" in " ".join(verdict.reasons)
