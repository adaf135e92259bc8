"""Lab fixtures: skip without root, and never leave a namespace behind."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "lab tests need root (network namespaces)"
    if shutil.which("ip") is None:
        return "lab tests need iproute2 (ip)"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = _why_not()
    if reason is None:
        return
    for item in items:
        if "lab" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session", autouse=True)
def _lab_safety_net() -> Iterator[None]:
    """Whatever a test leaves (a crash between up and down), the session removes."""
    yield
    if _why_not() is not None:
        return
    from netwarden.lab import Lab, _created_here, _ns

    for lab_id in sorted(_created_here):
        if lab_id in Lab.ids():
            Lab.load(lab_id).down()
        _ns.netns_delete(n for n in _ns.list_netns() if n.startswith(f"nw{lab_id}-"))
