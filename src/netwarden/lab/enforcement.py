"""Policy in a running lab: render per node, check every batch, apply, revoke.

An ``Enforcer`` holds what enforcing keeps between updates within one
process: one ``Renderer`` and one ``TableWriter`` per lab node, so a later
update re-renders only the endpoints it touches and writes only what changed.
The CLI makes one per command; tests hold one for their session. Nothing of
it is global: two enforcers never share a writer.

* ``enforce`` renders one ruleset per node, and the lab's kube-proxy tables
  (``kubeproxy``: Services, per node and edge namespace), dry-runs every
  batch with ``nft --check`` and only then applies them, so an invalid
  update changes nothing anywhere.
* ``apply_policies`` replaces the policy set (pods stay), then deletes the
  conntrack entries of connections the new policies deny (``revoke_denied``,
  the dataplane's one revocation, as the agent uses it).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from .._errors import LabError, NetwardenError, NftError
from ..dataplane import (
    ApplyStats,
    Conntrack,
    ConntrackEntry,
    Renderer,
    RenderOptions,
    Ruleset,
    SystemNft,
    TableWriter,
    revoke_denied,
)
from ..dataplane.services import HAIRPIN_MARK
from ..dataplane.shape import kernel_shape, ruleset_shape
from ..engine import Engine
from ..ir import Cluster
from . import Lab
from .kubeproxy import service_rulesets
from .manifests import current_cluster, load_sources, snapshot, store_sources, with_policies

__all__ = ["FLOW_LOG_GROUP", "ApplyReport", "Enforcer", "lab_options", "revoke_lab", "tampered"]


FLOW_LOG_GROUP = 100  # NFLOG groups are per network namespace: each node has its own


def lab_options(lab: Lab) -> RenderOptions:
    """The lab's render options: its pod veth prefix, so unknown pods fail closed, the
    kube-proxy table's hairpin mark (a pod reaching itself through a Service), and new
    connections and drops logged to ``FLOW_LOG_GROUP`` for ``lab flows``."""
    return RenderOptions(pod_interface_prefix=lab.pod_veth_prefix, hairpin_mark=HAIRPIN_MARK,
                         flow_log_group=FLOW_LOG_GROUP, drop_log_group=FLOW_LOG_GROUP)


@dataclass
class ApplyReport:
    added: list[str]
    removed: list[str]
    changed: list[str]
    stats: dict[str, ApplyStats]
    revoked: list[tuple[str, ConntrackEntry]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added, "removed": self.removed, "changed": self.changed,
            "warnings": self.warnings,
            "nodes": {n: {"full": s.full, "operations": s.operations}
                      for n, s in self.stats.items()},
            "revoked": [
                {"node": n, "protocol": e.proto_name or e.protocol, "src": str(e.src),
                 "dst": str(e.dst), "sport": e.sport, "dport": e.dport}
                for n, e in self.revoked
            ],
        }


class Enforcer:
    """Renderers and writers of the lab nodes this process enforces (thread-safe)."""

    def __init__(self) -> None:
        self._writers: dict[tuple[str, str], TableWriter] = {}
        self._renderers: dict[tuple[str, str], Renderer] = {}
        self._lock = threading.Lock()

    def forget(self, lab_id: str) -> None:
        """Drop the renderers and writers of a lab (it was removed)."""
        with self._lock:
            for store in (self._writers, self._renderers):
                for key in [k for k in store if k[0] == lab_id]:
                    del store[key]

    def render(self, lab: Lab, cluster: Cluster) -> dict[str, Ruleset]:
        """One ruleset per node; each node's ``Renderer`` is kept for the next update."""
        out = {}
        for node in lab.nodes:
            with self._lock:
                renderer = self._renderers.setdefault((lab.id, node), Renderer(lab_options(lab)))
            out[node] = renderer.render(cluster, node, lab.interfaces(node))
        return out

    def writer(self, lab: Lab, node: str) -> TableWriter:
        with self._lock:
            key = (lab.id, node)
            if key not in self._writers:
                self._writers[key] = TableWriter(SystemNft(lab.node_netns(node)))
            return self._writers[key]

    def enforce(self, lab: Lab, cluster: Cluster,
                rulesets: Mapping[str, Ruleset] | None = None) -> dict[str, ApplyStats]:
        """Make every node enforce ``cluster``: all batches are checked before any is applied.

        Raises ``NftError`` (nothing changed) if nft refuses a node's batch.
        """
        if shutil.which("nft") is None:
            raise LabError("enforcing policy needs nft (nftables) on PATH")
        rulesets = rulesets if rulesets is not None else self.render(lab, cluster)
        writers = {node: self.writer(lab, node) for node in rulesets}
        services = service_rulesets(lab.topology, cluster, FLOW_LOG_GROUP)  # kube-proxy
        with self._lock:
            for netns in services:
                self._writers.setdefault((lab.id, "services:" + netns),
                                         TableWriter(SystemNft(netns)))
            service_writers = {ns: self._writers[lab.id, "services:" + ns] for ns in services}
        if not cluster.services:  # no table until there is a Service (or was one)
            services = {ns: r for ns, r in services.items()
                        if service_writers[ns].applied is not None}
        batches = [(writers[n], r) for n, r in rulesets.items()]
        batches += [(service_writers[ns], r) for ns, r in services.items()]
        for writer, ruleset in batches:
            tx, _full = writer.plan(ruleset)
            try:
                writer.backend.check(tx)
            except NftError:
                writer.mark_drift()
                raise
        stats = {node: writers[node].apply(ruleset) for node, ruleset in rulesets.items()}
        for ns, ruleset in services.items():
            service_writers[ns].apply(ruleset)
        return stats

    def apply_policies(self, lab: Lab, paths: Sequence[str | os.PathLike[str]], *,
                       revoke_flows: bool = True, stdin: TextIO | None = None,
                       strictness: str = "default") -> ApplyReport:
        """Replace the lab's policy set by the one under ``paths``; pods stay.

        The report's warnings are the loader's for these files (read with
        ``strictness``) and what ``apply`` itself ignores.

        Invalid manifests raise ``ValidationError`` and an nft refusal ``NftError``;
        either way the previous rules keep enforcing and nothing is recorded.
        """
        old = current_cluster(lab.id)
        sources = snapshot(paths, stdin)
        update = load_sources(paths, sources, strictness)
        new = with_policies(old, update)
        stats = self.enforce(lab, new)
        store_sources(lab.id, "policies", sources, strictness)
        before = {p.id: p for p in old.policies}
        after = {p.id: p for p in new.policies}
        report = ApplyReport(
            added=sorted(set(after) - set(before)),
            removed=sorted(set(before) - set(after)),
            changed=sorted(k for k in set(before) & set(after) if before[k] != after[k]),
            stats=stats,
            warnings=list(update.warnings),
        )
        if update.services:  # pods and Services are the lab's from `lab up`
            report.warnings.append(
                f"{len(update.services)} Service(s) in these files ignored: lab apply "
                "replaces the policies only; Services come from the manifests of lab up")
        if revoke_flows:
            report.revoked = revoke_lab(lab, new)
        return report


