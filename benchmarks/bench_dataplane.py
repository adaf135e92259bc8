"""Dataplane benchmark: lab build, probing, ruleset render/apply, updates, throughput.

Needs root, ip, nft, conntrack and iperf3; everything runs inside lab
namespaces (``nwXXXX-``), removed at the end even on failure. Prints a Markdown
table (target, measured, ok).

Throughput and connection rate are measured in the same run, between the same
two pods, in rounds that alternate four node tables: none, conntrack only
(``ct state established,related accept``), netwarden's with 2,000 policies
where the pair's allowing policy comes first, and the same where it comes last
(after every other policy of its namespace). Each mode starts with an empty
conntrack table; the first round is a warm-up; figures are medians. The order
of the modes rotates from round to round, so that no mode always runs right
after the same neighbour (the client's TIME_WAIT sockets pile up over the run,
and background load comes in bursts); the conntrack statistics of the node
(insert_failed, drop, early_drop) are checked after every run.

    sudo .venv/bin/python benchmarks/bench_dataplane.py
"""

from __future__ import annotations

import dataclasses
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate

from netwarden import load_cluster
from netwarden.dataplane import Renderer, RenderOptions, TableWriter, render_ruleset
from netwarden.dataplane.nft.backend import SystemNft
from netwarden.ir import Cluster
from netwarden.lab import Lab
from netwarden.lab.enforcement import Enforcer
from netwarden.lab.lifecycle import down, serving
from netwarden.lab.topology import DEFAULT_PORTS
from netwarden.load.scalars import KubeDumper

CT_ONLY = """add table inet netwarden
add chain inet netwarden forward { type filter hook forward priority 0 ; policy accept ; }
add rule inet netwarden forward ct state established,related accept
"""

CONNECT = """
import socket, sys, time
n, ip, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
start = time.perf_counter()
for _ in range(n):
    s = socket.create_connection((ip, port), timeout=5)
    s.sendall(b"x")  # speak first, as real clients do: the lab server answers at once
    s.recv(64)
    s.close()
print(n / (time.perf_counter() - start))
"""


ENFORCER = Enforcer()  # the benchmark run's renderers and writers


def cluster_of(pods: int, policies: int, extra: list[dict] | None = None) -> Cluster:
    import io

    import yaml

    docs = generate(pods, policies, seed=11) + (extra or [])
    return load_cluster(["-"], stdin=io.StringIO(yaml.dump_all(docs, Dumper=KubeDumper)))


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
    t_up, lab = timed(Lab.up, serving(small))
    try:
        rows.append(("lab up, 50 pods", "< 5 s", f"{t_up:.2f} s", t_up < 5))
        ENFORCER.enforce(lab, small)
        keys = [e.key for e in small.endpoints if e.key in lab.keys]
        pairs = [(a, b) for a in keys for b in keys]
        t_probe, seen = timed(lab.probe, pairs, "TCP", 80)
        rows.append((f"probe matrix 50x50 ({sum(seen.values())} open)", "< 10 s",
                     f"{t_probe:.2f} s", t_probe < 10))

        big = cluster_of(1000, 500)
        interfaces = {e.key: f"{lab.pod_veth_prefix}{i}" for i, e in enumerate(big.endpoints)}
        opts = RenderOptions(pod_interface_prefix=lab.pod_veth_prefix)
        renderer = Renderer(opts)  # a fresh one renders everything, as render_ruleset does
        t_render, rs = timed(renderer.render, big, None, interfaces)
        writer = TableWriter(SystemNft(lab.node_netns()))
        t_apply, _ = timed(writer.apply, rs)
        rows.append(("render 1,000 pods x 500 policies", "-", f"{t_render:.2f} s", True))
        rows.append(("apply it (full, one nft batch)", "-", f"{t_apply:.2f} s", True))
        total = t_render + t_apply
        rows.append(("render + apply", "< 1 s", f"{total:.2f} s", total < 1))
        changed = dataclasses.replace(  # pol-1 allows one app's ingress: it has rules
            big, policies=tuple(p for p in big.policies if p.name != "pol-1"))
        t_rerender, rs2 = timed(renderer.render, changed, None, interfaces)
        assert rs2 == render_ruleset(changed, None, interfaces, opts)
        t_update, stats = timed(writer.apply, rs2)
        rows.append((f"one policy removed: incremental apply ({stats.operations} ops)",
                     "< 50 ms", f"{t_update * 1000:.0f} ms", t_update < 0.05 and not stats.full))
        rows.append((f"  (its incremental re-render: {renderer.last_rendered} endpoints)", "-",
                     f"{t_rerender * 1000:.0f} ms", True))

        rows += throughput_rows(lab, small, keys[0], keys[1])
    finally:
        down(lab, ENFORCER)
    print("| measurement | target | measured | ok |")
    print("|---|---|---|---|")
    for name, target, value, ok in rows:
        print(f"| {name} | {target} | {value} | {'yes' if ok else 'NO'} |")


