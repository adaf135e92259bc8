"""kill -9 and restart: isolation never lapses, and a restarted agent adopts the table."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from netwarden.engine import Engine

from .conftest import wait_matrix
from .manifests import cluster_of, namespace, pod, policy, text, write_atomic

pytestmark = pytest.mark.lab

NAMESPACES = [namespace("prod", env="prod"), namespace("dev", env="dev")]
PODS = [pod("prod", "web", "10.244.1.10", app="web"), pod("prod", "db", "10.244.1.11", app="db"),
        pod("dev", "client", "10.244.1.12", app="client")]
KEYS = ["prod/web", "prod/db", "dev/client"]
DB_IN = policy("prod", "db-in", {"app": "db"}, [{"podSelector": {"matchLabels": {"app": "web"}}}])


def version(i: int) -> list[dict[str, object]]:
    """The i-th state of a stream of updates; prod/db only ever admits prod/web."""
    web_peers = ([{"namespaceSelector": {"matchLabels": {"env": "dev"}}}] if i % 2
                 else [{"podSelector": {"matchLabels": {"app": "nobody"}}}])
    client = pod("dev", "client", "10.244.1.12", app="client", rev=str(i))
    return [*NAMESPACES, PODS[0], PODS[1], client, DB_IN,
            policy("prod", "web-in", {"app": "web"}, web_peers)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=0.5) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def _spawn(directory: Path, lab_id: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    exe = str(Path(sys.executable).with_name("netwarden"))
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [exe, "agent", "--source", f"dir:{directory}", "--lab", lab_id, "--node", "node-1",
             "--resync", "1", "--metrics-address", f"127.0.0.1:{port}", "--log-format", "json"],
            stdout=out, stderr=out, start_new_session=True)
    deadline = time.monotonic() + 15
    while not _ready(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"agent did not become ready: {log.read_text()[-2000:]}")
        time.sleep(0.05)
    return proc


def test_kill9_during_updates_never_opens_isolated_pods(make_lab, tmp_path: Path) -> None:
    manifests = tmp_path / "cluster"
    manifests.mkdir()
    lab = make_lab([*NAMESPACES, *PODS])
    versions = [version(i) for i in range(2)]
    engines = [Engine(cluster_of(*v)) for v in versions]
    pairs = [(a, b) for a in KEYS for b in KEYS if a != b]
    forbidden = [p for p in pairs if not any(e.allows(*p, "TCP", 80) for e in engines)]
    assert ("dev/client", "prod/db") in forbidden
    write_atomic(manifests / "cluster.yaml", text(*version(0)))
    port = _free_port()
    procs: list[subprocess.Popen[bytes]] = []
    stop = threading.Event()
    breaches: list[tuple[str, str]] = []
    probes = [0]

    def prober() -> None:
        while not stop.is_set():
            for pair, ok in lab.probe(forbidden, "TCP", 80, timeout=0.2).items():
                if ok:
                    breaches.append(pair)
            probes[0] += 1

    def updates(start: int, seconds: float) -> int:
        end, i = time.monotonic() + seconds, start
        while time.monotonic() < end:
            i += 1
            write_atomic(manifests / "cluster.yaml", text(*version(i)))
            time.sleep(0.05)
        return i

    log = tmp_path / "agent.log"
    thread = threading.Thread(target=prober, daemon=True)
    try:
        procs.append(_spawn(manifests, lab.id, port, log))
        thread.start()
        i = updates(0, 1.0)
        os.kill(procs[0].pid, signal.SIGKILL)  # mid-stream, no chance to clean up
        procs[0].wait(5)
        i = updates(i, 1.0)  # changes while no agent runs
        procs.append(_spawn(manifests, lab.id, port, log))
        i = updates(i, 1.0)
        stop.set()
        thread.join(10)
        assert not breaches, f"forbidden connections succeeded: {breaches}"
        assert probes[0] >= 5
        ok, diff, _ = wait_matrix(lab, cluster_of(*version(i)), KEYS, within=2.0)
        assert ok, diff
    finally:
        stop.set()
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)


def test_restart_adopts_an_identical_table(make_lab, start_agent, tmp_path: Path) -> None:
    lab = make_lab([*NAMESPACES, *PODS])
    write_atomic(tmp_path / "cluster.yaml", text(*version(0)))
    first = start_agent(tmp_path, lab)
    assert first.reconciler.metrics.get("netwarden_reconciles_total", kind="full") == 1
    first.stop()
    time.sleep(0.2)
    second = start_agent(tmp_path, lab)
    assert second.reconciler.metrics.get("netwarden_reconciles_total", kind="adopt") == 1
    assert second.reconciler.metrics.get("netwarden_reconciles_total", kind="full") == 0
    ok, diff, _ = wait_matrix(lab, cluster_of(*version(0)), KEYS)
    assert ok, diff
