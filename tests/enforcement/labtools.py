"""Helpers for the enforcement tests: build a lab from YAML text, always tear it down."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Sequence

from netwarden import load_cluster
from netwarden.ir import Cluster
from netwarden.lab import Lab, LabHost
from netwarden.lab.enforcement import Enforcer
from netwarden.lab.lifecycle import down, serving
from netwarden.lab.observe import Observation

# The enforcement tests' one enforcer: the renderers and writers of every lab they
# build, so a test's later updates are incremental as in one `lab` session.
ENFORCER = Enforcer()


def cluster_from_text(*texts: str) -> Cluster:
    """One YAML stream of ``texts`` (JSON documents are YAML too: each starts with ``---``,
    so the stream is not read as one JSON text)."""
    return load_cluster(["-"], stdin=io.StringIO("".join(f"---\n{t}\n" for t in texts)))


@contextlib.contextmanager
def lab_for(cluster: Cluster, *, hosts: Sequence[LabHost] = (),
            ports: Sequence[tuple[int, int]] = (), nodes: int = 1) -> Iterator[Lab]:
    """A lab serving ``ports`` besides the defaults, with ``cluster`` enforced."""
    lab = Lab.up(serving(cluster, ports), hosts, nodes)
    try:
        ENFORCER.enforce(lab, cluster)
        yield lab
    finally:
        down(lab, ENFORCER)


def grid(obs: Observation, which: str) -> str:
    """A matrix as text rows (``.`` allowed, ``X`` denied) so failures diff by row."""
    m = obs.observed if which == "observed" else obs.expected
    return "\n".join(f"{s:<28} " + "".join("." if m[s][d] else "X" for d in obs.endpoints)
                     for s in obs.endpoints)
