"""The shortest path from manifests to answers."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TextIO

from .compile import compile_snapshot
from .engine import Engine
from .ir import Cluster

__all__ = ["load_cluster", "load_engine"]


def load_cluster(
    paths: Sequence[str | os.PathLike[str]], *, stdin: TextIO | None = None
) -> Cluster:
    """Load manifests (files, directories, ``-``) and compile them to the IR.

    >>> cluster = load_cluster(["examples/seed-prod-dev"])  # doctest: +SKIP
    """
    from .load import load_snapshot

    return compile_snapshot(load_snapshot(paths, stdin=stdin))


def load_engine(
    paths: Sequence[str | os.PathLike[str]], *, stdin: TextIO | None = None
) -> Engine:
    """``Engine(load_cluster(paths))``: ``engine.allows("prod/web", "prod/db", "TCP", 5432)``."""
    return Engine(load_cluster(paths, stdin=stdin))
