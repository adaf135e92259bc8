"""seed-banzai: Banzai Cloud's network policy walkthrough (in seed 002)."""

from __future__ import annotations

import pytest

from netwarden import ValidationError, load_engine
from netwarden.load import load_snapshot

from .walkthroughs import EXAMPLES, assert_walkthrough, walkthroughs

EX = EXAMPLES / "seed-banzai"
CASES = walkthroughs("seed-banzai")


@pytest.mark.parametrize("w", CASES, ids=[w.id for w in CASES])
def test_connectivity(w):
    assert_walkthrough(w)


def engine(*steps: str):
    return load_engine([EX / "cluster.yaml", *(EX / "policies" / s for s in steps)])


def test_deny_all_ping_is_denied_on_both_sides():
    verdict = engine("01-deny-all.yaml").check("default/busybox2", "default/busybox1", "ICMP")
    assert not verdict.allowed
    assert not verdict.egress.allowed and not verdict.ingress.allowed
    assert "default/deny-all" in verdict.ingress.reason


def test_allow_out_to_in_only_one_way():
    e = engine("01-deny-all.yaml", "05-allow-out-to-in.yaml")
    assert e.allows("default/busybox2", "default/busybox1", "ICMP")
    verdict = e.check("default/busybox1", "default/busybox2", "ICMP")
    assert not verdict.allowed
    assert not verdict.egress.allowed   # busybox1 may only connect to test=in pods


def test_staging_curl_cannot_reach_backend():
    verdict = engine("06-staging.yaml").check("staging/curl", "staging/backend", "TCP", 80)
    assert not verdict.allowed
    assert "staging/staging.backend" in verdict.ingress.reason


def test_db_connection_uses_3306_not_3360():
    e = engine("04-db-connection.yaml")
    assert e.allows("default/frontend", "default/db", "TCP", 3306)
    assert not e.allows("default/frontend", "default/db", "TCP", 3360)
    # role=frontend in *another* namespace is not selected by the bare podSelector
    assert not e.allows("staging/frontend", "default/db", "TCP", 3306)


def test_allow_all_as_printed_is_rejected():
    bad = EX / "invalid" / "02-allow-all-as-printed.yaml"
    lines = bad.read_text().splitlines()
    with pytest.raises(ValidationError) as info:
        load_snapshot([bad])
    errors = getattr(info.value, "errors", (info.value,))
    found = {(e.field, e.position.line) for e in errors}
    assert found == {("spec.ingress", lines.index("  ingress: {}") + 1),
                     ("spec.egress", lines.index("  egress: {}") + 1)}
    assert all(e.position.file.endswith("02-allow-all-as-printed.yaml") for e in errors)
    assert "must be a list, got an object" in str(info.value)
