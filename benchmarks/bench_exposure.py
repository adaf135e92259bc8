"""Exposure on generated clusters: `exposure(cluster)` for every workload, both directions.

Prints Markdown: pods, policies, workloads, lines, and the best of three runs
(the cluster loaded once; the time is the analysis alone).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from generate import generate, write

from netwarden import load_cluster
from netwarden.analysis.exposure import exposure

SIZES = ((100, 20), (1000, 200))


def main() -> None:
    rows = []
    for pods, policies in SIZES:
        with tempfile.TemporaryDirectory() as tmp:
            cluster = load_cluster([write(generate(pods, policies), Path(tmp))])
        best = float("inf")
        found = None
        for _ in range(3):
            start = time.perf_counter()
            found = exposure(cluster)
            best = min(best, time.perf_counter() - start)
        assert found is not None
        lines = sum(len(w.ingress.lines) + len(w.egress.lines) for w in found.workloads)
        rows.append(f"| {pods} | {policies} | {len(found.workloads)} | {lines} | "
                    f"{best:.2f} s |")
    print("### exposure\n")
    print("`exposure(cluster)`: every workload's lines, ingress and egress, with the "
          "existing workloads under each (best of 3).\n")
    print("| pods | policies | workloads | lines | time |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
