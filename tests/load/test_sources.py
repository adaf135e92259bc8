"""Where manifests come from and how documents are split: files, dirs, stdin, lists."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from netwarden._errors import InvalidManifests
from netwarden.load import load_snapshot

from .load_helpers import errors, load

POD = """\
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: default}}
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_every_document_of_a_multi_document_file_is_loaded() -> None:
    snap = load(POD.format(name="a") + "---\n" + POD.format(name="b") + "---\n")
    assert [p.meta.name for p in snap.pods] == ["a", "b"]


def test_items_of_a_list_are_loaded_with_object_relative_field_paths() -> None:
    text = """\
    apiVersion: v1
    kind: List
    items:
    - apiVersion: v1
      kind: Namespace
      metadata: {name: prod}
    - apiVersion: v1
      kind: Pod
      metadata: {name: Bad_Name}
    """
    assert errors(text) == [
        'test.yaml:9: metadata.name: invalid name "Bad_Name": must consist of lowercase '
        "alphanumerics, '-' or '.', and start and end with an alphanumeric"
    ]


def test_items_of_a_typed_list_take_kind_and_api_version_from_the_list() -> None:
    text = """\
    apiVersion: v1
    kind: PodList
    items:
    - metadata: {name: a, namespace: shop}
    - metadata: {name: b, namespace: shop}
    """
    assert [p.meta.name for p in load(text).pods] == ["a", "b"]


def test_a_directory_is_read_recursively_in_sorted_order_and_only_manifest_files(
    tmp_path: Path,
) -> None:
    write(tmp_path / "b.yaml", POD.format(name="from-b"))
    write(tmp_path / "a" / "z.yml", POD.format(name="from-a-z"))
    write(tmp_path / "c.json", json.dumps({"apiVersion": "v1", "kind": "Pod",
                                            "metadata": {"name": "from-c"}}))
    write(tmp_path / "README.md", "not: [a manifest")
    snap = load_snapshot([tmp_path])
    assert [p.meta.name for p in snap.pods] == ["from-a-z", "from-b", "from-c"]


def test_dash_reads_stdin_and_names_it_in_messages() -> None:
    stdin = io.StringIO("apiVersion: v1\nkind: Pod\nmetadata: {name: X}\n")
    with pytest.raises(InvalidManifests) as info:
        load_snapshot(["-"], stdin=stdin)
    assert str(info.value).startswith("<stdin>:3: metadata.name: invalid name")


def test_a_json_file_is_loaded_with_line_numbers(tmp_path: Path) -> None:
    doc = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
           "spec": {"containers": [{"ports": [{"containerPort": 0}]}]}}
    path = write(tmp_path / "pod.json", json.dumps(doc, indent=2))
    with pytest.raises(InvalidManifests) as info:
        load_snapshot([path])
    assert str(info.value) == (
        f"{path}:12: spec.containers[0].ports[0].containerPort: "
        "invalid port 0: must be between 1 and 65535, inclusive"
    )


def test_an_unknown_kind_is_skipped_with_a_note() -> None:
    text = """\
    # the frontend's settings
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: frontend}
    """
    snap = load(text, "svc.yaml")
    assert snap.notes == ("svc.yaml:3: skipped ConfigMap/frontend (not used by network policy)",)


def test_a_missing_path_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(InvalidManifests) as info:
        load_snapshot([tmp_path / "nope.yaml"])
    assert str(info.value) == f"{tmp_path / 'nope.yaml'}: no such file or directory"


def test_a_yaml_syntax_error_names_file_and_line() -> None:
    # the wording after "invalid YAML:" is PyYAML's, and differs between its loaders
    (line,) = errors("kind: Pod\nmetadata: [name\n")
    assert line.startswith("test.yaml:3: invalid YAML: ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- a\n- b\n", "test.yaml:1: must be a Kubernetes object, got a list"),
        ("kind: Pod\n", "test.yaml:1: apiVersion: is required"),
        ("apiVersion: v1\nkind: 3\n", "test.yaml:2: kind: must be a string, got number 3"),
        ("apiVersion: v1\nkind: List\nitems: {}\n", "test.yaml:3: items: must be a list, "
                                                  "got an object"),
    ],
    ids=["not-an-object", "no-api-version", "kind-not-a-string", "list-items-not-a-list"],
)
def test_a_document_that_is_not_an_object_is_an_error(text: str, expected: str) -> None:
    assert errors(text) == [expected]


def test_empty_documents_are_ignored() -> None:
    assert load("---\n---\n# only a comment\n").pods == ()
