"""For the whole suite: lab tests are skipped where they cannot run, and no lab outlives it.

The shared lab helpers are in ``tests/lab_fixtures.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .lab_fixtures import lab_unavailable, remove_leftover_labs


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = lab_unavailable()
    if reason is None:
        return
    for item in items:
        if item.get_closest_marker("lab") is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session", autouse=True)
def _no_lab_left() -> Iterator[None]:
    """Remove whatever a crashed test left, and fail the session if there was any."""
    yield
    if lab_unavailable() is None:
        left = remove_leftover_labs()
        assert not left, f"labs/namespaces left behind by the tests: {left}"
