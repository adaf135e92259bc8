"""Kinds netwarden does not read: a note when harmless, a warning when they filter traffic.

Another CNI's policies change what the cluster allows, so skipping one
quietly would make every verdict silently wrong: it is a warning that
every command prints, and an error with ``--strict``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from netwarden._errors import InvalidManifests
from netwarden.cli import main
from netwarden.load import Strictness, load_texts

CNP = """\
apiVersion: {api}
kind: {kind}
metadata: {{name: {name}}}
spec: {{}}
"""

VERDICT_KINDS = [
    ("cilium.io/v2", "CiliumNetworkPolicy", "deny-all",
     "anp.yaml:1: CiliumNetworkPolicy/deny-all (cilium.io/v2) skipped: "
     "Cilium policies are not read by netwarden; verdicts ignore it"),
    ("crd.antrea.io/v1beta1", "ClusterNetworkPolicy", "admin",
     "anp.yaml:1: ClusterNetworkPolicy/admin (crd.antrea.io/v1beta1) skipped: "
     "Antrea policies are not read by netwarden; verdicts ignore it"),
]


def _load(text: str, strictness: Strictness = Strictness.DEFAULT) -> tuple[str, ...]:
    return load_texts([("anp.yaml", textwrap.dedent(text))], strictness=strictness).warnings


@pytest.mark.parametrize(("api", "kind", "name", "expected"), VERDICT_KINDS,
                         ids=[k[0] for k in VERDICT_KINDS])
def test_another_cni_policy_is_a_warning_that_verdicts_ignore_it(
    api: str, kind: str, name: str, expected: str
) -> None:
    assert _load(CNP.format(api=api, kind=kind, name=name)) == (expected,)


@pytest.mark.parametrize(("api", "kind", "name", "expected"), VERDICT_KINDS,
                         ids=[k[0] for k in VERDICT_KINDS])
def test_with_strict_another_cni_policy_is_an_error(
    api: str, kind: str, name: str, expected: str
) -> None:
    with pytest.raises(InvalidManifests) as info:
        _load(CNP.format(api=api, kind=kind, name=name), Strictness.STRICT)
    reason = expected.split(" skipped: ")[1].removesuffix("; verdicts ignore it")
    assert str(info.value) == (f"anp.yaml:1: kind: {kind}/{name} ({api}): {reason}, "
                               "and verdicts would ignore it (--strict)")


@pytest.mark.parametrize(("api", "kind"), [
    ("projectcalico.org/v3", "FelixConfiguration"),
    ("crd.projectcalico.org/v1", "Profile"),
    ("cilium.io/v2", "CiliumNetworkPolicy"),
    ("security.istio.io/v1", "AuthorizationPolicy"),
    ("example.com/v1", "FancyNetworkPolicy"),
])
def test_other_kinds_that_filter_traffic_are_warnings_too(api: str, kind: str) -> None:
    (warning,) = _load(f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: x}}\n")
    assert warning.startswith(f"anp.yaml:1: {kind}/x ({api}) skipped: ")
    assert warning.endswith("; verdicts ignore it")


@pytest.mark.parametrize(("api", "kind"), [("v1", "ConfigMap"), ("v1", "ServiceAccount"),
                                           ("v1", "Secret"), ("netwarden.dev/v1", "LabHost")])
def test_a_harmless_kind_is_a_note(api: str, kind: str) -> None:
    snap = load_texts([("cm.yaml", f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: x}}\n")])
    assert snap.warnings == ()
    assert snap.notes == (f"cm.yaml:1: skipped {kind}/x (not used by network policy)",)


def test_every_command_prints_the_warning_and_strict_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "anp.yaml"
    path.write_text(CNP.format(api="cilium.io/v2", kind="CiliumNetworkPolicy", name="deny-all")
                    + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: web}\n")
    assert main(["matrix", str(path), "--port", "80"]) == 0
    assert "warning: " in capsys.readouterr().err
    assert main(["validate", str(path), "--strict"]) == 2
    assert "verdicts would ignore it (--strict)" in capsys.readouterr().err
