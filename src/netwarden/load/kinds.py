"""Kinds netwarden does not read, and whether skipping one can change a verdict.

A ConfigMap or a Secret says nothing about which pod may reach which, so it
is skipped with a note. A kind that filters traffic of its own —
another CNI's policies, Calico profiles — changes what the
cluster allows; netwarden's verdicts ignore it, and the user must be told
loudly: a warning every command prints, an error with ``--strict``.

>>> reason_verdicts_ignore("cilium.io", "CiliumNetworkPolicy")
'Cilium policies are not read by netwarden'
>>> reason_verdicts_ignore("", "ConfigMap") is None
True
"""

from __future__ import annotations

__all__ = ["reason_verdicts_ignore"]

# (API group, kind) → why netwarden cannot take it into account.
_VERDICT_KINDS: dict[tuple[str, str], str] = {
    ("cilium.io", "CiliumNetworkPolicy"): "Cilium policies are not read by netwarden",
    ("cilium.io", "CiliumClusterwideNetworkPolicy"): "Cilium policies are not read by netwarden",
    ("security.istio.io", "AuthorizationPolicy"): "Istio policies are not read by netwarden",
    ("crd.antrea.io", "NetworkPolicy"): "Antrea policies are not read by netwarden",
    ("crd.antrea.io", "ClusterNetworkPolicy"): "Antrea policies are not read by netwarden",
}
for _group in ("projectcalico.org", "crd.projectcalico.org"):
    _VERDICT_KINDS.update({
        (_group, "Profile"): "Calico profiles are not read by netwarden",
        (_group, "FelixConfiguration"):
            "Felix settings (failsafe ports, default actions) are not read by netwarden",
    })


def reason_verdicts_ignore(group: str, kind: str) -> str | None:
    """Why verdicts ignore a skipped kind that filters traffic, or None for a harmless kind.

    Any other kind named like a network policy counts as one: better a warning
    too many than a policy skipped in silence.
    """
    reason = _VERDICT_KINDS.get((group, kind))
    if reason is None and "NetworkPolicy" in kind:
        reason = f"{kind} of {group or 'the core group'} is not read by netwarden"
    return reason
