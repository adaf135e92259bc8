"""The lab's new connections as flow records: recorded from ``lab up``, read by ``lab flows``.

Each node's table logs every new connection it accepts and every drop to
``FLOW_LOG_GROUP`` (``lab_options``), and its kube-proxy table logs each new
connection to a Service there as it was addressed, before DNAT
(``kubeproxy``). ``record`` reads that group in every node namespace, so both
an accepted and a dropped connection name the Service the client addressed
(``dataplane.flowlog``: the kernel's conntrack entry where it attaches one,
else the kube-proxy message), and writes one record per connection
(``analysis.flows``), judged under the policies in force: it re-reads them
whenever ``lab up``/``lab apply`` store new ones (``manifests_stamp``). A
connection between nodes is logged by both; it is one record (``Crossing``).

NFLOG keeps nothing for a group nobody listens to, so ``lab up`` starts a
recorder with the lab (``recorder``); it writes the bounded log
``flow_log_path(id)`` (rotated to ``PATH.1`` past its cap, bursts sampled with
a count in ``recorder_status``). ``recorded`` and ``follow`` read it back.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

from ..analysis.flows.observed import FlowJoiner
from ..analysis.flows.record import Flow
from ..dataplane.conntrack import Conntrack
from ..dataplane.flowlog import FlowLogReader, NewConnection, Repeats, with_listed_originals
from ..ir import Cluster
from ..netns import inside
from . import Lab
from .enforcement import FLOW_LOG_GROUP
from .manifests import current_cluster, manifests_stamp
from .topology import STATE_DIR

__all__ = ["Crossing", "flow_log_path", "follow", "record", "recorded", "recorder_status",
           "status_path"]

POLL_SECONDS = 0.2  # how long a read waits for a message before checking ``stop``
HOLD_SECONDS = 0.5  # how long an event waits for another node's event of its connection


def flow_log_path(lab_id: str) -> str:
    """Where the lab's recorder writes its flow records (JSON Lines; ``.1`` the previous file)."""
    return os.path.join(STATE_DIR, f"{lab_id}.flows.jsonl")


def status_path(lab_id: str) -> str:
    """The recorder's status: pid, records written and sampled out, rotations."""
    return os.path.join(STATE_DIR, f"{lab_id}.flows.status")  # not .json: a lab state file


