"""Regressions: engine and CLI bugs found while adding Calico host endpoints.

Minimal manifest: one HostEndpoint and one GlobalNetworkPolicy selecting it.
"""

from __future__ import annotations

from pathlib import Path

from netwarden.cli import main

from .calico_helpers import engine_of

HEP = """
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: n1-eth0, labels: {role: node}}
spec: {node: n1, interfaceName: eth0, expectedIPs: [192.168.9.1]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: nodes}
spec:
  selector: role == 'node'
  types: [Ingress]
  ingress: [{action: Log}, {action: Allow, protocol: TCP}]
"""


def test_a_host_endpoint_sees_each_global_policy_once() -> None:
    verdict = engine_of(HEP).check("10.0.1.1", "host/n1/eth0", "TCP", 8080)  # not failsafe
    side = verdict.ingress
    assert side is not None
    assert side.policies.count("global:nodes") == 1
    assert [s.kind.value for s in side.steps].count("log") == 1


def test_check_without_port_towards_a_host_endpoint(tmp_path: Path) -> None:
    from .calico_helpers import BASE

    (tmp_path / "c.yaml").write_text(BASE)
    (tmp_path / "h.yaml").write_text(HEP)
    assert main(["check", str(tmp_path), "--from", "prod/web", "--to", "host/n1/eth0"]) == 0
