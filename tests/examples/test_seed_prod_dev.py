"""seed-prod-dev: Md Shamim's prod/dev walkthrough (seed 000), step by step.

The expected matrices live in ``walkthroughs.py`` (one entry per state of the
walkthrough); this module checks them and a few explanations.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netwarden import Engine, compile_snapshot, load_engine
from netwarden.cli import main
from netwarden.load import load_texts

from .walkthroughs import EXAMPLES, assert_walkthrough, walkthroughs

EX = EXAMPLES / "seed-prod-dev"
CASES = walkthroughs("seed-prod-dev")


@pytest.mark.parametrize("w", CASES, ids=[w.id for w in CASES])
def test_connectivity(w):
    assert_walkthrough(w)


def engine(*steps: str):
    return load_engine([EX / "cluster.yaml", *(EX / "policies" / s for s in steps)])


def test_1_1_denial_names_the_isolating_policy():
    verdict = engine("01-ingress-same-namespace.yaml").check(
        "prod/webserver-3", "prod/webserver-1", "TCP", 80)
    assert not verdict.allowed
    assert verdict.egress is not None and verdict.egress.allowed
    assert verdict.ingress is not None and not verdict.ingress.allowed
    assert "prod/ingress-same-namespace" in verdict.ingress.reason


def test_1_1_egress_of_webserver_1_is_not_isolated():
    verdict = engine("01-ingress-same-namespace.yaml").check(
        "prod/webserver-1", "prod/webserver-3", "TCP", 80)
    assert verdict.allowed
    assert "not isolated for egress" in verdict.egress.reason


def test_1_2_testserver_1_reaches_every_prod_pod_without_default_deny():
    """The article's "YES!": the policy selects webserver-1 only."""
    e = engine("02-ingress-from-dev.yaml")
    for pod in ("webserver-1", "webserver-2", "webserver-3"):
        assert e.allows("dev/testserver-1", f"prod/{pod}", "TCP", 80)
    assert not e.allows("dev/testserver-2", "prod/webserver-1", "TCP", 80)


def test_1_3_default_deny_names_the_policy():
    verdict = engine("02-ingress-from-dev.yaml", "03-default-deny-ingress.yaml").check(
        "dev/testserver-1", "prod/webserver-2", "TCP", 80)
    assert not verdict.allowed
    assert "prod/default-deny-ingress" in verdict.ingress.reason


def test_2_2_egress_denial_is_on_the_source_side():
    verdict = engine("05-egress-to-dev.yaml", "06-default-deny-egress.yaml").check(
        "prod/webserver-2", "dev/testserver-1", "TCP", 80)
    assert not verdict.allowed
    assert not verdict.egress.allowed and verdict.ingress.allowed
    assert "prod/default-deny-egress" in verdict.egress.reason


def test_a_pod_reaches_itself_even_under_default_deny_all():
    verdict = engine("07-default-deny-all.yaml").check(
        "prod/webserver-1", "prod/webserver-1", "TCP", 80)
    assert verdict.allowed
    assert any("itself" in r for r in verdict.reasons)


QA = """\
apiVersion: v1
kind: Namespace
metadata:
  name: qa
---
apiVersion: v1
kind: Pod
metadata:
  name: qaserver-1
  namespace: qa
  labels:
    run: qaserver-1
status:
  podIP: 10.244.3.31
"""


def test_bonus_other_namespaces_cannot_reach_prod():
    """The bonus' "several namespaces": a third one (qa) is shut out of prod, dev is not."""
    files = [EX / "cluster.yaml", EX / "policies/07-default-deny-all.yaml",
             EX / "policies/08-allow-from-dev-namespace.yaml"]
    snapshot = load_texts([(str(f), Path(f).read_text()) for f in files] + [("qa.yaml", QA)])
    e = Engine(compile_snapshot(snapshot))
    assert not e.allows("qa/qaserver-1", "prod/webserver-1", "TCP", 80)
    assert e.allows("dev/testserver-2", "prod/webserver-1", "TCP", 80)
    assert e.allows("qa/qaserver-1", "dev/testserver-1", "TCP", 80)
    assert not e.allows("prod/webserver-1", "qa/qaserver-1", "TCP", 80)


@pytest.mark.parametrize(("src", "dst", "code"), [
    ("dev/testserver-1", "prod/webserver-1", 0),
    ("dev/testserver-2", "prod/webserver-1", 1),
], ids=["testserver-1-allowed", "testserver-2-denied"])
def test_cli_check_step_1_2(src, dst, code, capsys):
    paths = [str(EX / "cluster.yaml"), str(EX / "policies/02-ingress-from-dev.yaml")]
    assert main(["check", *paths, "--from", src, "--to", dst, "--port", "80"]) == code
    out = capsys.readouterr().out
    assert ("ALLOWED" if code == 0 else "DENIED") in out