def recorder_status(lab_id: str) -> dict[str, object] | None:
    """What the recorder last reported (``status_path``), None when there is none."""
    try:
        with open(status_path(lab_id), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def recorded(lab_id: str) -> Iterator[bytes]:
    """Every record line kept so far, oldest first (the rotated file, then the current)."""
    path = flow_log_path(lab_id)
    for name in (path + ".1", path):
        try:
            with open(name, "rb") as f:
                yield from f
        except FileNotFoundError:
            continue


def follow(lab_id: str, stop: threading.Event) -> Iterator[bytes]:
    """Every record line kept so far (as ``recorded``), then each line the recorder
    appends, until ``stop``; a rotation (the file replaced by a new one) is followed
    into the new file, so no line is skipped or repeated."""
    path = flow_log_path(lab_id)
    with contextlib.suppress(FileNotFoundError), open(path + ".1", "rb") as old:
        yield from old
    stream = None
    partial = b""
    try:
        while not stop.is_set():
            if stream is None:
                try:
                    stream = open(path, "rb")  # noqa: SIM115 - closed below
                except FileNotFoundError:
                    stop.wait(POLL_SECONDS)
                    continue
            chunk = stream.read()
            if chunk:
                lines = (partial + chunk).split(b"\n")
                partial = lines.pop()
                yield from (line + b"\n" for line in lines)
                continue
            try:
                rotated = os.stat(path).st_ino != os.fstat(stream.fileno()).st_ino
            except FileNotFoundError:
                rotated = True
            if rotated:  # the old file was read to its end above; the new one from 0
                stream.close()
                stream = None
                continue
            stop.wait(POLL_SECONDS)
    finally:
        if stream is not None:
            stream.close()


class Crossing:
    """One event per connection, however many nodes logged it.

    A connection between pods of two nodes crosses both tables: the client's
    node accepts it (its egress side) and logs the accept, the server's node
    then accepts or drops it (its ingress side). Each event is held ``hold``
    seconds for the other node's; a connection's events merge into one whose
    verdict is the drop when a node dropped it (else the accept), with the
    addressed destination (the Service) of whichever node saw it, the client's.

    >>> one = Crossing(hold=0.5)
    >>> sent = NewConnection(0.0, 4, 6, "10.244.1.2", "10.244.2.2", 40000, 80, "10.96.0.9", 80,
    ...                      "nw accept")
    >>> one.add(sent, now=0.0)
    >>> one.add(replace(sent, original_dst=None, original_dport=None,
    ...                 prefix="nw shop/db ingress end of tier default"), now=0.1)
    >>> one.due(now=0.2), [(e.prefix, e.original_dst) for e in one.due(now=0.6)]
    ([], [('nw shop/db ingress end of tier default', '10.96.0.9')])
    """

    def __init__(self, hold: float) -> None:
        self.hold = hold
        self._held: dict[tuple[object, ...], tuple[NewConnection, float]] = {}

    def add(self, event: NewConnection, now: float) -> None:
        key = (event.family, event.protocol, event.src, event.sport, event.dst, event.dport)
        held = self._held.get(key)
        if held is None:
            self._held[key] = (event, now + self.hold)
            return
        first, due = held
        merged = event if event.denied and not first.denied else first
        if merged.original_dst is None:
            other = first if merged is event else event
            merged = replace(merged, original_dst=other.original_dst,
                             original_dport=other.original_dport)
        self._held[key] = (replace(merged, time=min(first.time, event.time)), due)

    def due(self, now: float) -> list[NewConnection]:
        """The events held long enough, oldest first (removed)."""
        ready = [k for k, (_, due) in self._held.items() if due <= now]
        return [self._held.pop(k)[0] for k in ready]


def _joiner(cluster: Cluster) -> FlowJoiner:
    return FlowJoiner(cluster, cluster.staged)  # staged policies: a verdict, never a drop


def record(lab: Lab, sink: Callable[[Flow], object], stop: threading.Event,
           ready: threading.Event | None = None,
           cluster_of: Callable[[], Cluster] | None = None,
           stats: dict[str, int] | None = None,
           readers: dict[str, FlowLogReader] | None = None) -> int:
    """Write a record to ``sink`` for each new connection until ``stop`` is set.

    ``ready`` is set once every node is subscribed. ``cluster_of`` gives the cluster in
    force (default: the one ``lab up``/``lab apply`` recorded, re-read when they store a
    new one). ``stats["overruns"]`` counts the messages lost to a full socket. ``readers``:
    sockets already subscribed (``{node: reader}``, closed at the end), else this
    subscribes every node. Returns how many were recorded.
    """
    readers = dict(readers or {})
    try:
        for node in lab.nodes:
            if node not in readers:
                with inside(lab.node_netns(node)):
                    readers[node] = FlowLogReader(FLOW_LOG_GROUP)
        if ready is not None:
            ready.set()
        stamp = manifests_stamp(lab.id) if cluster_of is None else None
        joiner = _joiner(cluster_of() if cluster_of is not None else current_cluster(lab.id))
        tools = {node: Conntrack(lab.node_netns(node)) for node in readers}
        count, repeats = 0, Repeats()
        crossing = Crossing(HOLD_SECONDS if len(readers) > 1 else 0.0)
        by_fd = {r.fileno(): (node, r) for node, r in readers.items()}
        while not stop.is_set():
            ready_fds, _, _ = select.select(list(by_fd), [], [], POLL_SECONDS)
            if cluster_of is None and (now := manifests_stamp(lab.id)) != stamp:
                stamp, joiner = now, _joiner(current_cluster(lab.id))
            for fd in ready_fds:
                node, reader = by_fd[fd]
                events = [e for e in reader.read() if not repeats.repeat(e)]
                for event in with_listed_originals(events, tools[node]):
                    crossing.add(event, time.monotonic())
            for event in crossing.due(time.monotonic()):
                sink(joiner.flow(event))
                count += 1
            if stats is not None:
                stats["overruns"] = sum(r.overruns for r in readers.values())
        for event in crossing.due(float("inf")):
            sink(joiner.flow(event))
            count += 1
        return count
    finally:
        for reader in readers.values():
            reader.close()

