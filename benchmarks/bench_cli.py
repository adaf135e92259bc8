"""Benchmark netwarden as a user runs it: whole processes, start-up and strict reading included.

    .venv/bin/python benchmarks/bench_cli.py [--no-nca] [--repeat 5]

Measures, each as a fresh ``netwarden`` process (best of ``--repeat``):

* ``netwarden --version`` (target < 80 ms);
* ``matrix --format json`` on the generator's 500 pods / 100 policies and
  1,000 / 200, beside network-config-analyzer's ``--connectivity`` on the
  same files in the same run (targets: 20x and 100x faster);
* ``matrix --grouped --format json`` on 10,000 pods / 2,000 policies (< 5 s);
* the reader alone: YAML with positions, per MB, and a 20 MB manifest file.

NCA is installed from PyPI into its own venv (see ``bench_analysis.py``),
never as a netwarden dependency. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_analysis import NCA_TIMEOUT, NCA_VENV, nca_install
from generate import generate, write

from netwarden.load.yamlpos import read_documents

NETWARDEN = Path(sys.executable).with_name("netwarden")


def process_seconds(argv: list[str], repeat: int) -> float:
    """Best wall-clock time of ``argv`` as a process; it must exit 0."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - start)
    return min(times)


def nca_seconds(folder: Path) -> tuple[float | None, str]:
    """NCA's ``--connectivity`` on ``folder`` (one run), or None and why not."""
    nca = NCA_VENV / "bin" / "nca"
    argv = [str(nca), "--connectivity", str(folder), "--pod_list", str(folder),
            "--ns_list", str(folder), "--output_format", "txt"]
    start = time.perf_counter()
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=NCA_TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, f"> {NCA_TIMEOUT} s (timed out)"
    elapsed = time.perf_counter() - start
    if "Traceback" in proc.stderr or (proc.returncode and not proc.stdout):
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"failed ({last[:80]})"
    return elapsed, f"{elapsed:.2f} s"


def ratio_row(name: str, size: str, ours: float, nca: tuple[float | None, str],
              target: float) -> tuple[str, ...]:
    seconds, text = nca
    if seconds is None:
        return (name, size, f"{ours:.2f} s", f">= {target:.0f}x NCA", f"NCA: {text}")
    factor = seconds / ours
    met = "met" if factor >= target else "NOT met"
    return (name, size, f"{ours:.2f} s", f">= {target:.0f}x NCA: {met}",
            f"NCA {text}: {factor:.0f}x")


def reader_rows(root: Path) -> list[tuple[str, ...]]:
    big = root / "r1000" / "cluster.yaml"
    text = big.read_text()
    start = time.perf_counter()
    docs, errors = read_documents(text, str(big))
    took = time.perf_counter() - start
    assert not errors
    rate = len(text.encode()) / 1e6 / took
    huge = root / "huge.yaml"
    # 20 MB: the 1,000-pod cluster repeated in namespaces of its own
    copies = max(1, int(20e6 // len(text)))
    with huge.open("w") as fh:
        for i in range(copies):
            fh.write(text.replace("team-", f"c{i}-team-"))
            fh.write("\n---\n")
    size = huge.stat().st_size / 1e6
    start = time.perf_counter()
    subprocess.run([str(NETWARDEN), "validate", str(huge)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t_huge = time.perf_counter() - start
    return [
        ("read YAML with positions (reader alone)", f"{len(text) / 1e6:.1f} MB, {len(docs)} "
         "documents", f"{took * 1000:.0f} ms", "", f"{rate:.1f} MB/s"),
        ("validate a 20 MB manifest file", f"{size:.1f} MB, {copies * len(docs)} documents",
         f"{t_huge:.2f} s", "handled", "one process"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-nca", action="store_true", help="skip network-config-analyzer")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        small, big, huge = root / "r500", root / "r1000", root / "r10000"
        write(generate(500, 100, 7), small)
        write(generate(1000, 200, 7), big)
        write(generate(10_000, 2000, 7), huge)
        env_note = f"{os.cpu_count()} cores"

        t_version = process_seconds([str(NETWARDEN), "--version"], args.repeat * 2)
        rows.append(("netwarden --version", "", f"{t_version * 1000:.0f} ms", "< 80 ms: "
                     + ("met" if t_version < 0.080 else "NOT met"), env_note))
        matrix = [str(NETWARDEN), "matrix", "--format", "json"]
        t_small = process_seconds([*matrix, str(small)], args.repeat)
        t_big = process_seconds([*matrix, str(big)], args.repeat)
        t_huge = process_seconds([*matrix, "--grouped", str(huge)], max(1, args.repeat // 2))

        why = "skipped (--no-nca)" if args.no_nca else nca_install()
        nca_small = nca_big = (None, why or "")
        if why is None:
            nca_small = nca_seconds(small)
            nca_big = nca_seconds(big)
        rows.append(ratio_row("matrix --format json", "500 pods / 100 policies", t_small,
                              nca_small, 20))
        rows.append(ratio_row("matrix --format json", "1,000 / 200", t_big, nca_big, 100))
        rows.append(("matrix --grouped --format json", "10,000 / 2,000", f"{t_huge:.2f} s",
                     "< 5 s: " + ("met" if t_huge < 5 else "NOT met"), ""))
        rows += reader_rows(root)
    print(f"| whole process | input | netwarden (best of {args.repeat}) | target | "
          "NCA / notes |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print("\nEach netwarden figure is a fresh process (`netwarden ...` from the venv), so "
          "Python start-up, imports, strict reading and writing the JSON are included. "
          "NCA: `nca --connectivity DIR --pod_list DIR --ns_list DIR --output_format txt`, "
          f"one run, wall clock, in the same run (venv {NCA_VENV}).")


if __name__ == "__main__":
    main()
