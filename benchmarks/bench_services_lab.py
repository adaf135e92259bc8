"""Services in the lab: lab up with Services and DNS, DNS answers, probes through Services.

50 pods in 5 namespaces, 20 ClusterIP Services of 2–3 backends (named target
ports) and one NodePort; ``lab up`` as the CLI runs it (so with the lab's
kube-dns). Needs root, ip, nft and conntrack; everything runs inside lab
namespaces, removed at the end even on failure. Prints a Markdown table.

    sudo .venv/bin/python benchmarks/bench_services_lab.py
"""

from __future__ import annotations

import socket
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dns.message
import dns.query

from netwarden.dataplane.services import render_services
from netwarden.lab import Lab
from netwarden.lab.enforcement import Enforcer
from netwarden.lab.kubeproxy import service_rulesets
from netwarden.lab.lifecycle import down, up
from netwarden.lab.manifests import current_cluster
from netwarden.netns import inside

NAMESPACES, PODS, SERVICES = 5, 50, 20


def manifests(services: bool = True) -> str:
    docs = []
    for n in range(NAMESPACES):
        docs.append(f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: ns{n}}}\n")
    for i in range(PODS):
        port = 8080 + i % 3
        docs.append(f"""apiVersion: v1
kind: Pod
metadata: {{name: p{i}, namespace: ns{i % NAMESPACES}, labels: {{app: a{i % SERVICES}}}}}
spec: {{containers: [{{name: c, image: i, ports: [{{name: http, containerPort: {port}}}]}}]}}
""")
    for s in range(SERVICES if services else 0):
        kind = "NodePort" if s == 0 else "ClusterIP"
        docs.append(f"""apiVersion: v1
kind: Service
metadata: {{name: s{s}, namespace: ns{s % NAMESPACES}}}
spec: {{type: {kind}, selector: {{app: a{s}}}, ports: [{{name: http, port: 80, targetPort: http}}]}}
""")
    return "---\n".join(docs)


def connect(netns: str, ip: str, port: int, timeout: float = 2.0) -> float | None:
    with inside(netns):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    start = time.perf_counter()
    try:
        s.connect((ip, port))
        s.sendall(b"x")  # speak first: the lab server answers at once
        if not s.recv(64):
            return None
        return time.perf_counter() - start
    except OSError:
        return None
    finally:
        s.close()


def main() -> int:
    enforcer = Enforcer()
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "app.yaml"
        path.write_text(manifests())
        plain = Path(tmp) / "plain.yaml"
        plain.write_text(manifests(services=False))
        for what, where in ((f"lab up, {PODS} pods + kube-dns, {SERVICES + 1} Services", path),
                            (f"lab up, the same {PODS} pods without Services", plain)):
            ups = []
            for _ in range(3):
                start = time.perf_counter()
                lab, _cluster = up([where], enforcer)
                ups.append(time.perf_counter() - start)
                down(lab, enforcer)
            rows.append((f"{what} (`lab up` path, median of 3)",
                         f"{statistics.median(ups):.2f} s"))
        lab, _cluster = up([path], enforcer)
        try:
            rows += measure(lab)
        finally:
            down(lab, enforcer)
    print("### Services in the lab\n")
    print("| measurement | value |\n|---|---|")
    for what, value in rows:
        print(f"| {what} | {value} |")
    return 0


def measure(lab: Lab) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    cluster = current_cluster(lab.id)
    start = time.perf_counter()
    rulesets = service_rulesets(lab.topology, cluster)
    rows.append(("render the kube-proxy tables", f"{(time.perf_counter() - start) * 1e3:.1f} ms"))
    frontends = sum(len(r.set("front4").element_texts()) for r in rulesets.values())
    rows.append(("frontends in the node tables", str(frontends)))
    assert render_services(()).chains  # the empty table renders too
    client = "ns1/p1"
    netns = lab.netns(client)
    server = lab.topology.nameservers[0]
    query = dns.message.make_query("s3.ns3.svc.cluster.local", "A")
    times = []
    with inside(netns):
        for _ in range(300):
            start = time.perf_counter()
            reply = dns.query.udp(query, server, timeout=2)
            times.append(time.perf_counter() - start)
    assert reply.answer, "the name did not resolve"
    times.sort()
    p99 = times[int(len(times) * .99)]
    rows.append(("DNS answer from a pod through the kube-dns ClusterIP, median / p99 (300)",
                 f"{statistics.median(times) * 1e3:.2f} / {p99 * 1e3:.2f} ms"))
    svc = cluster.service("ns3", "s3")
    assert svc is not None
    via_service = [connect(netns, str(svc.cluster_ips[0]), 80) for _ in range(200)]
    backend = cluster.endpoint(svc.backends[0].key)
    assert backend is not None
    direct = [connect(netns, str(backend.ips[0]), svc.backends[0].targets[0] or 80)
              for _ in range(200)]
    for label, samples in (("through the ClusterIP", via_service), ("to the pod IP", direct)):
        ok = sorted(s for s in samples if s is not None)
        rows.append((f"TCP connect + first answer {label}, median (200)",
                     f"{statistics.median(ok) * 1e3:.2f} ms ({len(ok)}/200 answered)"))
    pods = [e.key for e in cluster.endpoints if e.key in lab.keys and "/p" in e.key]
    cells = [(lab.netns(p), str(s.cluster_ips[0])) for p in pods for s in cluster.services
             if s.cluster_ips and s.namespace != "kube-system"]
    start = time.perf_counter()
    with ThreadPoolExecutor(64) as pool:
        answered = sum(1 for r in pool.map(lambda c: connect(c[0], c[1], 80), cells) if r)
    took = time.perf_counter() - start
    rows.append((f"probe every pod × every Service ({len(cells)} connections, 64 at a time)",
                 f"{took:.2f} s ({answered} answered)"))
    return rows


if __name__ == "__main__":
    sys.exit(main())
