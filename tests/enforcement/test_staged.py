"""Calico's staged policies: loaded strictly, evaluated as "what would happen", never enforced."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from netwarden import load_cluster
from netwarden._errors import InvalidManifests
from netwarden.cli import main
from netwarden.dataplane.render import Renderer
from netwarden.engine import Engine

PODS = """
apiVersion: v1
kind: Namespace
metadata: {name: prod}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
spec: {containers: [{name: c, image: x, ports: [{containerPort: 5432}]}]}
"""

DENY_DB = """
apiVersion: projectcalico.org/v3
kind: StagedNetworkPolicy
metadata: {name: db, namespace: prod}
spec: {stagedAction: %s, selector: app == 'db', types: [Ingress]}
"""

ENFORCED_DB = """
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: db, namespace: prod}
spec: {selector: app == 'db', types: [Ingress]}
"""

STAGED_K8S = """
apiVersion: projectcalico.org/v3
kind: StagedKubernetesNetworkPolicy
metadata: {name: db-deny, namespace: prod}
spec: {podSelector: {matchLabels: {app: db}}, policyTypes: [Ingress]}
"""

STAGED_GLOBAL = """
apiVersion: projectcalico.org/v3
kind: StagedGlobalNetworkPolicy
metadata: {name: deny-db}
spec: {selector: app == 'db', types: [Ingress]}
"""


def cluster(*texts: str):  # type: ignore[no-untyped-def]
    return load_cluster(["-"], stdin=io.StringIO("".join(f"---\n{t}\n" for t in texts)))


def verdicts(*texts: str) -> tuple[bool, bool | None]:
    """(enforced, staged) verdict of prod/web → prod/db TCP/5432."""
    c = cluster(PODS, *texts)
    enforced = Engine(c).check("prod/web", "prod/db", "TCP", 5432).allowed
    staged = None if c.staged is None else Engine(c.staged).check(
        "prod/web", "prod/db", "TCP", 5432).allowed
    return enforced, staged


@pytest.mark.parametrize(("texts", "expected"), [
    ((), (True, None)),
    ((DENY_DB % "Set",), (True, False)),
    ((DENY_DB % "Set", ENFORCED_DB), (False, False)),
    ((DENY_DB % "Delete", ENFORCED_DB), (False, True)),
    ((DENY_DB % "Delete",), (True, True)),
    ((STAGED_K8S,), (True, False)),
    ((STAGED_GLOBAL,), (True, False)),
], ids=["no staged policy", "Set adds a deny", "Set replaces an equal policy",
        "Delete removes the enforced deny", "Delete of nothing", "staged Kubernetes policy",
        "staged global policy"])
def test_enforced_and_staged_verdicts(texts: tuple[str, ...],
                                      expected: tuple[bool, bool | None]) -> None:
    assert verdicts(*texts) == expected


def test_a_staged_policy_is_never_rendered_into_the_table() -> None:
    c = cluster(PODS, DENY_DB % "Set")
    text = Renderer().render(c, None, {"prod/web": "v1", "prod/db": "v2"}).text()
    assert "db" not in " ".join(line for line in text.splitlines() if "pol-" in line)
    assert not c.policies


@pytest.mark.parametrize(("text", "message"), [
    (DENY_DB % "Apply",
     '<stdin>:22: spec.stagedAction: unsupported value "Apply": must be "Set" or "Delete"'),
    (DENY_DB.replace("types:", "typo:") % "Set",
     "<stdin>:22: spec.typo: unknown field; did you mean types?"),
], ids=["stagedAction", "unknown field"])
def test_a_bad_staged_policy_is_an_error_at_its_field(text: str, message: str) -> None:
    with pytest.raises(InvalidManifests) as failed:
        cluster(PODS, text)
    assert str(failed.value) == message


# -- check: the staged verdict under the enforced one -------------------------------------

def _check(capsys: pytest.CaptureFixture[str], tmp_path: Path, *texts: str,
           fmt: str = "text") -> tuple[int, str]:
    path = tmp_path / "m.yaml"
    path.write_text("".join(f"---\n{t}\n" for t in (PODS, *texts)))
    code = main(["check", str(path), "--from", "prod/web", "--to", "prod/db", "--port", "5432",
                 "-o", fmt])
    return code, capsys.readouterr().out


STAGED_DENIAL = ("denied: prod/db is isolated for ingress by calico:prod/db (tier default) "
                 "and no rule there allows TCP/5432")


def test_check_prints_the_staged_verdict_under_the_enforced_one(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out = _check(capsys, tmp_path, DENY_DB % "Set")
    lines = out.splitlines()
    assert code == 0  # the enforced verdict decides the exit code
    assert lines[0] == "ALLOWED  prod/web → prod/db  TCP/5432"
    staged = lines.index("  staged (not enforced): DENIED for TCP/5432")
    assert f"    {STAGED_DENIAL}" in lines[staged + 1:]


def test_check_exits_by_the_enforced_verdict_when_the_staged_one_allows(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out = _check(capsys, tmp_path, DENY_DB % "Delete", ENFORCED_DB)
    assert code == 1
    assert out.startswith("DENIED  prod/web → prod/db  TCP/5432\n")
    assert "  staged (not enforced): ALLOWED for TCP/5432\n" in out


def test_check_json_has_the_staged_verdict_beside_the_enforced_one(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _, out = _check(capsys, tmp_path, DENY_DB % "Set", fmt="json")
    data = json.loads(out)
    assert data["allowed"] is True
    assert data["staged"]["allowed"] is False
    assert STAGED_DENIAL in data["staged"]["reasons"]


def test_check_without_staged_policies_has_no_staged_verdict(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _, text = _check(capsys, tmp_path)
    _, out = _check(capsys, tmp_path, fmt="json")
    assert "staged" not in text and "staged" not in json.loads(out)
