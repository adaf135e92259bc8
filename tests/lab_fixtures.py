"""What every test that builds a lab shares, whichever directory it is in.

* ``lab_unavailable()``: why lab tests cannot run on this machine (root, ``ip``,
  ``nft``, ``conntrack``), or None. ``tests/conftest.py`` skips every test marked
  ``lab`` with that reason, and no directory repeats the check.
* ``ENFORCER``: the session's one ``Enforcer`` (the renderers and writers of every
  lab the tests build), so a test's later updates are incremental as in one
  ``netwarden lab`` session.
* ``lab_up(paths)``: a lab built as ``netwarden lab up PATHS`` builds it (the lab's
  DNS, the manifests recorded, their policies enforced); ``lab_for(cluster)``: a
  lab for a ``Cluster`` built in the test, with its policies enforced. Both are
  removed when the ``with`` block ends, also on failure.
* ``remove_leftover_labs()``: the session's safety net (``tests/conftest.py``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator, Sequence

from netwarden.ir import Cluster
from netwarden.lab import Lab, LabHost, _created_here, _ns
from netwarden.lab.enforcement import Enforcer
from netwarden.lab.lifecycle import down, serving, up
from netwarden.lab.manifests import forget_manifests

LAB_TOOLS = ("ip", "nft", "conntrack")
ENFORCER = Enforcer()


def lab_unavailable() -> str | None:
    """Why this machine cannot run lab tests, or None when it can."""
    if os.geteuid() != 0:
        return "lab tests need root (network namespaces, nftables)"
    for tool in LAB_TOOLS:
        if shutil.which(tool) is None:
            return f"lab tests need {tool} on PATH"
    return None


@contextlib.contextmanager
def lab_up(paths: Sequence[str | os.PathLike[str]], **options: object) -> Iterator[Lab]:
    """``netwarden lab up PATHS`` (``options`` as ``lifecycle.up`` takes them)."""
    lab, _cluster = up(paths, ENFORCER, **options)  # type: ignore[arg-type]
    try:
        yield lab
    finally:
        down(lab, ENFORCER)


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


def remove_leftover_labs() -> list[str]:
    """Remove every lab this process built that is still up (and stray namespaces of
    theirs); returns what had to be removed, which a passing session leaves empty."""
    left: list[str] = []
    for lab_id in sorted(_created_here):
        if lab_id in Lab.ids():
            left.append(lab_id)
            down(Lab.load(lab_id), ENFORCER)
        stray = [n for n in _ns.list_netns() if n.startswith(f"nw{lab_id}-")]
        left += stray
        _ns.netns_delete(stray)
        forget_manifests(lab_id)
        ENFORCER.forget(lab_id)
    return left
