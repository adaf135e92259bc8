"""Dataplane benchmark: lab build, probing, ruleset render/apply, updates, throughput.

Needs root, ip, nft, conntrack and iperf3; everything runs inside lab
namespaces (``nwXXXX-``), removed at the end even on failure. Prints a Markdown
table (target, measured, ok). Throughput and connection rate are measured with
and without netwarden's table in the same run, alternating, best of three.

    sudo .venv/bin/python benchmarks/bench_dataplane.py
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate

from netwarden import load_cluster
from netwarden.dataplane import RenderOptions, TableWriter, render_ruleset
from netwarden.dataplane.nft.backend import SystemNft
from netwarden.ir import Cluster
from netwarden.lab import Lab
from netwarden.lab import enforce as nwe

CONNECT = """
import socket, sys, time
n, ip, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
start = time.perf_counter()
for _ in range(n):
    s = socket.create_connection((ip, port), timeout=5)
    s.recv(64)
    s.close()
print(n / (time.perf_counter() - start))
"""


def cluster_of(pods: int, policies: int, extra: list[dict] | None = None) -> Cluster:
    import io

    import yaml

    docs = generate(pods, policies, seed=11) + (extra or [])
    return load_cluster(["-"], stdin=io.StringIO(yaml.safe_dump_all(docs)))


def allow_pair(ns: str, app: str) -> dict:
    """Lets the benchmark's pods talk (added to the generated policies)."""
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "aaa-bench", "namespace": ns},
            "spec": {"podSelector": {"matchLabels": {"app": app}},
                     "policyTypes": ["Ingress", "Egress"], "ingress": [{}], "egress": [{}]}}


def timed(fn, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def main() -> None:
    rows: list[tuple[str, str, str, bool]] = []
    small = cluster_of(50, 20)
    t_up, lab = timed(Lab.up, nwe.serving(small))
    try:
        rows.append(("lab up, 50 pods", "< 5 s", f"{t_up:.2f} s", t_up < 5))
        nwe.enforce(lab, small)
        keys = [e.key for e in small.endpoints if e.key in lab.keys]
        pairs = [(a, b) for a in keys for b in keys]
        t_probe, seen = timed(lab.probe, pairs, "TCP", 80)
        rows.append((f"probe matrix 50x50 ({sum(seen.values())} open)", "< 10 s",
                     f"{t_probe:.2f} s", t_probe < 10))

        big = cluster_of(1000, 500)
        interfaces = {e.key: f"{lab.pod_veth_prefix}{i}" for i, e in enumerate(big.endpoints)}
        opts = RenderOptions(pod_interface_prefix=lab.pod_veth_prefix)
        t_render, rs = timed(render_ruleset, big, None, interfaces, opts)
        writer = TableWriter(SystemNft(lab.node_netns()))
        t_apply, _ = timed(writer.apply, rs)
        rows.append(("render 1,000 pods x 500 policies", "-", f"{t_render:.2f} s", True))
        rows.append(("apply it (full, one nft batch)", "-", f"{t_apply:.2f} s", True))
        total = t_render + t_apply
        rows.append(("render + apply", "< 1 s", f"{total:.2f} s", total < 1))
        changed = dataclasses.replace(  # pol-1 allows one app's ingress: it has rules
            big, policies=tuple(p for p in big.policies if p.name != "pol-1"))
        t_rerender, rs2 = timed(render_ruleset, changed, None, interfaces, opts)
        t_update, stats = timed(writer.apply, rs2)
        rows.append((f"one policy removed: incremental apply ({stats.operations} ops)",
                     "< 50 ms", f"{t_update * 1000:.0f} ms", t_update < 0.05 and not stats.full))
        rows.append(("  (its re-render)", "-", f"{t_rerender:.2f} s", True))

        a, b = keys[0], keys[1]
        ea = small.endpoint(a)
        assert ea is not None
        policed = cluster_of(50, 2000, [allow_pair(ea.namespace or "", ea.labels["app"])])
        eb = policed.endpoint(b)
        assert eb is not None
        policed = cluster_of(50, 2000, [allow_pair(ea.namespace or "", ea.labels["app"]),
                                        {**allow_pair(eb.namespace or "", eb.labels["app"]),
                                         "metadata": {"name": "aaa-bench-b",
                                                      "namespace": eb.namespace}}])
        node = lab.node_netns()
        b_ip = str(lab.topology.by_key[b].ip(4))
        tput: dict[bool, float] = {True: 0.0, False: 0.0}
        rate: dict[bool, float] = {True: 0.0, False: 0.0}
        for _ in range(3):
            for with_rules in (False, True):
                subprocess.run(["ip", "netns", "exec", node, "nft", "delete", "table", "inet",
                                "netwarden"], capture_output=True, check=False)
                nwe.forget(lab.id)
                if with_rules:
                    nwe.enforce(lab, policed)
                tput[with_rules] = max(tput[with_rules], iperf(lab, a, b, b_ip))
                out = lab.exec(a, [sys.executable, "-c", CONNECT, "2000", b_ip, "80"],
                               check=True).stdout
                rate[with_rules] = max(rate[with_rules], float(out))
        n_rules = sum(len(c.rules) for c in nwe.render_lab(lab, policed).values()
                      for c in c.chains)
        ratio = tput[True] / tput[False]
        rows.append((f"TCP throughput, 2,000 policies ({n_rules} rules) vs none", ">= 95 %",
                     f"{tput[True] / 1e9:.1f} vs {tput[False] / 1e9:.1f} Gbit/s = "
                     f"{ratio:.0%}", ratio >= 0.95))
        ratio = rate[True] / rate[False]
        rows.append(("new TCP connections/s (2,000 sequential, python)", ">= 90 %",
                     f"{rate[True]:.0f} vs {rate[False]:.0f} = {ratio:.0%}", ratio >= 0.9))
    finally:
        nwe.down(lab)
    print("| measurement | target | measured | ok |")
    print("|---|---|---|---|")
    for name, target, value, ok in rows:
        print(f"| {name} | {target} | {value} | {'yes' if ok else 'NO'} |")


def iperf(lab: Lab, a: str, b: str, b_ip: str) -> float:
    server = subprocess.Popen(["ip", "netns", "exec", lab.netns(b), "iperf3", "-s", "-1",
                               "-p", "5201"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            out = lab.exec(a, ["iperf3", "-c", b_ip, "-p", "5201", "-t", "3", "-J"])
            data = json.loads(out.stdout or "{}")
            if out.returncode == 0 and "sum_received" in data.get("end", {}):
                return float(data["end"]["sum_received"]["bits_per_second"])
            if "Connection refused" not in str(data.get("error")):
                raise RuntimeError(data.get("error") or out.stderr)
            time.sleep(0.1)  # server not listening yet
        raise RuntimeError(out.stderr or out.stdout)
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
