"""seed-calico-reference: team-netpol in org-1 (seed 002; the Kubernetes policy only)."""

from __future__ import annotations

import pytest

from netwarden import load_engine

from .walkthroughs import EXAMPLES, assert_walkthrough, walkthroughs

EX = EXAMPLES / "seed-calico-reference"
CASES = walkthroughs("seed-calico-reference")


@pytest.mark.parametrize("w", CASES, ids=[w.id for w in CASES])
def test_connectivity(w):
    assert_walkthrough(w)


def test_egress_type_without_rules_blocks_org_1_dns():
    e = load_engine([EX / "cluster.yaml", EX / "policies/01-team-netpol.yaml"])
    verdict = e.check("org-1/web-1", "kube-system/coredns", "UDP", 53)
    assert not verdict.allowed
    assert "org-1/team-netpol" in verdict.egress.reason
