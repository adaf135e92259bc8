"""Record the lab's new connections as flow records (``netwarden lab flows``).

Each node's table logs every new connection it accepts and every drop to
``FLOW_LOG_GROUP`` (``lab_options``); this reads that group in every node
namespace, finds the Service a connection was addressed to in the node's
conntrack table, and writes one record per connection (``analysis.flows``).
Recording lasts while ``record`` runs: NFLOG keeps nothing for a group nobody
listens to.
"""

from __future__ import annotations

import select
import threading
import time
from collections.abc import Callable

from ..analysis.flows.observed import FlowJoiner
from ..analysis.flows.record import Flow
from ..dataplane.conntrack import Conntrack
from ..dataplane.flowlog import FlowLogReader, NewConnection, Repeats, dnat_originals, with_original
from ..ir import Cluster
from ..netns import inside
from . import Lab
from .enforcement import FLOW_LOG_GROUP
from .manifests import current_cluster

__all__ = ["record"]

RELOAD_SECONDS = 2.0  # how often the policies in force are re-read (``lab apply``)


def _with_services(events: list[NewConnection], tool: Conntrack) -> list[NewConnection]:
    if not any(not e.denied for e in events):
        return events  # a drop never reaches conntrack's table (it is never confirmed)
    originals = dnat_originals(tool.list())
    return [e if e.denied else with_original(e, originals) for e in events]


def _joiner(cluster: Cluster) -> FlowJoiner:
    return FlowJoiner(cluster, cluster.staged)  # staged policies: a verdict, never a drop


def record(lab: Lab, sink: Callable[[Flow], object], stop: threading.Event,
           ready: threading.Event | None = None,
           cluster_of: Callable[[], Cluster] | None = None) -> int:
    """Write a record to ``sink`` for each new connection until ``stop`` is set.

    ``ready`` is set once every node is subscribed. ``cluster_of`` gives the cluster in
    force (default: the one ``lab up``/``lab apply`` recorded), re-read every
    ``RELOAD_SECONDS``. Returns how many were recorded.
    """
    load = cluster_of or (lambda: current_cluster(lab.id))
    readers: dict[str, FlowLogReader] = {}
    try:
        for node in lab.nodes:
            with inside(lab.node_netns(node)):
                readers[node] = FlowLogReader(FLOW_LOG_GROUP)
        if ready is not None:
            ready.set()
        tools = {node: Conntrack(lab.node_netns(node)) for node in readers}
        joiner, loaded = _joiner(load()), time.monotonic()
        count, repeats = 0, Repeats()
        by_fd = {r.fileno(): (node, r) for node, r in readers.items()}
        while not stop.is_set():
            ready_fds, _, _ = select.select(list(by_fd), [], [], 0.2)
            if time.monotonic() - loaded > RELOAD_SECONDS:
                joiner, loaded = _joiner(load()), time.monotonic()
            for fd in ready_fds:
                node, reader = by_fd[fd]
                events = [e for e in reader.read() if not repeats.repeat(e)]
                for event in _with_services(events, tools[node]):
                    sink(joiner.flow(event))
                    count += 1
        return count
    finally:
        for reader in readers.values():
            reader.close()

