"""The agent process: one source, one reconciler, the metrics server, signals.

Stopping (SIGTERM, SIGINT) leaves the table in the kernel on purpose: pods
stay isolated while the agent is restarted or upgraded, and the next agent
adopts the table (see ``reconcile``).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

from .._errors import LabError
from ..dataplane import Conntrack, RenderOptions
from ..dataplane.flowlog import FlowLogFile, FlowLogReader
from ..dataplane.monitor import RulesetMonitor
from ..dataplane.nft.backend import SystemNft
from ..dataplane.nft.objects import Table
from ..engine import Engine
from ..load.cache import ManifestCache
from ..load.loader import Strictness
from ..netns import inside
from .droplog import DropLog, follow
from .flowrec import DEFAULT_FLOW_GROUP, follow_flows
from .interfaces import CalicoInterfaces, InterfaceResolver, StaticInterfaces
from .metrics import Metrics, MetricsServer
from .reconcile import Reconciler
from .sources import Source, parse_source

R = TypeVar("R")

__all__ = ["Agent", "AgentConfig"]

log = logging.getLogger("netwarden.agent")


@dataclass
class AgentConfig:
    """Everything ``netwarden agent`` takes on its command line."""

    source: str
    node: str | None = None
    netns: str | None = None
    in_current_netns: bool = False
    # {pod key: node-side veth} when the caller knows them (a lab); None: Calico's names
    interfaces: Mapping[str, str] | None = None
    kubeconfig: str | None = None
    context: str | None = None
    metrics_address: str | None = "127.0.0.1:9808"
    resync: float = 30.0
    debounce: float = 0.05
    revoke: bool = True
    interface_prefix: str = "cali"
    table: str = "netwarden"
    log_drops: int | None = None  # NFLOG group for readable drop lines; None: off
    flow_log: str | None = None  # JSON Lines file of the node's new connections; None: off
    flow_log_max_bytes: int = 64 << 20
    flow_log_rate: float = 200.0
    # how a dir: source's manifests are judged ("lenient", "default", "strict"); a live
    # cluster is always read leniently (the API server validated it)
    strictness: str = "default"


class Agent:
    """Wires a source to a reconciler; ``run`` blocks until ``stop`` is set."""

    def __init__(self, source: Source, reconciler: Reconciler,
                 server: MetricsServer | None = None, *, netns: str | None = None,
                 log_drops: int | None = None, watch_ruleset: bool = True,
                 flow_log: FlowLogFile | None = None) -> None:
        self.source = source
        self.reconciler = reconciler
        self.server = server
        self.netns = netns
        self.log_drops = log_drops
        self.flow_log = flow_log
        # ruleset events about our table → a shape check and repair (tampering)
        self.monitor = RulesetMonitor(Table(reconciler.options.table), netns,
                                      reconciler.ruleset_changed) if watch_ruleset else None
        self.stop_event = threading.Event()
        self._engine_for: object = None  # the cluster _engine_cache was built for
        self._engine_cache: Engine | None = None

    @classmethod
    def from_config(cls, cfg: AgentConfig) -> Agent:
        netns, resolver, options = _placement(cfg)
        if cfg.log_drops is not None:
            options = replace(options, drop_log_group=cfg.log_drops)
        flow_log = None
        if cfg.flow_log is not None:  # accepts and drops to one group (one subscriber)
            group = cfg.log_drops if cfg.log_drops is not None else DEFAULT_FLOW_GROUP
            options = replace(options, drop_log_group=group, flow_log_group=group)
            flow_log = FlowLogFile(cfg.flow_log, max_bytes=cfg.flow_log_max_bytes,
                                   rate=cfg.flow_log_rate,
                                   burst=max(1, int(cfg.flow_log_rate * 5)))
        source = parse_source(cfg.source, kubeconfig=cfg.kubeconfig, context=cfg.context)
        metrics = Metrics()
        reconciler = Reconciler(
            SystemNft(netns), cfg.node, resolver, options=options,
            conntrack=Conntrack(netns) if cfg.revoke else None, revoke=cfg.revoke,
            metrics=metrics, cache=ManifestCache(skip_invalid=source.name == "kubernetes",
                                strictness=Strictness(cfg.strictness)),
            debounce=cfg.debounce, resync=cfg.resync,
        )
        server = None
        if cfg.metrics_address:
            server = MetricsServer(metrics, cfg.metrics_address, reconciler.ready.is_set)
        return cls(source, reconciler, server, netns=netns, log_drops=cfg.log_drops,
                   flow_log=flow_log)

    def install_signals(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop_event.set())

    def run(self) -> None:
        if self.server is not None:
            self.server.start()
            log.info("serving metrics", extra={"address": self.server.address})
        thread = threading.Thread(target=self.source.run,
                                  args=(self.reconciler.submit, self.stop_event),
                                  daemon=True, name="nw-source")
        thread.start()
        revoker = None
        if self.reconciler.revoke:
            self.reconciler.background_revoke = True
            revoker = threading.Thread(target=self.reconciler.run_revoker,
                                       args=(self.stop_event,), daemon=True, name="nw-revoke")
            revoker.start()
        monitor = None
        if self.monitor is not None:
            monitor = threading.Thread(target=self.monitor.run, args=(self.stop_event,),
                                       daemon=True, name="nw-monitor")
            monitor.start()
        # Subscribed here, before the reconciler puts the ruleset in (and so before the
        # agent is ready): a subscription made in the thread could miss the first packets.
        drops = None
        if self.flow_log is not None:
            group = self.reconciler.options.flow_log_group or DEFAULT_FLOW_GROUP
            drops = threading.Thread(target=follow_flows, name="nw-flows", daemon=True, args=(
                self._subscribed(FlowLogReader, group), self.netns,
                lambda: self.reconciler.cluster, self.flow_log, self.stop_event, log,
                self.log_drops is not None))
            drops.start()
        elif self.log_drops is not None:
            drops = threading.Thread(target=follow, name="nw-drops", daemon=True, args=(
                self._subscribed(DropLog, self.log_drops), self._engine, self.stop_event, log))
            drops.start()
        log.info("agent started", extra={"source": self.source.name,
                                         "node": self.reconciler.node or ""})
        try:
            self.reconciler.run(self.stop_event)
        finally:
            self.stop_event.set()
            thread.join(timeout=3)
            for helper in (revoker, drops, monitor):
                if helper is not None:
                    helper.join(timeout=3)
            if self.server is not None:
                self.server.stop()
            log.info("agent stopped; the table stays in force")

    def _subscribed(self, reader: Callable[[int], R], group: int) -> R:
        """An NFLOG subscription to ``group`` in the node's namespace."""
        if self.netns is None:
            return reader(group)
        with inside(self.netns):
            return reader(group)

    def _engine(self) -> Engine | None:
        cluster = self.reconciler.cluster
        if cluster is None:
            return None
        if self._engine_for is not cluster:
            self._engine_cache, self._engine_for = Engine(cluster), cluster
        return self._engine_cache

    def start_background(self) -> threading.Thread:
        """Run in a thread (tests, several agents in one process)."""
        thread = threading.Thread(target=self.run, daemon=True, name="nw-agent")
        thread.start()
        return thread

    def stop(self, thread: threading.Thread | None = None) -> None:
        self.stop_event.set()
        with self.reconciler._cond:
            self.reconciler._cond.notify_all()
        if thread is not None:
            thread.join(timeout=5)


def _placement(cfg: AgentConfig) -> tuple[str | None, InterfaceResolver, RenderOptions]:
    """Where the table goes and how pod interfaces are named, from --netns/--in-current-netns."""
    options = RenderOptions(table=cfg.table, pod_interface_prefix=cfg.interface_prefix)
    resolver: InterfaceResolver = (CalicoInterfaces(cfg.interface_prefix)
                                   if cfg.interfaces is None else StaticInterfaces(cfg.interfaces))
    if cfg.netns:
        return cfg.netns, resolver, options
    if not cfg.in_current_netns:
        raise LabError("refusing to write nft rules into the current network namespace: "
                       "pass --netns NAME, --lab ID, or --in-current-netns (the DaemonSet does)")
    return None, resolver, options
