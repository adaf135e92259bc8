"""Builders for Service tests: load manifests, compile them, collect errors."""

from __future__ import annotations

import textwrap

import pytest

from netwarden._errors import InvalidManifests
from netwarden.compile import compile_snapshot
from netwarden.ir import Cluster
from netwarden.load import load_texts


def errors(text: str, file: str = "test.yaml") -> list[str]:
    """The lines of the ``InvalidManifests`` the load must raise."""
    with pytest.raises(InvalidManifests) as info:
        load_texts([(file, textwrap.dedent(text))])
    return str(info.value).splitlines()


def cluster(text: str, file: str = "svc.yaml") -> Cluster:
    return compile_snapshot(load_texts([(file, textwrap.dedent(text))]))


def pod(name: str, ns: str = "staging", labels: str = "{role: backend}", ports: str = "[]",
        status: str = "") -> str:
    """A pod manifest; ``ports`` is a container's port list in flow style."""
    text = (f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}, "
            f"labels: {labels}}}\nspec:\n  containers: [{{name: c, ports: {ports}}}]\n")
    return text + (f"status: {status}\n" if status else "") + "---\n"


def service(name: str, spec: str, ns: str = "staging", status: str = "") -> str:
    body = textwrap.indent(textwrap.dedent(spec).strip("\n"), "  ")
    text = (f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {ns}}}\n"
            f"spec:\n{body}\n")
    return text + (f"status: {status}\n" if status else "") + "---\n"
