"""Keep the kernel's table equal to what the cluster view asks for.

The loop, in one thread:

* **debounce**: after an event, wait until ``quiet`` seconds pass without
  another one (at most ``debounce`` after the first), then take the latest
  view: a burst costs one apply, a lone change almost no delay;
* **reconcile**: view → ``Snapshot`` (``ManifestCache``) → ``Cluster``
  (``compile_snapshot`` with a ``CompileMemo``) → ``Renderer`` (only
  the endpoints the change touches are re-rendered) → ``TableWriter.apply``:
  one nft batch, only the chains and elements that changed, atomic in the
  kernel;
* **revoke**: conntrack entries of local pods that the engine now denies are
  deleted (``netwarden.dataplane.revocation``, the same code as ``lab apply``;
  ``revoke=False`` to skip);
* **repair**: a ruleset event about our table (``dataplane.monitor``, which
  the agent runs) makes the loop read the table back 20 ms later; if its shape
  differs (someone deleted the table or a chain, or flushed rules),
  ``mark_drift`` and rewrite it whole;
* **resync** every ``resync`` seconds: the same check without an event (the
  monitor may have died, or missed something).

Start-up never opens a window: rules stay in the kernel when an agent stops,
nothing is written until the source delivered a complete view, and the first
apply *adopts* a table whose shape already matches (no write at all) or
replaces it in the same atomic batch that deletes it (``full_transaction``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .._errors import InvalidManifests, NetwardenError, NftError
from ..compile import CompileMemo, compile_snapshot
from ..dataplane import Conntrack, Renderer, RenderOptions, Ruleset, TableWriter, revoke_denied
from ..dataplane.counters import by_policy, comment_origins, read_counters
from ..dataplane.nft.backend import NftBackend
from ..dataplane.shape import kernel_shape, ruleset_shape
from ..engine import Engine
from ..ir import Cluster
from ..load.cache import ManifestCache
from .interfaces import InterfaceResolver
from .metrics import Metrics
from .sources import Items

__all__ = ["Reconciler", "Result"]

log = logging.getLogger("netwarden.agent.reconcile")


@dataclass(frozen=True, slots=True)
class Result:
    """One reconcile: what it did and how long it took since the event."""

    generation: int
    observed_at: float
    applied_at: float
    full: bool
    adopted: bool
    operations: int
    revoked: int

    @property
    def latency(self) -> float:
        return self.applied_at - self.observed_at


class Reconciler:
    """Owns the ``TableWriter`` of one node; feed it with ``submit`` (a source's sink)."""

    def __init__(self, backend: NftBackend, node: str | None, resolver: InterfaceResolver, *,
                 options: RenderOptions | None = None, conntrack: Conntrack | None = None,
                 revoke: bool = True, metrics: Metrics | None = None,
                 cache: ManifestCache | None = None, quiet: float = 0.005,
                 debounce: float = 0.05, resync: float = 30.0,
                 on_result: Callable[[Result], None] | None = None) -> None:
        self.backend = backend
        self.writer = TableWriter(backend)
        self.node = node
        self.resolver = resolver
        self.options = options or RenderOptions()
        self.renderer = Renderer(self.options)  # re-renders only what a change touches
        self.conntrack = conntrack
        self.revoke = revoke and conntrack is not None
        self.metrics = metrics or Metrics()
        self.cache = cache or ManifestCache()
        self.memo = CompileMemo()
        self._warned: frozenset[str] = frozenset()
        self.quiet, self.debounce, self.resync = quiet, debounce, resync
        self.settle = 0.02  # after a ruleset event, before checking the table's shape
        self.on_result = on_result
        self.ready = threading.Event()  # the first full view is enforced
        self.cluster: Cluster | None = None
        self.desired: Ruleset | None = None
        self._cond = threading.Condition()
        self._pending: Items | None = None
        self._first_event: float | None = None
        self._last_event = 0.0
        self._generation = 0
        self._dirty = False  # the last apply failed: retry at the next tick
        self.background_revoke = False  # the agent sets it and runs ``run_revoker``
        self._revoke_wanted = threading.Event()
        self._check_at: float | None = None  # a ruleset event asked for a shape check then
        # full texts of the comments nft's limit made short, for the cluster they came from
        self._origins: tuple[Cluster | None, dict[str, str]] = (None, {})
        self.metrics.collectors.append(self._collect_counters)

    # -- input -----------------------------------------------------------------
    def submit(self, items: Items, observed_at: float) -> None:
        """A source's sink: remember the newest view and wake the loop."""
        with self._cond:
            self._pending = items
            if self._first_event is None:
                self._first_event = observed_at
            self._last_event = time.monotonic()
            self._generation += 1
            self._cond.notify()

    def ruleset_changed(self) -> None:
        """A ruleset event about our table (``RulesetMonitor``): check its shape soon.

        Events come in bursts (a flushed table is one per rule), so the check
        waits ``settle`` seconds after the first; our own writes cause events
        too and then find the shape as desired.
        """
        with self._cond:
            if self._check_at is None:
                self._check_at = time.monotonic() + self.settle
            self._cond.notify()

    def _take(self, stop: threading.Event, timeout: float) -> tuple[Items, float, int] | None:
        with self._cond:
            if self._pending is None:
                self._cond.wait(timeout)
            if self._pending is None:
                return None
            first = self._first_event or time.monotonic()
            while not stop.is_set():  # debounce: until quiet, or the cap
                now = time.monotonic()
                wait = min(self._last_event + self.quiet, first + self.debounce) - now
                if wait <= 0:
                    break
                self._cond.wait(wait)
            items, self._pending, self._first_event = self._pending, None, None
            return items, first, self._generation

    # -- the loop ----------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        next_resync = time.monotonic() + self.resync
        while not stop.is_set():
            now = time.monotonic()
            check_at = self._check_at
            timeout = max(0.0, min(next_resync - now, 1.0 if self._dirty else 1e9,
                                   check_at - now if check_at is not None else 1e9))
            taken = self._take(stop, timeout)
            if stop.is_set():
                return
            try:
                if taken is not None:
                    self.reconcile(*taken)
                elif self._dirty and self.desired is not None:
                    self._apply(self.desired, time.monotonic(), self._generation)
                check_at = self._check_at
                if check_at is not None and time.monotonic() >= check_at:
                    with self._cond:
                        self._check_at = None
                    self.check_drift()
                if time.monotonic() >= next_resync:
                    next_resync = time.monotonic() + self.resync
                    self.check_drift()
            except Exception:
                # a bug must not stop enforcement: the kernel keeps the last good
                # table, and the next event or resync tries again
                self.metrics.inc("netwarden_reconcile_failures_total")
                log.exception("reconcile failed; keeping the enforced table")
                if taken is not None:
                    with self._cond:
                        if self._pending is None:
                            self._pending, self._first_event = taken[0], taken[1]
                stop.wait(1.0)

    def reconcile(self, items: Items, observed_at: float, generation: int = 0) -> Result | None:
        """One view to the kernel; keeps the previous ruleset if the view is invalid."""
        try:
            cluster = compile_snapshot(self.cache.snapshot(items), self.memo)
        except InvalidManifests as exc:
            self.metrics.inc("netwarden_source_errors_total")
            log.error("invalid cluster view, keeping the enforced ruleset: %s", exc,
                      extra={"errors": len(exc.errors)})
            return None
        for warning in cluster.warnings:  # skipped objects among them; each said once
            if warning not in self._warned:
                log.warning("%s", warning)
        self._warned = frozenset(cluster.warnings)
        interfaces = self.resolver.interfaces(cluster, self.node)
        desired = self.renderer.render(cluster, self.node, interfaces)
        self.cluster = cluster
        self.metrics.set("netwarden_policies", len(cluster.policies))
        self.metrics.set("netwarden_endpoints", len(interfaces))
        return self._apply(desired, observed_at, generation)

    def _apply(self, desired: Ruleset, observed_at: float, generation: int) -> Result | None:
        self.desired = desired
        adopted = False
        if self.writer.applied is None and not self._dirty:
            adopted = self._adopt(desired)
        started = time.monotonic()
        try:
            stats = None if adopted else self.writer.apply(desired)
        except NftError as exc:
            self._dirty = True
            self.metrics.inc("netwarden_apply_errors_total")
            log.error("nft refused the update, previous rules stay: %s", exc)
            return None
        applied_at = time.monotonic()
        self._dirty = False
        full = bool(stats and stats.full)
        self.metrics.observe("netwarden_reconcile_duration_seconds", applied_at - observed_at)
        self.metrics.inc("netwarden_reconciles_total",
                         kind="adopt" if adopted else "full" if full else "incremental")
        self.metrics.set("netwarden_rules", sum(len(c.rules) for c in desired.chains))
        self.metrics.set("netwarden_sets", len(desired.sets))
        revoked = 0
        if self.revoke:
            if self.background_revoke:
                self._revoke_wanted.set()
            else:
                revoked = self.revoke_now()
        if not self.ready.is_set():
            self.ready.set()
            self.metrics.set("netwarden_ready", 1)
        result = Result(generation, observed_at, applied_at, full, adopted,
                        stats.operations if stats else 0, revoked)
        log.info("reconciled", extra={
            "generation": generation, "full": full, "adopted": adopted,
            "operations": result.operations, "revoked": revoked,
            "latency_ms": round(result.latency * 1000, 2),
            "apply_ms": round((applied_at - started) * 1000, 2),
        })
        if self.on_result is not None:
            self.on_result(result)
        return result

    def _adopt(self, desired: Ruleset) -> bool:
        """A table already in the kernel with the desired shape becomes ours as it is."""
        try:
            shape = kernel_shape(self.backend, desired)
        except (NetwardenError, ValueError) as exc:
            log.warning("cannot read the existing table: %s", exc)
            return False
        if shape is not None and shape == ruleset_shape(desired):
            self.writer.applied = desired
            log.info("adopted the existing table")
            return True
        if shape is not None:
            log.info("existing table differs; replacing it in one atomic batch")
        return False

    def check_drift(self) -> bool:
        """Resync: if the kernel's table no longer has our shape, rewrite it whole."""
        if self.desired is None or self._dirty:
            return False
        try:
            shape = kernel_shape(self.backend, self.desired)
        except (NetwardenError, ValueError) as exc:
            log.warning("resync cannot read the table: %s", exc)
            return False
        if shape == ruleset_shape(self.desired):
            return False
        log.warning("drift: the kernel table differs from the desired one; rewriting it")
        self.metrics.inc("netwarden_drift_repairs_total")
        self.writer.mark_drift()
        self._apply(self.desired, time.monotonic(), self._generation)
        return True

    # -- revocation --------------------------------------------------------------
    def run_revoker(self, stop: threading.Event) -> None:
        """Revoke in a thread of its own, so deleting entries never delays an apply."""
        while not stop.is_set():
            if self._revoke_wanted.wait(0.5):
                self._revoke_wanted.clear()
                try:
                    self.revoke_now()
                except Exception:
                    log.exception("revocation failed")

    def revoke_now(self) -> int:
        """Delete conntrack entries of local pods whose connection policy now denies."""
        cluster = self.cluster
        if cluster is None or self.conntrack is None:
            return 0
        local = {ip for key in self.resolver.interfaces(cluster, self.node)
                 if (ep := cluster.endpoint(key)) is not None for ip in ep.ips}
        try:
            doomed = revoke_denied(self.conntrack, Engine(cluster).allows, local)
        except NetwardenError as exc:
            log.warning("revocation failed: %s", exc)
            return 0
        for entry in doomed:
            log.info("revoked connection", extra={
                "src": str(entry.src), "dst": str(entry.dst), "protocol": entry.protocol,
                "dport": entry.dport})
        if doomed:
            self.metrics.inc("netwarden_revoked_connections_total", len(doomed))
        return len(doomed)

    # -- metrics -----------------------------------------------------------------
    def _collect_counters(self, metrics: Metrics) -> None:
        if self.desired is None:
            return
        cluster = self.cluster
        if cluster is not None and self._origins[0] is not cluster:
            self._origins = (cluster, comment_origins(cluster))
        counted = read_counters(self.backend, self.desired.table, self.options.marks,
                                self._origins[1])
        totals = by_policy(counted)  # rule counters and fast-path set elements alike
        packets: dict[tuple[tuple[str, str], ...], float] = {}
        octets: dict[tuple[tuple[str, str], ...], float] = {}
        for (policy, direction, verdict), (p, b) in totals.items():
            key = (("direction", direction), ("policy", policy), ("verdict", verdict))
            packets[key], octets[key] = float(p), float(b)
        metrics.replace("netwarden_policy_packets_total", packets)
        metrics.replace("netwarden_policy_bytes_total", octets)
