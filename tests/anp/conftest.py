"""Lab tests of cluster-wide policies: skipped without root, ip, nft or conntrack."""

from __future__ import annotations

import os
import shutil

import pytest


def why_not() -> str | None:
    if os.geteuid() != 0:
        return "lab tests need root (network namespaces, nftables)"
    for tool in ("ip", "nft", "conntrack"):
        if shutil.which(tool) is None:
            return f"lab tests need {tool} on PATH"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = why_not()
    if reason is None:
        return
    for item in items:
        if "lab" in item.keywords and "anp" in str(item.path):
            item.add_marker(pytest.mark.skip(reason=reason))
