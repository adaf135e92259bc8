"""Parse Calico's staged policy kinds (``resources.staged``) with the parsers of what they stage.

A staged object is its policy's manifest with another kind and ``spec.stagedAction``:
strict decoding checks it against the staged type (``schemas/calico-v3.json``),
then the policy's own parser validates the rest, so every error names the
staged object's file, line and field.

>>> from netwarden.load import load_texts
>>> snap = load_texts([("s.yaml", '''
... apiVersion: projectcalico.org/v3
... kind: StagedNetworkPolicy
... metadata: {name: db, namespace: prod}
... spec: {stagedAction: Delete, selector: app == 'db'}
... ''')])
>>> [(s.action, s.policy.meta.name) for s in snap.calico]
[('Delete', 'db')]
"""

from __future__ import annotations

from ..resources.calico import API_GROUPS, GlobalNetworkPolicy
from ..resources.calico import NetworkPolicy as CalicoNetworkPolicy
from ..resources.k8s import NetworkPolicy
from ..resources.staged import STAGED_ACTIONS, StagedPolicy
from . import validation as v
from .calico import parse_calico
from .networkpolicy import parse_network_policy
from .node import Node
from .registry import register

__all__ = ["STAGED_KINDS", "parse_staged"]

# staged kind → (apiVersion, kind) of the policy it stages
STAGED_KINDS = {
    "StagedNetworkPolicy": (None, "NetworkPolicy"),
    "StagedGlobalNetworkPolicy": (None, "GlobalNetworkPolicy"),
    "StagedKubernetesNetworkPolicy": ("networking.k8s.io/v1", "NetworkPolicy"),
}


def _as(node: Node, value: str) -> Node:
    return Node(value, node.file, node.line, node.path, node.key_line)


def parse_staged(doc: Node) -> list[object]:
    """One staged object as a ``StagedPolicy`` (the staged policy parsed as itself), and the
    notes its parser made."""
    fields = doc.expect_map()
    kind = str(fields["kind"].value)
    api_version, enforced_kind = STAGED_KINDS[kind]
    spec = fields.get("spec")
    spec_fields = dict(spec.value) if spec is not None and isinstance(spec.value, dict) else {}
    action_node = spec_fields.pop("stagedAction", None)
    action = "Set"
    if action_node is not None and action_node.value is not None:
        if action_node.value not in STAGED_ACTIONS:
            raise action_node.error(v.unsupported(str(action_node.value), STAGED_ACTIONS))
        action = str(action_node.value)
    inner = dict(fields)
    inner["kind"] = _as(fields["kind"], enforced_kind)
    if api_version is not None:
        inner["apiVersion"] = _as(fields["apiVersion"], api_version)
    if spec is not None:
        inner["spec"] = Node(spec_fields, spec.file, spec.line, spec.path, spec.key_line)
    node = Node(inner, doc.file, doc.line, doc.path, doc.key_line)
    produced = parse_calico(node) if api_version is None else parse_network_policy(node)
    items: list[object] = list(produced) if isinstance(produced, list) else [produced]
    policies = [p for p in items
                if isinstance(p, CalicoNetworkPolicy | GlobalNetworkPolicy | NetworkPolicy)]
    notes = [p for p in items if p not in policies]
    return [StagedPolicy(action, policies[0]), *notes]


for _group in API_GROUPS:
    register(_group, *STAGED_KINDS)(parse_staged)
