"""Sorted, merged, inclusive integer intervals: ports, ICMP codes and addresses alike.

>>> subtract(merge([(1, 10), (5, 20)]), ((8, 9),))
((1, 7), (10, 20))
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["Intervals", "intersect", "merge", "subtract"]

Intervals = tuple[tuple[int, int], ...]


def merge(ranges: Iterable[tuple[int, int]]) -> Intervals:
    """Sort and join overlapping or touching ranges."""
    out: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((lo, hi) for lo, hi in out)


def intersect(a: Intervals, b: Intervals) -> Intervals:
    out: list[tuple[int, int]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def subtract(a: Intervals, b: Intervals) -> Intervals:
    """``a`` without ``b``, in one pass over both (both merged)."""
    out: list[tuple[int, int]] = []
    j = 0
    for lo, hi in a:
        while j < len(b) and b[j][1] < lo:
            j += 1
        k = j
        while k < len(b) and b[k][0] <= hi:
            if b[k][0] > lo:
                out.append((lo, b[k][0] - 1))
            lo = max(lo, b[k][1] + 1)
            k += 1
        if lo <= hi:
            out.append((lo, hi))
    return tuple(out)