def revoke_lab(lab: Lab, cluster: Cluster, conntrack: Callable[[str], Conntrack] = Conntrack
               ) -> list[tuple[str, ConntrackEntry]]:
    """Delete, on every node, the tracked connections of its pods ``cluster`` no longer allows.

    Each node judges the connections of its own pods, exactly as the agent on
    that node does (``netwarden.dataplane.revocation``). ``conntrack`` makes
    the tool for a node namespace.
    """
    allows = Engine(cluster).allows
    revoked: list[tuple[str, ConntrackEntry]] = []
    for node in lab.nodes:
        local = {ip for key in lab.interfaces(node)
                 if (ep := cluster.endpoint(key)) is not None for ip in ep.ips}
        tool = conntrack(lab.node_netns(node))
        revoked += [(node, e) for e in revoke_denied(tool, allows, local)]
    return revoked


def tampered(lab: Lab, cluster: Cluster) -> dict[str, str]:
    """{node: what is wrong} for the nodes whose table is not what ``cluster`` renders to.

    Compares shapes (``dataplane.shape``: chains, their rule comments, sets), so
    a table deleted, a chain removed or rules flushed by hand are found; the
    lab has no agent to repair them (``lab apply`` rewrites every table).
    """
    out: dict[str, str] = {}
    for node in lab.nodes:
        want = Renderer(lab_options(lab)).render(cluster, node, lab.interfaces(node))
        try:
            have = kernel_shape(SystemNft(lab.node_netns(node)), want)
        except (NetwardenError, ValueError) as exc:
            out[node] = f"cannot read the table: {exc}"
            continue
        if have is None:
            out[node] = f"table {want.table.ref} is missing"
        elif have != ruleset_shape(want):
            chains = {name for name, _ in have[0]} ^ {name for name, _ in ruleset_shape(want)[0]}
            out[node] = (f"table {want.table.ref} was changed outside netwarden"
                         + (f" ({len(chains)} chain(s) missing or added)" if chains else
                            " (rules or sets differ)"))
    return out
