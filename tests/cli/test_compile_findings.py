"""What compiling finds reaches the user in every command: errors exit 2, warnings print.

A Calico policy in a tier that no manifest declares is refused by Calico's
API, so it is a validation error naming file, line and ``spec.tier``; a
namespace selector that Calico would also apply to non-namespaced endpoints
is a warning that every command prints on stderr.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netwarden.cli import main

PODS = """\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
status: {podIP: 10.244.1.2}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
status: {podIP: 10.244.1.3}
"""

UNDECLARED_TIER = """\
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: guard}
spec:
  order: 10
  tier: security
  selector: app == 'db'
  ingress: [{action: Deny}]
"""

EMPTY_MATCHING_NAMESPACE_SELECTOR = """\
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: open}
spec:
  selector: app == 'db'
  ingress:
  - action: Allow
    source: {namespaceSelector: "team != 'x'"}
"""

COMMANDS = [
    ("validate",),
    ("check", "--from", "prod/web", "--to", "prod/db", "--port", "80"),
    ("matrix",),
    ("lint",),
    ("explain",),
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def manifests(tmp_path: Path, policy: str) -> Path:
    (tmp_path / "pods.yaml").write_text(PODS)
    (tmp_path / "policy.yaml").write_text(policy)
    return tmp_path


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_a_policy_in_an_undeclared_tier_is_invalid_input(
    command: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = manifests(tmp_path, UNDECLARED_TIER)
    code, out, err = run(capsys, command[0], str(path), *command[1:])
    assert code == 2
    assert err.splitlines() == [
        f"error: {path / 'policy.yaml'}:6: spec.tier: tier 'security' is not declared; "
        "Calico rejects a policy whose tier does not exist"]
    assert out == ""


def test_declaring_the_tier_makes_it_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    tier = "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: security}\n---\n"
    path = manifests(tmp_path, tier + UNDECLARED_TIER)
    code, _, err = run(capsys, "validate", str(path))
    assert (code, err) == (0, "")


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_a_namespace_selector_calico_reads_wider_is_a_warning_in_every_command(
    command: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = manifests(tmp_path, EMPTY_MATCHING_NAMESPACE_SELECTOR)
    code, _, err = run(capsys, command[0], str(path), *command[1:])
    assert code in (0, 1)
    assert err.splitlines() == [
        f"warning: {path / 'policy.yaml'}:8: spec.ingress[0].source.namespaceSelector: "
        'team != "x" also matches an empty label set; Calico extends it to non-namespaced '
        "endpoints (host endpoints, global network sets), netwarden does not"]


def test_validate_json_lists_the_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                         ) -> None:
    path = manifests(tmp_path, EMPTY_MATCHING_NAMESPACE_SELECTOR)
    code, out, _ = run(capsys, "validate", str(path), "--format", "json")
    assert code == 0
    (warning,) = json.loads(out)["warnings"]
    assert warning.startswith(f"{path / 'policy.yaml'}:8: spec.ingress[0].source.namespaceSelector")
