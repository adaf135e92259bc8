"""Large policy sets: 1,000 pods under ~2,000 NetworkPolicies of the shapes `suggest` writes.

Targets: ``netwarden lint`` < 5 s; load + compile (the policies given as JSON) < 3 s;
``netwarden matrix --format json`` of the 1,000 pods < 1 s.

The pods are ``generate.py``'s (labels include a unique ``index`` and
``pod-template-hash``), each its own workload, plus kube-dns. The policies are
what ``netwarden suggest`` writes for such a cluster (issue 14): one per workload
and direction, the workload selected by its stable labels (``app``, ``tier``,
``version`` and the unique ``index``: ``app`` alone would also select the
workload's siblings), peers as ``podSelector`` on the peer's stable labels with a
``namespaceSelector`` on ``kubernetes.io/metadata.name`` when it lives elsewhere,
peers on one port sharing a rule, outside addresses as ``ipBlock``s, and a default
deny per namespace whose egress lets pods reach kube-dns. Each workload calls pods
of three other apps on their tier's port; ingress mirrors the callers.

Times are wall-clock of the real commands (a fresh ``netwarden`` process: start-up,
strict reading of every document, compiling and writing the answer included),
best of ``REPEAT``; load + compile is ``netwarden validate`` on the same input
(it reads, validates and compiles everything, and prints one line).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_core import NETWARDEN
from generate import PORTS, generate, write

REPEAT = 3
MANAGED = {"app.kubernetes.io/managed-by": "netwarden"}
UNSTABLE = ("pod-template-hash",)
DNS = {"apiVersion": "v1", "kind": "Pod",
       "metadata": {"name": "coredns-1", "namespace": "kube-system",
                    "labels": {"k8s-app": "kube-dns", "pod-template-hash": "5d78"}},
       "spec": {"containers": [{"name": "dns", "ports": [
           {"containerPort": 53, "protocol": "UDP", "name": "dns"}]}]}}


def best_of(argv: list[str], runs: int) -> float:
    """Best wall-clock of ``argv`` as a process; exit 0, or 1 for findings, else an error."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(argv)}: exit {proc.returncode}: {proc.stderr[-500:]}")
        best = min(best, time.perf_counter() - start)
    return best


def _stable(pod: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, v in pod["metadata"]["labels"].items() if k not in UNSTABLE}


def _peer(pod: dict[str, Any], namespace: str) -> dict[str, Any]:
    out: dict[str, Any] = {"podSelector": {"matchLabels": _stable(pod)}}
    if pod["metadata"]["namespace"] != namespace:
        out["namespaceSelector"] = {"matchLabels": {
            "kubernetes.io/metadata.name": pod["metadata"]["namespace"]}}
    return out


def _policy(pod: dict[str, Any], direction: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    meta = pod["metadata"]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": f"suggested-{meta['name']}-{direction}",
                         "namespace": meta["namespace"], "labels": dict(MANAGED)},
            "spec": {"podSelector": {"matchLabels": _stable(pod)},
                     "policyTypes": [direction.capitalize()], direction: rules}}


def suggested_policies(docs: list[dict[str, Any]], seed: int = 5,
                       callees: int = 3) -> list[dict[str, Any]]:
    """One ingress and one egress policy per pod, and a default deny per namespace."""
    rng = random.Random(seed)
    pods = [d for d in docs if d["kind"] == "Pod" and d["metadata"]["namespace"] != "kube-system"]
    by_app: dict[str, list[dict[str, Any]]] = {}
    for pod in pods:
        by_app.setdefault(pod["metadata"]["labels"]["app"], []).append(pod)
    apps = sorted(by_app)
    calls: dict[int, list[tuple[int, int]]] = {}      # caller → [(callee, port)]
    index = {id(p): i for i, p in enumerate(pods)}
    for i, pod in enumerate(pods):
        app = pod["metadata"]["labels"]["app"]
        targets = rng.sample([a for a in apps if a != app], callees)
        calls[i] = []
        for target in targets:
            for callee in rng.sample(by_app[target], min(3, len(by_app[target]))):
                port = PORTS[callee["metadata"]["labels"]["tier"]][0]
                calls[i].append((index[id(callee)], port))
    callers: dict[int, list[tuple[int, int]]] = {}
    for caller, out in calls.items():
        for callee, port in out:
            callers.setdefault(callee, []).append((caller, port))
    policies = []
    for i, pod in enumerate(pods):
        ns = pod["metadata"]["namespace"]
        app_no = int(pod["metadata"]["labels"]["app"].split("-")[1])
        egress = _rules(pods, calls[i], ns, "to")
        if app_no % 4 == 0:   # calls outside addresses: one ipBlock per /24 seen
            egress.append({"to": [{"ipBlock": {"cidr": f"203.0.{113 + app_no % 3}.0/24"}}],
                           "ports": [{"protocol": "TCP", "port": 443}]})
        policies.append(_policy(pod, "egress", egress))
        policies.append(_policy(pod, "ingress", _rules(pods, callers.get(i, []), ns, "from")))
    for ns in sorted({p["metadata"]["namespace"] for p in pods}):
        policies.append({
            "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "suggested-default-deny", "namespace": ns,
                         "labels": dict(MANAGED)},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "egress": [{
                "to": [{"namespaceSelector": {"matchLabels": {
                            "kubernetes.io/metadata.name": "kube-system"}},
                        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}]}})
    return policies


def _rules(pods: list[dict[str, Any]], peers: list[tuple[int, int]], namespace: str,
           side: str) -> list[dict[str, Any]]:
    """Peers on one port share a rule (as suggest groups them), in a stable order."""
    by_port: dict[int, list[int]] = {}
    for peer, port in sorted(set(peers)):
        by_port.setdefault(port, []).append(peer)
    return [{side: [_peer(pods[p], namespace) for p in members],
             "ports": [{"protocol": "TCP", "port": port}]}
            for port, members in sorted(by_port.items())]


def scenario(root: Path) -> tuple[Path, Path, int]:
    """The cluster (YAML) and its suggested policies (JSON documents); the policy count."""
    docs = [*generate(1000, 0),
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}},
            DNS]
    cluster = write(docs, root / "app")
    policies = suggested_policies(docs)
    out = root / "policies.json"
    out.write_text("\n".join(json.dumps(p, indent=2) for p in policies) + "\n")
    return cluster, out, len(policies)


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="nw-bench-scale-") as tmp:
        cluster, policies, count = scenario(Path(tmp))
        inputs = [str(cluster), str(policies)]
        size = f"1,001 pods, {count:,} NetworkPolicies"
        for what, argv, target in (
                ("load + compile (`validate`)", [NETWARDEN, "validate", *inputs], 3.0),
                ("`lint`", [NETWARDEN, "lint", *inputs], 5.0),
                ("`matrix --format json`, JSON written",
                 [NETWARDEN, "matrix", "--format", "json", "-O",
                  str(Path(tmp) / "matrix.json"), *inputs], 1.0)):
            seconds = best_of(argv, REPEAT)
            rows.append((f"{size}: {what}", f"{seconds:.2f} s", f"< {target:g} s",
                         "yes" if seconds < target else "NO"))
    print("### Large policy sets (suggest-shaped)\n")
    print("| measurement | result | target | met |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    if len(sys.argv) > 1:   # write the scenario to a folder, to profile it
        cluster, policies, count = scenario(Path(sys.argv[1]))
        print(cluster, policies, count)
    else:
        main()
