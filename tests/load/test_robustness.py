"""Any input gives an answer or a clean error naming file and line: never a traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from netwarden.cli import main
from netwarden.load import load_snapshot, sources

POD = """apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
spec: {containers: [{name: c, image: x}]}
"""
POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: prod}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {team: a}}}]}]
"""
DB = POD.replace("web", "db")
NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod, labels: {team: a}}\n"


def run(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_no_manifests_is_a_warning_and_exit_2(tmp_path: Path, capsys: Any) -> None:
    for command in (["validate"], ["matrix"], ["check", "--from", "a/b", "--to", "a/c"]):
        code, out, err = run(capsys, *command, str(tmp_path))
        assert (code, out) == (2, "")
        assert err.startswith(f"warning: no manifests found in {tmp_path} ")


def test_internal_error_is_one_line_exit_4_naming_the_file(
        tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    (tmp_path / "pod.yaml").write_text(POD)

    def broken(doc: Any) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr("netwarden.load.loader.SnapshotBuilder.add_object",
                        lambda self, doc, **kw: broken(doc))
    code, out, err = run(capsys, "validate", str(tmp_path))
    assert code == 4 and out == ""
    assert err.splitlines() == [
        f"netwarden: internal error while reading {tmp_path / 'pod.yaml'}: ZeroDivisionError: "
        "boom; please report this bug with the command and input that caused it (--debug "
        "shows the traceback)"]
    with pytest.raises(ZeroDivisionError):
        main(["validate", str(tmp_path), "--debug"])


def read_errors(tmp_path: Path, name: str, data: bytes) -> list[str]:
    (tmp_path / name).write_bytes(data)
    _texts, errors = sources.read_sources([tmp_path])
    return [str(e).removeprefix(f"{tmp_path}/") for e in errors]


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    assert read_errors(tmp_path, "a.yaml", b"a: 1\nb: \xff\n") == [
        "a.yaml:2: not UTF-8 text: byte 0xff"]


def test_utf16_without_bom_is_refused_and_with_bom_read(tmp_path: Path) -> None:
    assert read_errors(tmp_path, "a.yaml", POD.encode("utf-16-le")) == [
        "a.yaml:1: looks like UTF-16 or UTF-32 text without a byte-order mark; save it as UTF-8"]
    (tmp_path / "a.yaml").write_bytes(POD.encode("utf-16"))  # with its BOM
    assert [p.meta.name for p in load_snapshot([tmp_path]).pods] == ["web"]


def test_too_large_file_is_refused_with_a_message(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(sources, "MAX_BYTES", 100)
    assert read_errors(tmp_path, "big.yaml", b"#" * 2_000_000) == [
        "big.yaml: too large: 2.0 MB; netwarden reads manifests up to 0 MiB (the API server "
        "takes 3 MB)"]


def test_symlink_loops_are_named(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to("..")
    (tmp_path / "l1.yaml").symlink_to("l2.yaml")
    (tmp_path / "l2.yaml").symlink_to("l1.yaml")
    (tmp_path / "pod.yaml").write_text(POD)
    texts, errors = sources.read_sources([tmp_path])
    assert [Path(n).name for n, _ in texts] == ["pod.yaml"]
    assert sorted(str(e).removeprefix(f"{tmp_path}/") for e in errors) == [
        "l1.yaml: symlink loop", "l2.yaml: symlink loop",
        f"sub/up: symlink loop: {tmp_path}/sub/up leads back to {tmp_path}"]


def test_helm_chart_folder_suggests_helm_template(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: x\n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "d.yaml").write_text("{{ .Values.x }}\n")
    code, _, err = run(capsys, "validate", str(tmp_path))
    assert code == 2
    assert err.splitlines() == [
        f"error: {tmp_path}: is a Helm chart: its templates are not manifests; render them "
        f"first: helm template RELEASE {tmp_path} | netwarden COMMAND -"]


def test_json_file_is_read_as_json(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "np.json").write_text('{"apiVersion": "v1", "kind": "Pod",}')
    code, _, err = run(capsys, "validate", str(tmp_path))
    assert code == 2
    assert err.strip() == f"error: {tmp_path}/np.json:1: invalid JSON: a trailing comma before }}"


KUSTOMIZE = shutil.which("kubectl") or shutil.which("kustomize")


@pytest.mark.skipif(not KUSTOMIZE, reason="neither kubectl nor kustomize on PATH (make test "
                    "installs Debian's kubernetes-client)")
def test_kustomization_gives_the_matrix_of_its_rendered_output(
        tmp_path: Path, capsys: Any) -> None:
    base = tmp_path / "base"
    base.mkdir()
    (base / "web.yaml").write_text(POD.replace("namespace: prod, ", ""))
    (base / "db.yaml").write_text(DB.replace("namespace: prod, ", ""))
    (base / "np.yaml").write_text(POLICY.replace("namespace: prod", "namespace: other"))
    (base / "kustomization.yaml").write_text(
        "namespace: prod\nnamePrefix: p-\nresources: [web.yaml, db.yaml, np.yaml]\n")
    (tmp_path / "ns.yaml").write_text(NAMESPACE)
    argv = [KUSTOMIZE, "kustomize"] if KUSTOMIZE.endswith("kubectl") else [KUSTOMIZE, "build"]
    rendered = subprocess.run([*argv, str(base)], capture_output=True, text=True, check=True)
    (tmp_path / "rendered").mkdir()
    (tmp_path / "rendered" / "all.yaml").write_text(rendered.stdout + "---\n" + NAMESPACE)
    code, from_dir, _ = run(capsys, "matrix", "--format", "json", str(base),
                            str(tmp_path / "ns.yaml"))
    assert code == 0
    code_k, from_k, _ = run(capsys, "matrix", "--format", "json", "-k", str(base),
                            str(tmp_path / "ns.yaml"))
    code_r, from_rendered, _ = run(capsys, "matrix", "--format", "json", str(tmp_path / "rendered"))
    assert code_k == code_r == 0
    assert json.loads(from_dir) == json.loads(from_k) == json.loads(from_rendered)
    assert "prod/p-web" in from_dir  # the prefix and namespace were applied


def test_kustomization_below_the_named_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "overlay").mkdir()
    (tmp_path / "overlay" / "kustomization.yaml").write_text("resources: []\n")
    _texts, errors = sources.read_sources([tmp_path])
    assert [str(e) for e in errors] == [
        f"{tmp_path}/overlay: holds a kustomization: its files are not the manifests kustomize "
        f"renders; name the overlay you deploy with -k {tmp_path}/overlay (or pass its "
        "directory)"]


def test_missing_kustomize_names_the_command_to_install(tmp_path: Path, monkeypatch: Any) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: []\n")
    monkeypatch.setenv("PATH", str(tmp_path))
    _texts, errors = sources.read_sources([tmp_path])
    assert [str(e) for e in errors] == [
        f"{tmp_path}: holds a kustomization, and neither kubectl nor kustomize is on PATH to "
        "render it: install kubectl (Debian: kubernetes-client), or run kustomize build "
        f"{tmp_path} | netwarden COMMAND -"]


def test_line_100_is_printed_as_written(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "a.yaml").write_text("\n" * 99 + "a: !!int x\n")
    code, _, err = run(capsys, "validate", str(tmp_path / "a.yaml"))
    assert (code, err) == (2, f"error: {tmp_path}/a.yaml:100: a: cannot read 'x' as !!int\n")
