"""Revocation with real packets: an admin policy that starts denying cuts open connections."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from netwarden.lab import Lab

from ..lab_fixtures import ENFORCER, lab_up

pytestmark = pytest.mark.lab  # skipped without root by this directory's conftest


def _pod(name: str, ip: str) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": name, "namespace": "shop", "labels": {"app": name}},
                       "spec": {"containers": [{"name": "c"}]}, "status": {"podIP": ip}})


DENY_A_TO_B = """
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: a-never-b}
spec:
  tier: Admin
  priority: 1
  subject: {pods: {podSelector: {matchLabels: {app: a}}}}
  egress:
  - action: Deny
    to: [{pods: {podSelector: {matchLabels: {app: b}}}}]
"""


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    (tmp_path / "pods.yaml").write_text("\n---\n".join(
        [_pod("a", "10.71.0.1"), _pod("b", "10.71.0.2"), _pod("c", "10.71.0.3")]))
    (tmp_path / "cnp.yaml").write_text(DENY_A_TO_B)
    return tmp_path


@pytest.fixture
def lab(manifests: Path) -> Iterator[Lab]:
    with lab_up([manifests / "pods.yaml"]) as built:
        yield built


def test_admin_deny_revokes_the_open_connection_it_now_denies(lab: Lab, manifests: Path) -> None:
    with lab.hold("shop/a", "shop/b", 80, interval=0.05, stall=0.4) as a_b, \
            lab.hold("shop/c", "shop/b", 80, interval=0.05, stall=3.0) as c_b:
        time.sleep(0.3)
        assert a_b.alive and c_b.alive
        report = ENFORCER.apply_policies(lab, [manifests / "cnp.yaml"])
        assert a_b.wait_broken(2.0), a_b.reason
        time.sleep(1.0)
        assert c_b.alive, c_b.reason
    revoked = {(str(e.src), str(e.dst), e.dport) for _, e in report.revoked}
    assert revoked == {("10.71.0.1", "10.71.0.2", 80)}
