"""Manifests → ``Snapshot``: read, validate and default Kubernetes (and Calico) objects.

The loader parses, validates and normalizes, and does nothing more: selectors
stay selectors, and nothing is resolved against the cluster. Every problem of
a load is reported at once, as ``InvalidManifests``, each line reading
``file:line: field.path: message``.

>>> snap = load_texts([("np.yaml", '''
... apiVersion: networking.k8s.io/v1
... kind: NetworkPolicy
... metadata: {name: deny-all, namespace: prod}
... spec: {podSelector: {}}
... ''')])
>>> snap.network_policies[0].meta.namespace, snap.network_policies[0].policy_types
('prod', ('Ingress',))
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TextIO

from .._errors import NoManifests
from ..resources.snapshot import Snapshot

# Importing a parser module registers its kinds.
from . import (  # noqa: F401
    anp,
    calico,
    cluster_nodes,
    ingress,
    networkpolicy,
    pods,
    services,
    staged,
)
from .loader import SnapshotBuilder, Strictness
from .registry import Note, register
from .schema import calico_version, kubernetes_version
from .sources import read_sources

__all__ = [
    "Note",
    "Strictness",
    "calico_version",
    "kubernetes_version",
    "load_snapshot",
    "load_texts",
    "register",
]


def load_snapshot(
    paths: Sequence[str | os.PathLike[str]], *, stdin: TextIO | None = None,
    strictness: Strictness = Strictness.DEFAULT,
    kustomize: Sequence[str | os.PathLike[str]] = (),
) -> Snapshot:
    """Load files, directories (recursively: ``.yaml``, ``.yml``, ``.json``) and ``-`` (stdin).

    A directory holding a kustomization, and each of ``kustomize`` (``-k``),
    is read as kustomize renders it. Raises ``InvalidManifests`` listing
    every unreadable path and every invalid or unknown field, and
    ``NoManifests`` when the paths hold no document at all; kinds that do not
    matter to network policy are skipped with a note in ``Snapshot.notes``,
    kinds that do but that netwarden cannot read with a warning in
    ``Snapshot.warnings``.
    """
    texts, errors = read_sources(paths, stdin, kustomize=kustomize)
    builder = SnapshotBuilder(strictness)
    builder.errors.extend(errors)
    builder.add_texts(texts)
    if not builder.errors and builder.documents == 0:
        raise NoManifests([("standard input" if os.fspath(p) == "-" else os.fspath(p))
                           for p in (*paths, *kustomize)])
    return builder.build()


def load_texts(
    items: Sequence[tuple[str, str]], *, strictness: Strictness = Strictness.DEFAULT
) -> Snapshot:
    """Like ``load_snapshot`` for (file name, text) pairs already in memory."""
    builder = SnapshotBuilder(strictness)
    builder.add_texts(items)
    return builder.build()

