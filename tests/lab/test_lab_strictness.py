"""``--lenient`` / ``--strict`` in ``lab up``/``run``/``apply`` and ``agent``, as in the
analysis commands, and ``lab apply`` printing the loader's warnings. No namespaces:
the lab's record lives in a temporary directory and no node table is written."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from netwarden._errors import InvalidManifests
from netwarden.agent.runner import AgentConfig
from netwarden.cli import build_parser, main
from netwarden.lab import enforcement, manifests
from netwarden.load.cache import ManifestCache
from netwarden.load.loader import Strictness

PODS = """\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
status: {podIP: 10.0.0.5}
"""

MISSPELLED = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: prod}
spec:
  podSelector: {}
  ingres: []
"""
WARNING = "np.yaml:6: spec.ingres: unknown field; did you mean ingress? (ignored: --lenient)"


@pytest.mark.parametrize("argv", [
    ["lab", "up", "k8s/"], ["lab", "run", "k8s/"], ["lab", "apply", "k8s/"],
    ["agent", "--source", "dir:k8s/"],
], ids=["lab up", "lab run", "lab apply", "agent"])
@pytest.mark.parametrize("flag", ["--lenient", "--strict"])
def test_lab_commands_and_the_agent_take_the_strictness_flags(argv: list[str],
                                                              flag: str) -> None:
    args = build_parser().parse_args([*argv, flag])
    assert args.strictness == flag.lstrip("-")
    assert build_parser().parse_args(argv).strictness == "default"


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(manifests, "STATE_DIR", str(tmp_path / "labs"))
    return tmp_path


def _write(directory: Path, name: str, text: str) -> str:
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(text)
    return str(directory / name)


def test_lab_manifests_are_read_with_the_strictness_given(state: Path) -> None:
    path = _write(state / "in", "np.yaml", MISSPELLED)
    sources = manifests.snapshot([path])
    with pytest.raises(InvalidManifests):
        manifests.load_sources([path], sources)
    lenient = manifests.load_sources([path], sources, "lenient")
    assert lenient.warnings == (f"{state}/in/{WARNING}",)


def test_the_recorded_manifests_are_read_back_with_their_strictness(state: Path) -> None:
    """``lab up --lenient`` records it, so probe/apply/stats can read the lab's files."""
    path = _write(state / "in", "np.yaml", MISSPELLED)
    manifests.store_sources("l1", "cluster", manifests.snapshot([path]), "lenient")
    cluster = manifests.current_cluster("l1")
    assert [p.id for p in cluster.policies] == ["prod/np"]
    (warning,) = cluster.warnings
    assert warning.endswith(f"/l1.manifests/cluster/000-{WARNING}")


class _NoTables(enforcement.Enforcer):
    """Everything of ``apply_policies`` but writing the node tables."""

    def enforce(self, lab: Any, cluster: Any, rulesets: Any = None) -> dict[str, Any]:
        return {}


def test_lab_apply_reports_the_loaders_warnings_and_prints_them(
    state: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pods = _write(state / "in", "pods.yaml", PODS)
    manifests.store_sources("l1", "cluster", manifests.snapshot([pods]))
    policy = _write(state / "policies", "np.yaml", MISSPELLED)
    monkeypatch.setattr(enforcement, "Enforcer", _NoTables)
    monkeypatch.setattr("netwarden.cli.lab._lab", lambda _args: SimpleNamespace(id="l1"))
    assert main(["lab", "apply", policy, "--no-revoke", "--format", "json"]) == 2
    assert "spec.ingres: unknown field" in capsys.readouterr().err
    assert main(["lab", "apply", policy, "--no-revoke", "--lenient", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    expected = f"{state}/policies/{WARNING}"
    assert json.loads(out)["warnings"] == [expected]
    assert f"warning: {expected}" in err
    # recorded with --lenient: later lab commands read the policies back
    assert [p.id for p in manifests.current_cluster("l1").policies] == ["prod/np"]


def test_the_agent_reads_a_directory_with_the_strictness_given() -> None:
    assert AgentConfig(source="dir:x").strictness == "default"
    lenient = ManifestCache(strictness=Strictness.LENIENT).snapshot([("np.yaml", MISSPELLED)])
    assert lenient.warnings == (WARNING,)
    with pytest.raises(InvalidManifests):
        ManifestCache().snapshot([("np.yaml", MISSPELLED)])


def test_a_live_cluster_is_read_leniently_whatever_the_flag() -> None:
    cache = ManifestCache(skip_invalid=True, strictness=Strictness.STRICT)
    assert cache.strictness is Strictness.LENIENT
