"""Policies from traffic: suggest from 100,000 recorded flows, replay 100,000 flows.

Targets (issue 14): ``netwarden suggest`` from 100,000 recorded flows over 1,000 pods
in < 5 s; ``netwarden replay`` of 100,000 flows in < 2 s. The cluster is
``generate.py``'s (1,000 bare pods, ten per app, whose labels include a unique index and
pod-template-hash, no policy); each app talks to three others on their tier's port,
resolves names through kube-dns, and some call outside addresses. Wall clock of the
real commands (process start, load, verification and the diff included), one run
each, with the CPU time they took (on a shared machine: the wall clock without the
waiting); then the same work phase by phase in this process (wall clock), which says
where a command's time goes.
"""

from __future__ import annotations

import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).parent))
from bench_core import NETWARDEN
from generate import PORTS, generate, write

from netwarden.analysis import suggest_verify
from netwarden.analysis.diff import diff
from netwarden.analysis.flow_verdicts import FlowVerdicts
from netwarden.analysis.flows import Flow, FlowEnd, FlowVerdict, dump_flow, read_flow_counts
from netwarden.analysis.lint import lint
from netwarden.analysis.replay import proposed_cluster, replay
from netwarden.analysis.suggest import SuggestOptions, suggestion
from netwarden.compile import compile_snapshot
from netwarden.load import load_snapshot

T = TypeVar("T")

DNS = {"apiVersion": "v1", "kind": "Pod",
       "metadata": {"name": "coredns-1", "namespace": "kube-system",
                    "labels": {"k8s-app": "kube-dns", "pod-template-hash": "5d78"}},
       "spec": {"containers": [{"name": "dns", "ports": [
           {"containerPort": 53, "protocol": "UDP", "name": "dns"}]}]}}


def _end(doc: dict[str, Any], address: str | None = None, port: int | None = None) -> FlowEnd:
    meta = doc["metadata"]
    return FlowEnd(namespace=meta["namespace"], pod=meta["name"],
                   labels=tuple(sorted(meta["labels"].items())), address=address, port=port)


def flows(docs: list[dict[str, Any]], count: int, seed: int = 5) -> list[Flow]:
    rng = random.Random(seed)
    pods = [d for d in docs if d["kind"] == "Pod" and d["metadata"]["namespace"] != "kube-system"]
    by_app: dict[str, list[dict[str, Any]]] = {}
    for pod in pods:
        by_app.setdefault(pod["metadata"]["labels"]["app"], []).append(pod)
    apps = sorted(by_app)
    talks = {app: rng.sample(apps, 3) for app in apps}
    dns = _end(DNS)
    out = []
    for i in range(count):
        src = rng.choice(pods)
        app = src["metadata"]["labels"]["app"]
        kind = i % 10
        if kind == 0:
            dst, port, proto = dns, 53, "UDP"
        elif kind == 1 and int(app.split("-")[1]) % 4 == 0:
            dst, port, proto = FlowEnd(address=f"203.0.113.{rng.randint(1, 40)}"), 443, "TCP"
        else:
            target = rng.choice(by_app[rng.choice(talks[app])])
            dst = _end(target)
            port, proto = PORTS[target["metadata"]["labels"]["tier"]][0], "TCP"
        out.append(Flow(time=f"2026-12-01T12:{i // 6000 % 60:02d}:{i // 100 % 60:02d}Z",
                        source=_end(src, port=30000 + i % 30000),
                        destination=FlowEnd(dst.namespace, dst.pod, dst.workload, dst.labels,
                                            dst.address, port),
                        protocol=proto, verdict=FlowVerdict.ALLOWED))
    return out


def _command(argv: list[str]) -> tuple[float, float]:
    """Wall clock and CPU time (user + system) of one run of a command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _timed(rows: list[tuple[str, str]], what: str, work: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = work()
    rows.append((what, f"{time.perf_counter() - start:.2f} s"))
    return result


def phases(app: Path, log: Path, out: Path) -> list[tuple[str, str]]:
    """The commands' work step by step, in this process (imports and printing left out)."""
    rows: list[tuple[str, str]] = []
    snapshot = _timed(rows, "load + compile the manifests", lambda: load_snapshot([app]))
    before = compile_snapshot(snapshot)
    counted = _timed(rows, "read 100,000 flow records (counted per connection)",
                     lambda: read_flow_counts(log).counted)
    result = _timed(rows, f"suggest: build the suggestion ({len(counted):,} connections)",
                    lambda: suggestion(before, counted, SuggestOptions(prefix_length=24)))
    after = _timed(rows, "suggest: load + compile the manifests with the suggestion",
                   lambda: suggest_verify.combine(snapshot, suggest_verify.json_texts(
                       result, str(out))))

    def allowed() -> None:
        verdicts = FlowVerdicts(after)
        assert all(verdicts.allows(f) is True for f in result.used)

    _timed(rows, "suggest: every observed flow allowed (per equivalence class)", allowed)
    _timed(rows, f"suggest: lint of the result ({len(result.manifests)} policies)",
           lambda: lint(after))
    _timed(rows, "suggest: diff against the current policies", lambda: diff(before, after))
    _timed(rows, "suggest: the YAML", lambda: suggest_verify.manifest_texts(result, str(out)))
    proposal = _timed(rows, "replay: load the suggested files", lambda: load_snapshot([out]))
    proposed = _timed(rows, "replay: compile the proposed cluster",
                      lambda: proposed_cluster(snapshot, proposal))
    _timed(rows, "replay: decide every connection under both clusters",
           lambda: replay(before, proposed, counted))
    return rows


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="nw-bench-flows-") as tmp:
        docs = [*generate(1000, 0),
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}},
                DNS]
        app = write(docs, Path(tmp) / "app")
        recorded = flows(docs, 100_000)
        log = Path(tmp) / "flows.jsonl"
        log.write_bytes(b"".join(dump_flow(f) for f in recorded))
        out = Path(tmp) / "suggested"
        wall, cpu = _command([NETWARDEN, "suggest", str(app), "--flows", str(log), "-O",
                              str(out), "--prefix-length", "24"])
        written = len(list(out.rglob("*.yaml")))
        rows.append((f"suggest: 100,000 flows over 1,001 pods → {written:,} policies, verified "
                     "(engine, lint, diff) and written", f"{wall:.2f} s", f"{cpu:.2f} s",
                     "< 5 s", "yes" if wall < 5 else "NO"))
        wall, cpu = _command([NETWARDEN, "replay", str(app), str(out), "--flows", str(log),
                              "-o", "json"])
        rows.append(("replay: 100,000 flows under the current and the suggested policies",
                     f"{wall:.2f} s", f"{cpu:.2f} s", "< 2 s", "yes" if wall < 2 else "NO"))
        steps = phases(app, log, out)
    print("### Policies from traffic (suggest, replay)\n")
    print("| measurement | wall clock | CPU (user + system) | target (wall clock) | met |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print("\nPhase by phase, in one process (wall clock):\n")
    print("| phase | result |")
    print("|---|---|")
    for step in steps:
        print("| " + " | ".join(step) + " |")


if __name__ == "__main__":
    main()
