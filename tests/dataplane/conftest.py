"""Throwaway ``nwt-`` network namespaces for kernel tests; nothing touches the root netns."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Callable, Iterator

import pytest

from ..lab_fixtures import lab_unavailable

NetnsFactory = Callable[[], str]


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, check=check, timeout=30)


def in_ns(ns: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return sh("ip", "netns", "exec", ns, *argv, check=check)


@pytest.fixture
def netns() -> Iterator[NetnsFactory]:
    """Creates ``nwt-<random>`` namespaces on demand and deletes all of them afterwards."""
    reason = lab_unavailable()
    if reason:
        pytest.skip(reason)
    made: list[str] = []

    def make() -> str:
        name = f"nwt-{secrets.token_hex(4)}"
        sh("ip", "netns", "add", name)
        made.append(name)
        in_ns(name, "ip", "link", "set", "lo", "up")
        return name

    try:
        yield make
    finally:
        for name in made:
            sh("ip", "netns", "del", name, check=False)
