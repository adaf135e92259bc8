"""Calico's staged policies: a policy change previewed, never enforced.

``StagedNetworkPolicy``, ``StagedGlobalNetworkPolicy`` and
``StagedKubernetesNetworkPolicy`` carry the spec of the policy they stage
(Calico ``NetworkPolicy``, ``GlobalNetworkPolicy``, Kubernetes ``NetworkPolicy``)
plus ``stagedAction``: ``Set`` (the default) stages that policy as written,
replacing the enforced one of the same kind, namespace and name or adding it;
``Delete`` stages its removal.
"""

from __future__ import annotations

from dataclasses import dataclass

from .calico import GlobalNetworkPolicy
from .calico import NetworkPolicy as CalicoNetworkPolicy
from .k8s import NetworkPolicy

__all__ = ["STAGED_ACTIONS", "StagedPolicy"]

STAGED_ACTIONS = ("Set", "Delete")


@dataclass(frozen=True, slots=True)
class StagedPolicy:
    """``action`` (``Set`` or ``Delete``) of ``policy``, the policy the staged object names."""

    action: str
    policy: CalicoNetworkPolicy | GlobalNetworkPolicy | NetworkPolicy

    @property
    def identity(self) -> tuple[str, str | None, str]:
        """(kind, namespace, name) of the enforced policy it sets or deletes."""
        meta = self.policy.meta
        return (type(self.policy).__module__ + type(self.policy).__name__,
                meta.namespace, meta.name)
