"""Core engine benchmark: load + full connectivity matrix, and single checks.

Targets (issue: core): 1,000 pods / 200 policies, full matrix as JSON, < 1 s;
10,000 pods / 2,000 policies, grouped, < 10 s; one check after load < 1 ms.
Times are wall-clock of the real command (process start included), best of
three, so they are what a user waits.
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate, write

NETWARDEN = str(Path(sys.executable).with_name("netwarden"))


def best_of(argv: list[str], runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def check_latency(path: Path) -> tuple[float, float]:
    from netwarden import Engine, compile_snapshot
    from netwarden.load import load_snapshot

    engine = Engine(compile_snapshot(load_snapshot([path])))
    pods = [p.key for p in engine.cluster.pods]
    rng = random.Random(1)
    pairs = [(rng.choice(pods), rng.choice(pods)) for _ in range(1000)]
    timings = []
    for src, dst in pairs:
        start = time.perf_counter()
        engine.check(src, dst, "TCP", 5432)
        timings.append(time.perf_counter() - start)
    timings.sort()
    return timings[len(timings) // 2], timings[int(len(timings) * 0.99)]


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="nw-bench-") as tmp:
        for pods, policies, grouped, target in ((1000, 200, False, 1.0),
                                                 (10000, 2000, True, 10.0)):
            out = Path(tmp) / f"c{pods}"
            write(generate(pods, policies), out)
            argv = [NETWARDEN, "matrix", str(out), "--format", "json", "-O",
                    str(Path(tmp) / f"m{pods}.json")] + (["--grouped"] if grouped else [])
            seconds = best_of(argv)
            what = f"load + full matrix{' (--grouped)' if grouped else ''}, JSON written"
            rows.append((f"{pods:,} pods, {policies:,} policies: {what}", f"{seconds:.2f} s",
                         f"< {target:g} s", "yes" if seconds < target else "NO"))
            median, p99 = check_latency(out)
            rows.append((f"{pods:,} pods: one `check` after load (median / p99)",
                         f"{median * 1e3:.3f} / {p99 * 1e3:.3f} ms", "< 1 ms",
                         "yes" if p99 < 1e-3 else "NO"))
    print("### Engine (core)\n")
    print("| measurement | result | target | met |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
