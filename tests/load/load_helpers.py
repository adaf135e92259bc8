"""Builders for loader tests: manifests with predictable line numbers."""

from __future__ import annotations

import textwrap

import pytest

from netwarden._errors import InvalidManifests
from netwarden.load import load_texts
from netwarden.resources.k8s import NetworkPolicy
from netwarden.resources.snapshot import Snapshot

# The spec of ``np_yaml`` starts on this line of np.yaml.
SPEC_LINE = 7


def np_yaml(spec: str, name: str = "np") -> str:
    """A NetworkPolicy in namespace prod; ``spec``'s first line is line 7."""
    body = textwrap.indent(textwrap.dedent(spec).strip("\n"), "  ")
    return (
        "apiVersion: networking.k8s.io/v1\n"
        "kind: NetworkPolicy\n"
        "metadata:\n"
        f"  name: {name}\n"
        "  namespace: prod\n"
        "spec:\n"
        f"{body}\n"
    )


def load(text: str, file: str = "test.yaml") -> Snapshot:
    return load_texts([(file, textwrap.dedent(text))])


def load_policy(spec: str) -> NetworkPolicy:
    snap = load_texts([("np.yaml", np_yaml(spec))])
    (policy,) = snap.network_policies
    return policy


def errors(text: str, file: str = "test.yaml") -> list[str]:
    """The lines of the ``InvalidManifests`` the load must raise."""
    with pytest.raises(InvalidManifests) as info:
        load_texts([(file, textwrap.dedent(text))])
    return str(info.value).splitlines()


def policy_errors(spec: str) -> list[str]:
    return errors(np_yaml(spec), "np.yaml")
