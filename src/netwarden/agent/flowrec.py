"""``netwarden agent --flow-log FILE``: the node's new connections as flow records.

The same recording as ``lab flows`` (``dataplane.flowlog``, joined by
``analysis.flows.observed``) in the agent's namespace, under the cluster the
reconciler has in force. Drops and accepts share one NFLOG group (a group has one
subscriber), so with ``--log-drops`` this thread also writes the readable drop lines.

The Service of a flow: where the kernel attaches each message's conntrack
entry (``FlowLogReader.conntrack``), from it. Elsewhere the agent keeps
``table inet netwarden-addressed`` (``dataplane.services.render_addressed``)
listing the cluster's ClusterIP frontends, rewritten when the cluster in force
changes, which logs each new connection to one as addressed before the node's
kube-proxy DNATs it; the reader pairs it with the forward hook's message, so a
denied connection names its Service too.
"""

from __future__ import annotations

import logging
import select
import threading
import time
from collections.abc import Callable

from .._errors import NftError
from ..analysis.flows import FlowVerdict, dump_flow
from ..analysis.flows.observed import FlowJoiner
from ..dataplane import Conntrack, SystemNft, TableWriter
from ..dataplane.flowlog import FlowLogFile, FlowLogReader, Repeats, with_listed_originals
from ..dataplane.services import cluster_frontends, render_addressed
from ..ir import Cluster
from ..ir.services import protocol_name
from .droplog import LoggedPacket, describe

__all__ = ["DEFAULT_FLOW_GROUP", "follow_flows"]

DEFAULT_FLOW_GROUP = 101
REPORT_SECONDS = 60.0  # how often a growing count of sampled-out records is logged


def follow_flows(reader: FlowLogReader, netns: str | None,
                 cluster_of: Callable[[], Cluster | None], log_file: FlowLogFile,
                 stop: threading.Event, log: logging.Logger, drop_lines: bool = False) -> None:
    """Record every new connection of the node into ``log_file`` until ``stop`` is set.

    ``reader`` is subscribed by the caller before the ruleset goes in, so no connection
    made once the agent is ready is missed (NFLOG keeps nothing for a group nobody
    listens to). ``reader.group`` is the group the node's rules log to.
    """
    group = reader.group
    addressed = None if reader.conntrack else TableWriter(SystemNft(netns))
    addressed_for: Cluster | None = None
    tool, repeats = Conntrack(netns), Repeats()
    joiner: FlowJoiner | None = None
    joined_for: Cluster | None = None
    reported, last_report, staged_denied = 0, time.monotonic(), 0
    try:
        while not stop.is_set():
            ready, _, _ = select.select([reader], [], [], 0.5)
            if addressed is not None and (now := cluster_of()) is not addressed_for \
                    and now is not None:
                addressed_for = now
                _write_addressed(addressed, now, group, log)
            if time.monotonic() - last_report > REPORT_SECONDS and \
                    log_file.sampled_out > reported:
                log.warning(f"flow log: {log_file.sampled_out - reported} records left out "
                            "by sampling", extra={"event": "flow-log-sampled",
                                                  "count": log_file.sampled_out})
                reported, last_report = log_file.sampled_out, time.monotonic()
            if not ready:
                continue
            events = [e for e in reader.read() if not repeats.repeat(e)]
            cluster = cluster_of()
            if cluster is None or not events:
                continue
            if joiner is None or joined_for is not cluster:
                joiner, joined_for = FlowJoiner(cluster, cluster.staged), cluster
            events = with_listed_originals(events, tool)
            for event in events:
                flow = joiner.flow(event)
                log_file.write(dump_flow(flow))
                if flow.staged is not None and flow.staged.verdict is FlowVerdict.DENIED:
                    staged_denied += 1
                    log.info(f"staged deny {flow.source.key or event.src} -> "
                             f"{flow.destination.key or event.dst} {flow.protocol}/"
                             f"{event.dport}: {flow.staged.decision}", extra={
                                 "event": "staged-deny", "src": event.src, "dst": event.dst,
                                 "count": staged_denied})
                if drop_lines and event.denied:
                    log.info(describe(LoggedPacket.of(event), joiner.engine), extra={
                        "event": "drop", "src": event.src, "dst": event.dst,
                        "protocol": protocol_name(event.protocol), "port": event.dport,
                        "rule": event.origin})
    finally:
        reader.close()
        log_file.close()


def _write_addressed(writer: TableWriter, cluster: Cluster, group: int,
                     log: logging.Logger) -> None:
    """Make ``netwarden-addressed`` list ``cluster``'s frontends; a refusal is logged and
    leaves the previous table (flows then name no Service for the new frontends)."""
    try:
        writer.apply(render_addressed(cluster_frontends(cluster, lambda _key: True), group))
    except NftError as exc:
        log.warning(f"flow log: cannot write table inet netwarden-addressed: {exc}; flows to "
                    "Services new since then name no Service",
                    extra={"event": "flow-log-addressed-failed"})
