"""``netwarden check`` and ``explain`` on Calico scenarios: the path is shown, not only the verdict.

``check`` prints, per side, the tiers visited, Log hits, the rule that
decided (Allow/Deny/Pass) or the end of the tier; ``explain`` prints each
policy's notes, including how ``types`` was defaulted.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from netwarden.cli import main

from .calico_helpers import BASE, CRD

TIERED = """
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.guard}
spec:
  tier: security
  order: 10
  selector: app == 'web'
  types: [Ingress]
  ingress:
  - {action: Log, protocol: TCP}
  - {action: Deny, source: {selector: app == 'db'}}
  - {action: Pass, source: {namespaceSelector: env == 'dev'}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-client, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: client}}}]}]
"""


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    (tmp_path / "cluster.yaml").write_text(BASE)
    (tmp_path / "policies.yaml").write_text(TIERED)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_check_text_shows_tiers_log_pass_and_the_deciding_rule(
        scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "check", str(scenario), "--from", "dev/client", "--to", "prod/web",
                    "--port", "8080")
    assert code == 0
    lines = [line.strip() for line in out.splitlines() if line.strip().startswith("ingress")]
    assert lines == [
        "ingress tier security: global:security.guard selects prod/web for ingress",
        "ingress logged by global:security.guard ingress[0]: Log from anywhere on TCP",
        "ingress passed to the next tier by global:security.guard ingress[2]: Pass from "
        'endpoints in namespaces where env == "dev" on any protocol and port',
        "ingress tier default: prod/allow-client selects prod/web for ingress",
        "ingress allowed by prod/allow-client ingress[0] from[0]: Allow from pods where "
        'app == "client" in every namespace on any protocol and port',
    ]


def test_check_text_shows_deny_and_end_of_tier(
        scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "check", str(scenario), "--from", "prod/db", "--to", "prod/web",
                    "--port", "8080")
    assert code == 1 and "denied by global:security.guard ingress[1]" in out
    code, out = run(capsys, "check", str(scenario), "--from", "kube-system/dns", "--to",
                    "prod/web", "--port", "8080")
    assert code == 1
    assert ("denied: prod/web is isolated for ingress by global:security.guard (tier security)"
            in out)


def test_check_json_has_the_trace_steps(scenario: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "check", str(scenario), "--from", "dev/client", "--to", "prod/web",
                    "--port", "8080", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["allowed"] is True
    ingress = data["ingress"]
    assert [s["step"] for s in ingress["trace"]] == ["tier", "log", "match", "tier", "match"]
    assert ingress["decided_by"] == "prod/allow-client ingress[0] from[0]"
    assert ingress["policies"] == ["global:security.guard", "prod/allow-client"]


def test_explain_says_which_types_defaulting_applied(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "p.yaml").write_text(textwrap.dedent(f"""\
        apiVersion: {CRD}
        kind: NetworkPolicy
        metadata: {{name: crd-in, namespace: prod}}
        spec:
          selector: app == 'web'
          ingress: [{{action: Allow}}]
        ---
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {{name: v3-in, namespace: prod}}
        spec:
          selector: app == 'db'
          ingress: [{{action: Allow}}]
        """))
    code, out = run(capsys, "explain", str(tmp_path / "p.yaml"))
    assert code == 0
    assert ("note: types defaulted to [Ingress, Egress]: crd.projectcalico.org/v1 objects are "
            "not defaulted and Felix treats empty types as both") in out
    assert ("note: types defaulted to [Ingress] by the projectcalico.org/v3 API: it has no "
            "egress rules") in out
    assert "Egress: nothing is allowed by this policy." in out  # the crd one shuts egress
