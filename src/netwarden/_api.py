"""The shortest path from manifests (or a live cluster) to answers."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, TextIO

from .compile import compile_snapshot
from .engine import Engine
from .ir import Cluster

__all__ = ["load_cluster", "load_engine", "load_live_cluster"]


def load_cluster(
    paths: Sequence[str | os.PathLike[str]], *, stdin: TextIO | None = None,
    strictness: str = "default",
    kustomize: Sequence[str | os.PathLike[str]] = (),
) -> Cluster:
    """Load manifests (files, directories, ``-``) and compile them to the IR.

    Raises ``InvalidManifests`` naming every problem (``file:line: field: ...``),
    ``NoManifests`` when there is nothing to load. ``kustomize`` directories
    are rendered as ``kubectl kustomize`` renders them (``-k``).
    ``Cluster.warnings`` lists what could make a verdict differ from the cluster's.

    ``strictness`` is ``"lenient"`` (unknown fields are warnings), ``"default"``
    or ``"strict"`` (kinds netwarden cannot read yet are errors): see
    ``netwarden.load.Strictness``.

    >>> cluster = load_cluster(["examples/seed-prod-dev"])
    >>> sorted(cluster.namespaces)
    ['dev', 'prod']
    """
    from .load import Strictness, load_snapshot

    return compile_snapshot(load_snapshot(paths, stdin=stdin, kustomize=kustomize,
                                          strictness=Strictness(strictness)))


def load_live_cluster(kubeconfig: str | None = None, context: str | None = None, *,
                      api_client: Any = None) -> Cluster:
    """List a live cluster once (needs the ``kubernetes`` client) and compile it.

    >>> cluster = load_live_cluster("~/.kube/config", "kind-dev")  # doctest: +SKIP
    """
    from .load.live import load_live_snapshot

    return compile_snapshot(load_live_snapshot(kubeconfig, context, api_client=api_client))


def load_engine(
    paths: Sequence[str | os.PathLike[str]], *, stdin: TextIO | None = None
) -> Engine:
    """``Engine(load_cluster(paths))``: ``engine.allows("prod/web", "prod/db", "TCP", 5432)``."""
    return Engine(load_cluster(paths, stdin=stdin))


for _name in __all__:  # shown as ``netwarden.load_cluster``, not the private module's name
    globals()[_name].__module__ = "netwarden"
