"""Benchmark the analysis commands, and network-config-analyzer (NCA) on the same inputs.

    .venv/bin/python benchmarks/bench_analysis.py [--no-nca] [--repeat 3]

Measures, on clusters from ``generate.py``:

* ``lint`` with redundancy, 500 pods / 100 policies (target < 5 s);
* ``diff`` of two 1,000-pod / 200-policy clusters (target < 2 s);
* ``matrix`` (full connectivity), for reference.

NCA is installed from PyPI into its own venv (``/tmp/nca-venv``), never as a
netwarden dependency, and timed with ``nca --connectivity`` (and
``--semantic_diff``) on the same files. If installing or running it fails,
the table says why. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate, write

from netwarden import load_cluster
from netwarden.analysis.diff import diff
from netwarden.analysis.lint import lint
from netwarden.analysis.matrix import full_matrix
from netwarden.engine import Connectivity

NCA_VENV = Path("/tmp/nca-venv")
NCA_TIMEOUT = 600


def best(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def nca_install() -> str | None:
    """None when NCA is ready, else why it is not."""
    nca = NCA_VENV / "bin" / "nca"
    if nca.exists():
        return None
    try:
        subprocess.run([sys.executable, "-m", "venv", str(NCA_VENV)], check=True,
                       capture_output=True, text=True, timeout=300)
        subprocess.run([str(NCA_VENV / "bin" / "pip"), "install", "-q",
                        "network-config-analyzer"], check=True, capture_output=True, text=True,
                       timeout=900)
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        return f"install failed: {detail.strip().splitlines()[-1] if detail.strip() else exc}"
    return None if nca.exists() else "install finished but no nca executable"


def nca_time(args: list[str]) -> str:
    nca = NCA_VENV / "bin" / "nca"
    start = time.perf_counter()
    try:
        proc = subprocess.run([str(nca), *args], capture_output=True, text=True,
                              timeout=NCA_TIMEOUT)
    except subprocess.TimeoutExpired:
        return f"> {NCA_TIMEOUT} s (timed out)"
    elapsed = time.perf_counter() - start
    # NCA exits non-zero for "findings" (e.g. differences); only a traceback is a failure.
    if "Traceback" in proc.stderr or (proc.returncode and not proc.stdout):
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return f"failed ({last[:80]})"
    return f"{elapsed:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-nca", action="store_true", help="skip network-config-analyzer")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows: list[tuple[str, str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        small = root / "p500"
        write(generate(500, 100, 7), small)
        big_a, big_b = root / "a1000", root / "b1000"
        write(generate(1000, 200, 7), big_a)
        # B: the same pods, with the policy mix of another seed (a realistic large change).
        docs_b = generate(1000, 200, 7)[:-200] + generate(1000, 200, 8)[-200:]
        write(docs_b, big_b)

        t_load, _cluster = best(lambda: load_cluster([small]), args.repeat)
        t_lint, findings = best(lambda: lint(load_cluster([small])), args.repeat)
        n = len(findings)  # type: ignore[arg-type]
        t_matrix, _ = best(lambda: full_matrix(Connectivity(load_cluster([small]))), args.repeat)
        t_diff, report = best(lambda: diff(load_cluster([big_a]), load_cluster([big_b])),
                              args.repeat)
        changes = len(report.changes)  # type: ignore[attr-defined]
        t_big_matrix, _ = best(lambda: full_matrix(Connectivity(load_cluster([big_a]))),
                               args.repeat)

        nca_why = "skipped (--no-nca)" if args.no_nca else nca_install()
        nca_small = nca_big = nca_diff = nca_why or ""
        if nca_why is None:
            nca_small = nca_time(["--connectivity", str(small), "--pod_list", str(small),
                                  "--ns_list", str(small), "--output_format", "txt"])
            nca_big = nca_time(["--connectivity", str(big_a), "--pod_list", str(big_a),
                                "--ns_list", str(big_a), "--output_format", "txt"])
            nca_diff = nca_time(["--semantic_diff", str(big_b), "--base_np_list", str(big_a),
                                 "--pod_list", str(big_a), "--ns_list", str(big_a),
                                 "--output_format", "txt"])
        rows += [
            ("load + compile", "500 pods / 100 policies", f"{t_load:.2f} s", "", ""),
            ("lint (all checks, incl. redundancy)", "500 / 100", f"{t_lint:.2f} s",
             "< 5 s", f"{n} findings"),
            ("matrix (full connectivity)", "500 / 100", f"{t_matrix:.2f} s", "", nca_small),
            ("matrix (full connectivity)", "1,000 / 200", f"{t_big_matrix:.2f} s", "", nca_big),
            ("diff (semantic, incl. load of both)", "1,000 / 200 vs 1,000 / 200",
             f"{t_diff:.2f} s", "< 2 s", f"{changes} change lines; NCA semantic_diff: "
             f"{nca_diff}"),
        ]
    print(f"| operation | input | netwarden (best of {args.repeat}) | target | NCA / notes |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print("\nNCA columns: `nca --connectivity DIR --pod_list DIR --ns_list DIR` "
          f"(one run, wall clock, venv {NCA_VENV}).")


if __name__ == "__main__":
    main()
