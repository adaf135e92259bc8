"""Agent benchmark: 1,000 pods and 500 policies on one node.

Measures, through the agent's own ``Reconciler`` (parse → compile → render →
diff → nft apply):

* enforcement latency of a single policy or label change, p50/p99 over 100
  changes, from the source event (the view handed over) to the apply returning;
* the full resync: reading the table back and comparing it (no drift), and
  rewriting it whole (after ``mark_drift``);
* the agent's memory (RSS).

With root and ``nft`` the table is real, in a throwaway ``nwb-`` network
namespace that is deleted afterwards; otherwise ``FakeNft`` stands in (and
the table says so). Prints a Markdown table.

    .venv/bin/python benchmarks/bench_agent.py [--pods 1000 --policies 500 --changes 100]
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import time

import yaml

from netwarden.agent.interfaces import StaticInterfaces
from netwarden.agent.reconcile import Reconciler
from netwarden.dataplane import RenderOptions
from netwarden.dataplane.nft import FakeNft, SystemNft
from netwarden.load.cache import ManifestCache

NAMESPACES = 20


def pod_doc(i: int, app: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"pod-{i}", "namespace": f"ns-{i % NAMESPACES}",
                         "labels": {"app": app, "tier": f"t{i % 7}"}},
            "spec": {"nodeName": "node-1",
                     "containers": [{"name": "c", "image": "nginx",
                                     "ports": [{"containerPort": 80}]}]},
            "status": {"podIP": f"10.{20 + i // 250}.{(i % 250) // 250}.{i % 250 + 2}"}}


def policy_doc(j: int, port: int) -> dict[str, object]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": f"pol-{j}", "namespace": f"ns-{j % NAMESPACES}"},
            "spec": {"podSelector": {"matchLabels": {"app": f"app-{j % 100}"}},
                     "policyTypes": ["Ingress"],
                     "ingress": [{"from": [{"podSelector": {"matchLabels": {
                         "app": f"app-{(j + 1) % 100}"}}}],
                         "ports": [{"port": port, "protocol": "TCP"}]}]}}


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pods", type=int, default=1000)
    ap.add_argument("--policies", type=int, default=500)
    ap.add_argument("--changes", type=int, default=100)
    ap.add_argument("--fake", action="store_true", help="use FakeNft even with root")
    args = ap.parse_args()

    real = not args.fake and os.geteuid() == 0 and shutil.which("nft") is not None
    netns = f"nwb-{secrets.token_hex(3)}" if real else None
    pods = {i: f"app-{i % 100}" for i in range(args.pods)}
    ports = {j: 80 for j in range(args.policies)}

    def items() -> list[tuple[str, str]]:
        out = [(f"ns-{k}", yaml.safe_dump({"apiVersion": "v1", "kind": "Namespace",
                                           "metadata": {"name": f"ns-{k}"}}))
               for k in range(NAMESPACES)]
        out += [(f"pod-{i}", cache_text("p", i, lambda i=i: pod_doc(i, pods[i]))) for i in pods]
        out += [(f"pol-{j}", cache_text("n", j, lambda j=j: policy_doc(j, ports[j])))
                for j in ports]
        return out

    texts: dict[tuple[str, int], tuple[object, str]] = {}

    def cache_text(kind: str, i: int, make) -> str:  # type: ignore[no-untyped-def]
        key = (kind, i)
        state = pods[i] if kind == "p" else ports[i]
        hit = texts.get(key)
        if hit is None or hit[0] != state:
            texts[key] = (state, yaml.safe_dump(make(), sort_keys=False))
        return texts[key][1]

    ifaces = {f"ns-{i % NAMESPACES}/pod-{i}": f"nwbp{i}" for i in range(args.pods)}
    try:
        if real:
            subprocess.run(["ip", "netns", "add", netns], check=True)
        backend = SystemNft(netns) if real else FakeNft()
        rec = Reconciler(backend, "node-1", StaticInterfaces(ifaces),  # type: ignore[arg-type]
                         options=RenderOptions(pod_interface_prefix="nwbp"),
                         cache=ManifestCache(), revoke=False)
        t0 = time.monotonic()
        first = rec.reconcile(items(), t0)
        assert first is not None
        initial = time.monotonic() - t0
        latencies = []
        kinds = []
        for n in range(args.changes):
            if n % 2 == 0:
                j = (n * 37) % args.policies
                ports[j] = 80 if ports[j] != 80 else 8080 + n
                kinds.append("policy")
            else:
                i = (n * 53) % args.pods
                pods[i] = f"app-{(int(pods[i].split('-')[1]) + 1) % 100}"
                kinds.append("label")
            view = items()
            start = time.monotonic()  # the source hands the view over here
            result = rec.reconcile(view, start)
            assert result is not None and not result.full
            latencies.append(result.latency)
        t0 = time.monotonic()
        drift = rec.check_drift() if real else False
        verify = time.monotonic() - t0
        rec.writer.mark_drift()
        t0 = time.monotonic()
        rec._apply(rec.desired, t0, 0)  # type: ignore[arg-type]
        rewrite = time.monotonic() - t0
        desired = rec.desired
        assert desired is not None and not drift
        lat = sorted(latencies)
        p99 = lat[min(len(lat) - 1, round(0.99 * len(lat)) - 1)]
        rows = [
            ("backend", "nft in a throwaway netns" if real else "FakeNft (no root/nft)", ""),
            ("pods / policies / changes", f"{args.pods} / {args.policies} / {args.changes}", ""),
            ("table", f"{len(desired.chains)} chains, "
                      f"{sum(len(c.rules) for c in desired.chains)} rules, "
                      f"{len(desired.sets)} sets", ""),
            ("initial full apply", f"{initial * 1000:.0f} ms", ""),
            ("change → applied, p50", f"{statistics.median(lat) * 1000:.1f} ms", ""),
            ("change → applied, p99", f"{p99 * 1000:.1f} ms", "< 100 ms: "
             + ("met" if p99 < 0.1 else "NOT met")),
            ("change → applied, max", f"{lat[-1] * 1000:.1f} ms", ""),
            ("resync: read back + compare", f"{verify * 1000:.0f} ms" if real else "n/a", ""),
            ("resync: full rewrite", f"{rewrite * 1000:.0f} ms",
             "< 1 s: " + ("met" if rewrite + verify < 1 else "NOT met")),
            ("agent RSS", f"{rss_mb():.0f} MB", "< 200 MB: "
             + ("met" if rss_mb() < 200 else "NOT met")),
        ]
        print("| measure | value | target |\n|---|---|---|")
        for row in rows:
            print(f"| {row[0]} | {row[1]} | {row[2]} |")
        return 0
    finally:
        if real:
            subprocess.run(["ip", "netns", "del", netns], check=False)


if __name__ == "__main__":
    sys.exit(main())
