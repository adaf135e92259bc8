"""Policies from traffic: suggest from 100,000 recorded flows, replay 100,000 flows.

Targets (issue 14): ``netwarden suggest`` from 100,000 recorded flows over 1,000 pods
in < 5 s; ``netwarden replay`` of 100,000 flows in < 2 s. The cluster is
``generate.py``'s (1,000 pods whose labels include a unique index and
pod-template-hash, no policy); each app talks to three others on their tier's port,
resolves names through kube-dns, and some call outside addresses. Wall-clock of the
real commands (process start, load, verification and the diff included), one run
each (a run takes long enough that one is representative).
"""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_core import NETWARDEN, best_of
from generate import PORTS, generate, write

from netwarden.analysis.flows import Flow, FlowEnd, FlowVerdict, dump_flow

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
        seconds = best_of([NETWARDEN, "suggest", str(app), "--flows", str(log), "-O", str(out),
                           "--prefix-length", "24"], runs=1)
        written = len(list(out.rglob("*.yaml")))
        rows.append((f"suggest: 100,000 flows over 1,001 pods → {written:,} policies, verified "
                     "(engine, lint, diff) and written", f"{seconds:.2f} s", "< 5 s",
                     "yes" if seconds < 5 else "NO"))
        seconds = best_of([NETWARDEN, "replay", str(app), str(out), "--flows", str(log),
                           "-o", "json"], runs=1)
        rows.append(("replay: 100,000 flows under the current and the suggested policies",
                     f"{seconds:.2f} s", "< 2 s", "yes" if seconds < 2 else "NO"))
    print("### Policies from traffic (suggest, replay)\n")
    print("| measurement | result | target | met |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
