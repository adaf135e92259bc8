"""Kinds netwarden does not read: a note when harmless, a warning when they filter traffic.

AdminNetworkPolicy and its kin change what the cluster allows, so skipping
one quietly would make every verdict silently wrong: it is a warning that
every command prints, and an error with ``--strict``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from netwarden._errors import InvalidManifests
from netwarden.cli import main
from netwarden.load import Strictness, load_texts

ANP = """\
apiVersion: policy.networking.k8s.io/{version}
kind: {kind}
metadata: {{name: {name}}}
spec: {{}}
"""

VERDICT_KINDS = [
    ("v1alpha1", "AdminNetworkPolicy", "deny-all",
     "anp.yaml:1: AdminNetworkPolicy/deny-all (policy.networking.k8s.io/v1alpha1) skipped: "
     "AdminNetworkPolicy is not supported yet; verdicts ignore it"),
    ("v1alpha1", "BaselineAdminNetworkPolicy", "default",
     "anp.yaml:1: BaselineAdminNetworkPolicy/default (policy.networking.k8s.io/v1alpha1) "
     "skipped: BaselineAdminNetworkPolicy is not supported yet; verdicts ignore it"),
    ("v1alpha2", "ClusterNetworkPolicy", "admin",
     "anp.yaml:1: ClusterNetworkPolicy/admin (policy.networking.k8s.io/v1alpha2) skipped: "
     "ClusterNetworkPolicy is not supported yet; verdicts ignore it"),
]


def _load(text: str, strictness: Strictness = Strictness.DEFAULT) -> tuple[str, ...]:
    return load_texts([("anp.yaml", textwrap.dedent(text))], strictness=strictness).warnings


@pytest.mark.parametrize(("version", "kind", "name", "expected"), VERDICT_KINDS,
                         ids=[k[1] for k in VERDICT_KINDS])
def test_an_admin_network_policy_is_a_warning_that_verdicts_ignore_it(
    version: str, kind: str, name: str, expected: str
) -> None:
    assert _load(ANP.format(version=version, kind=kind, name=name)) == (expected,)


@pytest.mark.parametrize(("version", "kind", "name", "expected"), VERDICT_KINDS,
                         ids=[k[1] for k in VERDICT_KINDS])
def test_with_strict_an_admin_network_policy_is_an_error(
    version: str, kind: str, name: str, expected: str
) -> None:
    with pytest.raises(InvalidManifests) as info:
        _load(ANP.format(version=version, kind=kind, name=name), Strictness.STRICT)
    api = f"policy.networking.k8s.io/{version}"
    assert str(info.value) == (f"anp.yaml:1: kind: {kind}/{name} ({api}): {kind} is not "
                               "supported yet, and verdicts would ignore it (--strict)")


@pytest.mark.parametrize(("api", "kind"), [
    ("projectcalico.org/v3", "StagedNetworkPolicy"),
    ("crd.projectcalico.org/v1", "Profile"),
    ("cilium.io/v2", "CiliumNetworkPolicy"),
    ("security.istio.io/v1", "AuthorizationPolicy"),
    ("example.com/v1", "FancyNetworkPolicy"),
])
def test_other_kinds_that_filter_traffic_are_warnings_too(api: str, kind: str) -> None:
    (warning,) = _load(f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: x}}\n")
    assert warning.startswith(f"anp.yaml:1: {kind}/x ({api}) skipped: ")
    assert warning.endswith("; verdicts ignore it")


@pytest.mark.parametrize(("api", "kind"), [("v1", "ConfigMap"), ("v1", "Service"),
                                           ("v1", "Secret"), ("netwarden.dev/v1", "LabHost")])
def test_a_harmless_kind_is_a_note(api: str, kind: str) -> None:
    snap = load_texts([("cm.yaml", f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: x}}\n")])
    assert snap.warnings == ()
    assert snap.notes == (f"cm.yaml:1: skipped {kind}/x (not used by network policy)",)


def test_every_command_prints_the_warning_and_strict_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "anp.yaml"
    path.write_text(ANP.format(version="v1alpha1", kind="AdminNetworkPolicy", name="deny-all")
                    + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: web}\n")
    assert main(["matrix", str(path), "--port", "80"]) == 0
    assert "warning: " in capsys.readouterr().err
    assert main(["validate", str(path), "--strict"]) == 2
    assert "verdicts would ignore it (--strict)" in capsys.readouterr().err
