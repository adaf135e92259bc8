"""Enforcement tests: real packets through netwarden's nftables rules in lab namespaces.

Skipped without root, ip, nft or conntrack. Every lab a test builds is removed
by its fixture (``finally``), and the session checks that no namespace of a lab
built here is left behind.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest


def why_not() -> str | None:
    if os.geteuid() != 0:
        return "enforcement tests need root (network namespaces, nftables)"
    for tool in ("ip", "nft", "conntrack"):
        if shutil.which(tool) is None:
            return f"enforcement tests need {tool} on PATH"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = why_not()
    if reason is None:
        return
    for item in items:
        if "lab" in item.keywords and "enforcement" in str(item.path):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session", autouse=True)
def _no_namespace_left() -> Iterator[None]:
    """Remove whatever a crashed test left, and fail the session if there was any."""
    yield
    if why_not() is not None:
        return
    from netwarden.lab import Lab, _created_here, _ns
    from netwarden.lab.lifecycle import down
    from netwarden.lab.manifests import forget_manifests

    from .labtools import ENFORCER

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
    assert not left, f"labs/namespaces left behind by the enforcement tests: {left}"