def _allow_pairs(small: Cluster, a: str, b: str, prefix: str) -> list[dict]:
    out = []
    for key, suffix in ((a, "a"), (b, "b")):
        e = small.endpoint(key)
        assert e is not None
        doc = allow_pair(e.namespace or "", e.labels["app"])
        out.append({**doc, "metadata": {**doc["metadata"], "name": f"{prefix}-bench-{suffix}"}})
    return out


def ct_trouble(node: str) -> int:
    """insert_failed + drop + early_drop over the node's conntrack CPUs (table pressure)."""
    out = subprocess.run(["ip", "netns", "exec", node, "conntrack", "-S"], capture_output=True,
                         text=True, check=False).stdout
    return sum(int(v) for line in out.splitlines() for k, _, v in
               (kv.partition("=") for kv in line.split()[1:])
               if k in ("insert_failed", "drop", "early_drop"))


def throughput_rows(lab: Lab, small: Cluster, a: str, b: str,
                    rounds: int = 6) -> list[tuple[str, str, str, bool]]:
    """iperf3 and new-connection rate a → b per node table, alternating, medians."""
    node = lab.node_netns()
    b_ip = str(lab.topology.by_key[b].ip(4))
    # "aaa-…" sorts before, "zzz-…" after every generated policy of the namespace
    tables = {"first": cluster_of(50, 2000, _allow_pairs(small, a, b, "aaa")),
              "last": cluster_of(50, 2000, _allow_pairs(small, a, b, "zzz"))}
    modes = ("none", "conntrack", "first", "last")
    tput: dict[str, list[float]] = {m: [] for m in modes}
    rate: dict[str, list[float]] = {m: [] for m in modes}
    served = [p for p, proto in DEFAULT_PORTS if proto == 6]
    run = 0
    trouble = 0
    for round_ in range(rounds):
        for mode in modes[round_ % 4:] + modes[:round_ % 4]:
            # a fresh server port per run: a client port reused within a minute would
            # meet the server's TIME_WAIT socket and stall 1 s on SYN retransmission
            port = served[run % len(served)]
            run += 1
            in_node = ["ip", "netns", "exec", node]
            subprocess.run([*in_node, "nft", "delete", "table", "inet", "netwarden"],
                           capture_output=True, check=False)
            ENFORCER.forget(lab.id)
            subprocess.run([*in_node, "conntrack", "-F"], capture_output=True, check=False)
            if mode == "conntrack":
                subprocess.run([*in_node, "nft", "-f", "-"], input=CT_ONLY, text=True,
                               check=True)
            elif mode in tables:
                ENFORCER.enforce(lab, tables[mode])
            t = iperf(lab, a, b, b_ip)
            r = float(lab.exec(a, [sys.executable, "-c", CONNECT, "3000", b_ip, str(port)],
                               check=True).stdout)
            trouble += ct_trouble(node)
            if round_ > 0:  # the first round warms caches up
                tput[mode].append(t)
                rate[mode].append(r)
    n_rules = sum(len(c.rules) for rs in ENFORCER.render(lab, tables["last"]).values()
                  for c in rs.chains)
    t = {m: statistics.median(v) for m, v in tput.items()}
    r = {m: statistics.median(v) for m, v in rate.items()}
    rows = []
    for mode in ("first", "last"):
        where = "allowing policy first" if mode == "first" else "allowing policy last"
        ratio = t[mode] / t["none"]
        rows.append((f"TCP throughput, 2,000 policies ({n_rules} rules), {where}, vs none",
                     ">= 95 %", f"{t[mode] / 1e9:.1f} vs {t['none'] / 1e9:.1f} Gbit/s = "
                     f"{ratio:.0%}", ratio >= 0.95))
    for mode in ("first", "last"):
        where = "allowing policy first" if mode == "first" else "allowing policy last"
        ratio = r[mode] / r["none"]
        rows.append((f"new TCP connections/s (3,000 sequential, python), {where}, vs none",
                     ">= 90 %", f"{r[mode]:.0f} vs {r['none']:.0f} = {ratio:.0%} "
                     f"(runs {min(rate[mode]):.0f}-{max(rate[mode]):.0f})", ratio >= 0.9))
    rows.append(("  conntrack-only table vs none: throughput / connections", "-",
                 f"{t['conntrack'] / t['none']:.0%} / {r['conntrack'] / r['none']:.0%}", True))
    rows.append(("  netwarden (policy last) vs conntrack-only: throughput / connections", "-",
                 f"{t['last'] / t['conntrack']:.0%} / {r['last'] / r['conntrack']:.0%}", True))
    rows.append(("  no-table connections/s, runs", "-",
                 f"{min(rate['none']):.0f}-{max(rate['none']):.0f}", True))
    rows.append(("  node conntrack insert_failed + drop + early_drop, all runs", "0",
                 str(trouble), trouble == 0))
    return rows


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
