"""Helpers for the enforcement tests: clusters from YAML text, matrices as text.

Building and removing labs is ``tests/lab_fixtures.py``'s, shared by every directory.
"""

from __future__ import annotations

import io

from netwarden import load_cluster
from netwarden.ir import Cluster
from netwarden.lab.observe import Observation


def cluster_from_text(*texts: str) -> Cluster:
    """One YAML stream of ``texts`` (JSON documents are YAML too: each starts with ``---``,
    so the stream is not read as one JSON text)."""
    return load_cluster(["-"], stdin=io.StringIO("".join(f"---\n{t}\n" for t in texts)))


def grid(obs: Observation, which: str) -> str:
    """A matrix as text rows (``.`` allowed, ``X`` denied) so failures diff by row."""
    m = obs.observed if which == "observed" else obs.expected
    return "\n".join(f"{s:<28} " + "".join("." if m[s][d] else "X" for d in obs.endpoints)
                     for s in obs.endpoints)
