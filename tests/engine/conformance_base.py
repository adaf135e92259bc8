"""The conformance cluster, the ``Case`` record and the reachability grid format.

The cluster follows the layout of the upstream Kubernetes e2e network-policy
tests: namespaces x, y, z (labelled ``ns=<name>``), pods a, b, c in each
(labelled ``pod=<name>``), every pod serving TCP and UDP on ports 80 and 81
under the names ``serve-80-tcp``, ``serve-80-udp``, ``serve-81-tcp`` and
``serve-81-udp``. Pod ``<ns>/<pod>`` has the address ``10.0.<n>.<p>`` with
n = 1, 2, 3 for x, y, z and p = 1, 2, 3 for a, b, c.

A grid has one row per source pod and one column per destination pod; ``.``
means the connection is allowed, ``X`` that it is blocked::

    -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
    x/a  .   X   X   .   .   .   .   .   .
    ...

Everything here is plain data, so a lab run can replay each case with real
packets (``cluster_yaml`` then ``policies_yaml``, then probe ``protocol/port``
between every ordered pair of pods).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .builders import make_namespace, make_pod, make_policy, to_yaml

__all__ = [
    "BASE_CLUSTER_YAML",
    "NAMESPACES",
    "PODS",
    "POD_IPS",
    "Case",
    "cluster_yaml",
    "deny_all",
    "parse_grid",
    "render_grid",
]

NAMESPACES = ("x", "y", "z")
POD_NAMES = ("a", "b", "c")
PODS = tuple(f"{ns}/{pod}" for ns in NAMESPACES for pod in POD_NAMES)
POD_IPS = {
    f"{ns}/{pod}": f"10.0.{i + 1}.{j + 1}"
    for i, ns in enumerate(NAMESPACES)
    for j, pod in enumerate(POD_NAMES)
}
SERVED = ((80, "TCP"), (80, "UDP"), (81, "TCP"), (81, "UDP"))


def cluster_yaml(
    *,
    relabel: Mapping[str, Mapping[str, str]] | None = None,
    rename: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """The conformance cluster as YAML, optionally with some pods changed.

    ``relabel`` maps ``ns/pod`` to the pod's complete new labels; ``rename``
    maps ``ns/pod`` to ``{old port name: new port name}``.
    """
    relabel = relabel or {}
    rename = rename or {}
    docs = [make_namespace(ns, {"ns": ns}) for ns in NAMESPACES]
    for key in PODS:
        ns, name = key.split("/")
        names = rename.get(key, {})
        ports = []
        for number, protocol in SERVED:
            default = f"serve-{number}-{protocol.lower()}"
            ports.append((number, protocol, names.get(default, default)))
        labels = relabel.get(key, {"pod": name})
        docs.append(make_pod(name, ns, POD_IPS[key], labels=labels, ports=ports))
    return to_yaml(docs)


BASE_CLUSTER_YAML = cluster_yaml()


@dataclass(frozen=True)
class Case:
    """One scenario: policies applied to a cluster, and the expected grid for one service."""

    id: str
    policies_yaml: str
    protocol: str
    port: int
    expected_grid: str
    cluster_yaml: str = BASE_CLUSTER_YAML


def deny_all(name: str, ns: str, *types: str) -> dict[str, object]:
    """Every pod of ``ns`` isolated for ``types``, with no rules."""
    return make_policy(name, ns, {}, policy_types=types)


def parse_grid(text: str) -> dict[tuple[str, str], bool]:
    """``{(src, dst): allowed}`` from a grid; whitespace is free, the header is checked."""
    lines = [line.split() for line in text.strip().splitlines() if line.strip()]
    header, rows = lines[0], lines[1:]
    if tuple(header[1:]) != PODS:
        raise ValueError(f"grid header must list {' '.join(PODS)}, got {' '.join(header[1:])}")
    if tuple(row[0] for row in rows) != PODS:
        raise ValueError(f"grid rows must be {' '.join(PODS)}")
    out: dict[tuple[str, str], bool] = {}
    for row in rows:
        if len(row) != len(PODS) + 1 or any(cell not in ".X" for cell in row[1:]):
            raise ValueError(f"bad grid row {' '.join(row)!r}")
        for dst, cell in zip(PODS, row[1:], strict=True):
            out[row[0], dst] = cell == "."
    return out


def render_grid(allowed: Mapping[tuple[str, str], bool], pods: Sequence[str] = PODS) -> str:
    """The canonical text of a grid, so two grids compare as text and diff by row."""
    lines = ["-   " + " ".join(pods)]
    for src in pods:
        cells = "".join(f" {'.' if allowed[src, dst] else 'X':>2} " for dst in pods)
        lines.append(f"{src}{cells}".rstrip())
    return "\n".join(lines)
