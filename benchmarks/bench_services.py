"""Services benchmark: the generated clusters with one Service per application.

No target is set by the Services issue; the figures say what a Service-level
answer costs. Each application of ``generate`` (10 pods) gets a ClusterIP
Service on port 80 whose targetPort is the pods' named port, so every answer
maps a Service port to a per-pod port. Wall-clock of the real command, best
of three, as in ``bench_core.py``; ``check`` through a Service in process.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_core import NETWARDEN, best_of
from generate import PORTS, generate, write


def services(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One Service per (namespace, app) of the generated pods."""
    seen: dict[tuple[str, str], str] = {}
    for d in docs:
        if d["kind"] == "Pod":
            meta = d["metadata"]
            seen.setdefault((meta["namespace"], meta["labels"]["app"]), meta["labels"]["tier"])
    return [{"apiVersion": "v1", "kind": "Service",
             "metadata": {"name": app, "namespace": ns},
             "spec": {"selector": {"app": app},
                      "ports": [{"name": "web", "port": 80, "targetPort": PORTS[tier][1]}]}}
            for (ns, app), tier in sorted(seen.items())]


def check_latency(path: Path) -> tuple[float, float]:
    from netwarden import Engine, compile_snapshot
    from netwarden.engine.services import check_service
    from netwarden.load import load_snapshot

    engine = Engine(compile_snapshot(load_snapshot([path])))
    pods = [p.key for p in engine.cluster.pods]
    rng = random.Random(1)
    cases = [(rng.choice(pods), rng.choice(engine.cluster.services)) for _ in range(300)]
    timings = []
    for src, svc in cases:
        start = time.perf_counter()
        check_service(engine, src, svc, 80)
        timings.append(time.perf_counter() - start)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99) - 1]


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="nw-bench-svc-") as tmp:
        for pods, policies in ((1000, 200), (5000, 1000)):
            docs = generate(pods, policies)
            extra = services(docs)
            out = Path(tmp) / f"c{pods}"
            write(docs + extra, out)
            argv = [NETWARDEN, "matrix", str(out), "--services", "--port", "80", "--format",
                    "json", "-O", str(Path(tmp) / f"m{pods}.json")]
            seconds = best_of(argv)
            rows.append((f"{pods:,} pods, {len(extra):,} Services, {policies:,} "
                         "NetworkPolicies: load + `matrix --services --port 80`, JSON written",
                         f"{seconds:.2f} s"))
            median, p99 = check_latency(out)
            rows.append((f"{pods:,} pods: one `check` through a Service of 10 backends after "
                         "load (median / p99)", f"{median * 1e3:.2f} / {p99 * 1e3:.2f} ms"))
    print("### Services\n")
    print("| measurement | result |")
    print("|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
