"""Prometheus metrics and health endpoints on a stdlib HTTP server.

No client library: the text exposition format (version 0.0.4) is a few lines
of ``# HELP``/``# TYPE`` and ``name{label="value"} number``. Counters end in
``_total``; the histogram has cumulative ``_bucket{le=...}`` lines, ``_sum``
and ``_count``. ``/healthz`` says the process is serving; ``/readyz`` says the
first full ruleset is in force (the DaemonSet's readiness probe).
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

__all__ = ["Metrics", "MetricsServer"]

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
Labels = tuple[tuple[str, str], ...]


def _escape(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels) + "}"


class _Histogram:
    def __init__(self, buckets: Sequence[float]) -> None:
        self.buckets = tuple(buckets)
        self.counts = [0] * (len(self.buckets) + 1)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.sum += value
        self.count += 1


class Metrics:
    """The agent's metrics; every method is thread-safe."""

    HELP: ClassVar[dict[str, tuple[str, str]]] = {
        "netwarden_policies": ("gauge", "Policies in the current cluster view."),
        "netwarden_endpoints": ("gauge", "Local endpoints enforced on this node."),
        "netwarden_rules": ("gauge", "Rules in the applied nft table."),
        "netwarden_sets": ("gauge", "Sets and maps in the applied nft table."),
        "netwarden_ready": ("gauge", "1 once the first full ruleset is in force."),
        "netwarden_reconciles_total": ("counter", "Reconciles, by kind (incremental/full)."),
        "netwarden_apply_errors_total": ("counter", "nft batches the kernel refused."),
        "netwarden_source_errors_total": ("counter", "Cluster views rejected as invalid."),
        "netwarden_reconcile_failures_total": ("counter",
                                               "Reconciles that raised; retried after 1 s."),
        "netwarden_drift_repairs_total": ("counter", "Resyncs that found and repaired drift."),
        "netwarden_revoked_connections_total": ("counter",
                                                "Conntrack entries deleted as no longer allowed."),
        "netwarden_policy_packets_total": ("counter",
                                           "Packets counted by policy rules (from nft counters)."),
        "netwarden_policy_bytes_total": ("counter", "Bytes counted by policy rules."),
        "netwarden_reconcile_duration_seconds": (
            "histogram", "Time from a source event to the apply returning."),
    }

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, dict[Labels, float]] = {}
        self._hist: dict[str, _Histogram] = {}
        self.collectors: list[Callable[[Metrics], None]] = []  # run before each scrape

    def set(self, name: str, value: float, **labels: str) -> None:
        with self._lock:
            self._values.setdefault(name, {})[tuple(sorted(labels.items()))] = value

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            series = self._values.setdefault(name, {})
            series[key] = series.get(key, 0.0) + amount

    def replace(self, name: str, values: dict[Labels, float]) -> None:
        """Swap a whole family at once (nft counters read back from the kernel)."""
        with self._lock:
            self._values[name] = dict(values)

    def observe(self, name: str, value: float) -> None:
        with self._lock:
            self._hist.setdefault(name, _Histogram(LATENCY_BUCKETS)).observe(value)

    def get(self, name: str, **labels: str) -> float:
        with self._lock:
            return self._values.get(name, {}).get(tuple(sorted(labels.items())), 0.0)

    def render(self) -> str:
        for collect in list(self.collectors):
            try:
                collect(self)
            except Exception:  # a failing collector must not break the scrape
                self.inc("netwarden_collector_errors_total")
        lines: list[str] = []
        with self._lock:
            names = sorted(set(self._values) | set(self._hist))
            for name in names:
                kind, text = self.HELP.get(name, ("untyped", name))
                lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
                if name in self._hist:
                    h = self._hist[name]
                    running = 0
                    for bound, n in zip((*h.buckets, float("inf")), h.counts, strict=True):
                        running += n
                        le = "+Inf" if bound == float("inf") else repr(bound)
                        lines.append(f'{name}_bucket{{le="{le}"}} {running}')
                    lines += [f"{name}_sum {h.sum!r}", f"{name}_count {h.count}"]
                    continue
                for labels, value in sorted(self._values[name].items()):
                    number = int(value) if float(value).is_integer() else value
                    lines.append(f"{name}{_labels(labels)} {number}")
        return "\n".join(lines) + "\n"


class MetricsServer:
    """``/metrics``, ``/healthz`` and ``/readyz`` on ``host:port`` (port 0: any free port)."""

    def __init__(self, metrics: Metrics, address: str = "127.0.0.1:9808",
                 ready: Callable[[], bool] = lambda: True) -> None:
        host, _, port = address.rpartition(":")
        metrics_ref, ready_ref = metrics, ready

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._send(200, metrics_ref.render(), "text/plain; version=0.0.4")
                elif path == "/healthz":
                    self._send(200, "ok\n")
                elif path == "/readyz":
                    ok = ready_ref()
                    self._send(200 if ok else 503, "ready\n" if ok else "not ready\n")
                else:
                    self._send(404, "not found\n")

            def _send(self, code: int, body: str, ctype: str = "text/plain") -> None:
                data = body.encode()
                self.send_response(code)
                self.send_header("Content-Type", ctype + "; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass  # scrapes every few seconds would drown the agent's own log

        self.httpd = ThreadingHTTPServer((host.strip("[]") or "127.0.0.1", int(port)), Handler)
        self.httpd.daemon_threads = True
        bound_host, bound_port = self.httpd.server_address[:2]
        self.address = f"{bound_host!s}:{bound_port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True,
                                        name="nw-metrics")

    def start(self) -> MetricsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
