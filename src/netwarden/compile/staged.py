"""The cluster as staged policies would make it: each ``Set`` applied, each ``Delete`` done.

Calico evaluates staged policies beside the enforced ones and reports what they
would decide; here the staged cluster is the snapshot with every staged change
applied (in load order), compiled like any other, kept in ``Cluster.staged``
and never rendered into a table.
"""

from __future__ import annotations

from dataclasses import replace

from ..resources.k8s import NetworkPolicy
from ..resources.snapshot import Snapshot
from ..resources.staged import StagedPolicy

__all__ = ["staged_snapshot"]


def _identity(obj: object) -> tuple[str, str | None, str] | None:
    meta = getattr(obj, "meta", None)
    if meta is None or isinstance(obj, StagedPolicy):
        return None
    return (type(obj).__module__ + type(obj).__name__, meta.namespace, meta.name)


def staged_snapshot(snapshot: Snapshot) -> Snapshot | None:
    """``snapshot`` with its staged changes applied and no staged object; None without any."""
    staged = [obj for obj in snapshot.calico if isinstance(obj, StagedPolicy)]
    if not staged:
        return None
    calico = [obj for obj in snapshot.calico if not isinstance(obj, StagedPolicy)]
    k8s: list[object] = list(snapshot.network_policies)
    for change in staged:
        target: list[object] = k8s if isinstance(change.policy, NetworkPolicy) else calico
        kept = [obj for obj in target if _identity(obj) != change.identity]
        if change.action == "Set":
            kept.append(change.policy)
        target[:] = kept
    return replace(snapshot, calico=tuple(calico),
                   network_policies=tuple(k8s))  # type: ignore[arg-type]
