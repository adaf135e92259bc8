"""Conformance scenarios, part 1: isolation, allow-all, peers and label selectors.

Each grid was derived by hand from the NetworkPolicy semantics (see
``conformance_base`` for the cluster and the grid format).
"""

from __future__ import annotations

from .builders import expr_sel, labels_sel, make_policy, ns_peer, pods_peer, rule, to_yaml
from .conformance_base import Case, cluster_yaml, deny_all

__all__ = ["CASES_1"]

OPEN = """
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  .   .   .   .   .   .   .   .   .
x/b  .   .   .   .   .   .   .   .   .
x/c  .   .   .   .   .   .   .   .   .
y/a  .   .   .   .   .   .   .   .   .
y/b  .   .   .   .   .   .   .   .   .
y/c  .   .   .   .   .   .   .   .   .
z/a  .   .   .   .   .   .   .   .   .
z/b  .   .   .   .   .   .   .   .   .
z/c  .   .   .   .   .   .   .   .   .
"""

# Every pod of x isolated for ingress with nothing allowed: column x closed.
X_INGRESS_CLOSED = """
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  .   X   X   .   .   .   .   .   .
x/b  X   .   X   .   .   .   .   .   .
x/c  X   X   .   .   .   .   .   .   .
y/a  X   X   X   .   .   .   .   .   .
y/b  X   X   X   .   .   .   .   .   .
y/c  X   X   X   .   .   .   .   .   .
z/a  X   X   X   .   .   .   .   .   .
z/b  X   X   X   .   .   .   .   .   .
z/c  X   X   X   .   .   .   .   .   .
"""

# x/a isolated for ingress with nothing allowed: only x/a reaches itself.
XA_INGRESS_CLOSED = """
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  .   .   .   .   .   .   .   .   .
x/b  X   .   .   .   .   .   .   .   .
x/c  X   .   .   .   .   .   .   .   .
y/a  X   .   .   .   .   .   .   .   .
y/b  X   .   .   .   .   .   .   .   .
y/c  X   .   .   .   .   .   .   .   .
z/a  X   .   .   .   .   .   .   .   .
z/b  X   .   .   .   .   .   .   .   .
z/c  X   .   .   .   .   .   .   .   .
"""

XA = labels_sel(pod="a")


def _policies(*docs: dict[str, object]) -> str:
    return to_yaml(list(docs))


def _to_xa(*peers: dict[str, object]) -> str:
    """A policy selecting x/a for ingress, allowing from ``peers`` on every port."""
    return _policies(make_policy("to-xa", "x", XA, ingress=[rule(list(peers))]))


def _cases() -> list[Case]:
    out: list[Case] = []

    def add(case_id: str, policies: str, grid: str, *checks: tuple[str, int], **kw: str) -> None:
        for protocol, number in checks or (("TCP", 80),):
            suffix = "" if not checks else f"-{protocol.lower()}{number}"
            out.append(Case(f"{case_id}{suffix}", policies, protocol, number, grid, **kw))

    # -- default deny ---------------------------------------------------------
    add("deny-ingress-x", _policies(deny_all("deny", "x", "Ingress")), X_INGRESS_CLOSED,
        ("TCP", 80), ("UDP", 81))
    add("deny-egress-x", _policies(deny_all("deny", "x", "Egress")), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   X   X   X   X   X   X   X   X
        x/b  X   .   X   X   X   X   X   X   X
        x/c  X   X   .   X   X   X   X   X   X
        y/a  .   .   .   .   .   .   .   .   .
        y/b  .   .   .   .   .   .   .   .   .
        y/c  .   .   .   .   .   .   .   .   .
        z/a  .   .   .   .   .   .   .   .   .
        z/b  .   .   .   .   .   .   .   .   .
        z/c  .   .   .   .   .   .   .   .   .
    """, ("TCP", 80), ("UDP", 80))
    add("deny-both-x", _policies(deny_all("deny", "x", "Ingress", "Egress")), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   X   X   X   X   X   X   X   X
        x/b  X   .   X   X   X   X   X   X   X
        x/c  X   X   .   X   X   X   X   X   X
        y/a  X   X   X   .   .   .   .   .   .
        y/b  X   X   X   .   .   .   .   .   .
        y/c  X   X   X   .   .   .   .   .   .
        z/a  X   X   X   .   .   .   .   .   .
        z/b  X   X   X   .   .   .   .   .   .
        z/c  X   X   X   .   .   .   .   .   .
    """)
    add("deny-all-namespaces", _policies(
        *(deny_all("deny", ns, "Ingress", "Egress") for ns in ("x", "y", "z"))), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   X   X   X   X   X   X   X   X
        x/b  X   .   X   X   X   X   X   X   X
        x/c  X   X   .   X   X   X   X   X   X
        y/a  X   X   X   .   X   X   X   X   X
        y/b  X   X   X   X   .   X   X   X   X
        y/c  X   X   X   X   X   .   X   X   X
        z/a  X   X   X   X   X   X   .   X   X
        z/b  X   X   X   X   X   X   X   .   X
        z/c  X   X   X   X   X   X   X   X   .
    """, ("TCP", 81), ("UDP", 80))
    add("isolate-one-pod", _policies(
        make_policy("deny-b", "x", labels_sel(pod="b"), policy_types=["Ingress"])), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   X   .   .   .   .   .   .   .
        x/b  .   .   .   .   .   .   .   .   .
        x/c  .   X   .   .   .   .   .   .   .
        y/a  .   X   .   .   .   .   .   .   .
        y/b  .   X   .   .   .   .   .   .   .
        y/c  .   X   .   .   .   .   .   .   .
        z/a  .   X   .   .   .   .   .   .   .
        z/b  .   X   .   .   .   .   .   .   .
        z/c  .   X   .   .   .   .   .   .   .
    """)
    add("deny-ingress-selected-by-in", _policies(make_policy(
        "deny-ac", "x", expr_sel(("pod", "In", ["a", "c"])), policy_types=["Ingress"])), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   .   X   .   .   .   .   .   .
        x/b  X   .   X   .   .   .   .   .   .
        x/c  X   .   .   .   .   .   .   .   .
        y/a  X   .   X   .   .   .   .   .   .
        y/b  X   .   X   .   .   .   .   .   .
        y/c  X   .   X   .   .   .   .   .   .
        z/a  X   .   X   .   .   .   .   .   .
        z/b  X   .   X   .   .   .   .   .   .
        z/c  X   .   X   .   .   .   .   .   .
    """)
    # Ingress isolated with no ingress rules, egress open through an empty rule.
    add("ingress-closed-egress-open-z", _policies(make_policy(
        "z", "z", {}, egress=[{}], policy_types=["Ingress", "Egress"])), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   .   .   .   .   .   X   X   X
        x/b  .   .   .   .   .   .   X   X   X
        x/c  .   .   .   .   .   .   X   X   X
        y/a  .   .   .   .   .   .   X   X   X
        y/b  .   .   .   .   .   .   X   X   X
        y/c  .   .   .   .   .   .   X   X   X
        z/a  .   .   .   .   .   .   .   X   X
        z/b  .   .   .   .   .   .   X   .   X
        z/c  .   .   .   .   .   .   X   X   .
    """)

    # -- allow-all ------------------------------------------------------------
    add("allow-all-ingress-beats-deny", _policies(
        deny_all("deny", "x", "Ingress"), make_policy("allow", "x", {}, ingress=[{}])), OPEN,
        ("TCP", 80), ("UDP", 81))
    # Egress allowed again, but the ingress half of the deny still holds.
    add("allow-all-egress-keeps-ingress-deny", _policies(
        deny_all("deny", "x", "Ingress", "Egress"),
        make_policy("allow", "x", {}, egress=[{}], policy_types=["Egress"])), X_INGRESS_CLOSED)
    add("empty-from-and-ports-lists", _policies(make_policy(
        "allow", "x", {}, ingress=[{"from": [], "ports": []}], policy_types=["Ingress"])), OPEN,
        ("TCP", 81), ("UDP", 80))

    # -- peers ----------------------------------------------------------------
    add("allow-from-same-namespace", _policies(make_policy(
        "same-ns", "x", {}, ingress=[rule([pods_peer({})])])), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   .   .   .   .   .   .   .   .
        x/b  .   .   .   .   .   .   .   .   .
        x/c  .   .   .   .   .   .   .   .   .
        y/a  X   X   X   .   .   .   .   .   .
        y/b  X   X   X   .   .   .   .   .   .
        y/c  X   X   X   .   .   .   .   .   .
        z/a  X   X   X   .   .   .   .   .   .
        z/b  X   X   X   .   .   .   .   .   .
        z/c  X   X   X   .   .   .   .   .   .
    """)
    add("allow-from-namespace-by-label", _policies(make_policy(
        "from-y", "x", {}, ingress=[rule([ns_peer(ns="y")])])), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   X   X   .   .   .   .   .   .
        x/b  X   .   X   .   .   .   .   .   .
        x/c  X   X   .   .   .   .   .   .   .
        y/a  .   .   .   .   .   .   .   .   .
        y/b  .   .   .   .   .   .   .   .   .
        y/c  .   .   .   .   .   .   .   .   .
        z/a  X   X   X   .   .   .   .   .   .
        z/b  X   X   X   .   .   .   .   .   .
        z/c  X   X   X   .   .   .   .   .   .
    """)
    add("peer-and-namespace-and-pod", _to_xa(pods_peer(labels_sel(pod="b"), ns=labels_sel(ns="y"))),
        """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   .   .   .   .   .   .   .   .
        x/b  X   .   .   .   .   .   .   .   .
        x/c  X   .   .   .   .   .   .   .   .
        y/a  X   .   .   .   .   .   .   .   .
        y/b  .   .   .   .   .   .   .   .   .
        y/c  X   .   .   .   .   .   .   .   .
        z/a  X   .   .   .   .   .   .   .   .
        z/b  X   .   .   .   .   .   .   .   .
        z/c  X   .   .   .   .   .   .   .   .
    """)
    add("peer-or-namespace-or-pod", _to_xa(ns_peer(ns="y"), pods_peer(labels_sel(pod="b"))), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   .   .   .   .   .   .   .   .
        x/b  .   .   .   .   .   .   .   .   .
        x/c  X   .   .   .   .   .   .   .   .
        y/a  .   .   .   .   .   .   .   .   .
        y/b  .   .   .   .   .   .   .   .   .
        y/c  .   .   .   .   .   .   .   .   .
        z/a  X   .   .   .   .   .   .   .   .
        z/b  X   .   .   .   .   .   .   .   .
        z/c  X   .   .   .   .   .   .   .   .
    """)
    add("pod-selector-alone-is-own-namespace", _to_xa(pods_peer(labels_sel(pod="b"))), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   .   .   .   .   .   .   .   .
        x/b  .   .   .   .   .   .   .   .   .
        x/c  X   .   .   .   .   .   .   .   .
        y/a  X   .   .   .   .   .   .   .   .
        y/b  X   .   .   .   .   .   .   .   .
        y/c  X   .   .   .   .   .   .   .   .
        z/a  X   .   .   .   .   .   .   .   .
        z/b  X   .   .   .   .   .   .   .   .
        z/c  X   .   .   .   .   .   .   .   .
    """)
    add("pod-selector-in-every-namespace", _to_xa(pods_peer(labels_sel(pod="b"), ns={})), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   .   .   .   .   .   .   .   .
        x/b  .   .   .   .   .   .   .   .   .
        x/c  X   .   .   .   .   .   .   .   .
        y/a  X   .   .   .   .   .   .   .   .
        y/b  .   .   .   .   .   .   .   .   .
        y/c  X   .   .   .   .   .   .   .   .
        z/a  X   .   .   .   .   .   .   .   .
        z/b  .   .   .   .   .   .   .   .   .
        z/c  X   .   .   .   .   .   .   .   .
    """)
    add("empty-namespace-selector-alone", _to_xa(ns_peer()), OPEN, ("TCP", 80), ("UDP", 81))
    add("namespace-by-metadata-name", _to_xa(ns_peer(**{"kubernetes.io/metadata.name": "z"})),
        """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   .   .   .   .   .   .   .   .
        x/b  X   .   .   .   .   .   .   .   .
        x/c  X   .   .   .   .   .   .   .   .
        y/a  X   .   .   .   .   .   .   .   .
        y/b  X   .   .   .   .   .   .   .   .
        y/c  X   .   .   .   .   .   .   .   .
        z/a  .   .   .   .   .   .   .   .   .
        z/b  .   .   .   .   .   .   .   .   .
        z/c  .   .   .   .   .   .   .   .   .
    """)
    add("peer-matching-no-namespace", _to_xa(ns_peer(ns="w")), XA_INGRESS_CLOSED)

    # -- matchExpressions -----------------------------------------------------
    add("namespace-in", _to_xa({"namespaceSelector": expr_sel(("ns", "In", ["y", "z"]))}), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   .   .   .   .   .   .   .   .
        x/b  X   .   .   .   .   .   .   .   .
        x/c  X   .   .   .   .   .   .   .   .
        y/a  .   .   .   .   .   .   .   .   .
        y/b  .   .   .   .   .   .   .   .   .
        y/c  .   .   .   .   .   .   .   .   .
        z/a  .   .   .   .   .   .   .   .   .
        z/b  .   .   .   .   .   .   .   .   .
        z/c  .   .   .   .   .   .   .   .   .
    """)
    add("namespace-not-in", _to_xa({"namespaceSelector": expr_sel(("ns", "NotIn", ["y"]))}), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   .   .   .   .   .   .   .   .
        x/b  .   .   .   .   .   .   .   .   .
        x/c  .   .   .   .   .   .   .   .   .
        y/a  X   .   .   .   .   .   .   .   .
        y/b  X   .   .   .   .   .   .   .   .
        y/c  X   .   .   .   .   .   .   .   .
        z/a  .   .   .   .   .   .   .   .   .
        z/b  .   .   .   .   .   .   .   .   .
        z/c  .   .   .   .   .   .   .   .   .
    """)
    add("pod-not-in-every-namespace", _policies(make_policy("not-b", "x", {}, ingress=[
        rule([pods_peer(expr_sel(("pod", "NotIn", ["b"])), ns={})])])), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   .   .   .   .   .   .   .   .
        x/b  X   .   X   .   .   .   .   .   .
        x/c  .   .   .   .   .   .   .   .   .
        y/a  .   .   .   .   .   .   .   .   .
        y/b  X   X   X   .   .   .   .   .   .
        y/c  .   .   .   .   .   .   .   .   .
        z/a  .   .   .   .   .   .   .   .   .
        z/b  X   X   X   .   .   .   .   .   .
        z/c  .   .   .   .   .   .   .   .   .
    """)
    tiered = cluster_yaml(relabel={"y/a": {"pod": "a", "tier": "web"},
                                   "z/b": {"pod": "b", "tier": "web"}})
    add("pod-label-exists", _to_xa(pods_peer(expr_sel(("tier", "Exists", ())), ns={})), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   .   .   .   .   .   .   .   .
        x/b  X   .   .   .   .   .   .   .   .
        x/c  X   .   .   .   .   .   .   .   .
        y/a  .   .   .   .   .   .   .   .   .
        y/b  X   .   .   .   .   .   .   .   .
        y/c  X   .   .   .   .   .   .   .   .
        z/a  X   .   .   .   .   .   .   .   .
        z/b  .   .   .   .   .   .   .   .   .
        z/c  X   .   .   .   .   .   .   .   .
    """, cluster_yaml=tiered)
    add("pod-label-does-not-exist",
        _to_xa(pods_peer(expr_sel(("tier", "DoesNotExist", ())), ns={})), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   .   .   .   .   .   .   .   .
        x/b  .   .   .   .   .   .   .   .   .
        x/c  .   .   .   .   .   .   .   .   .
        y/a  X   .   .   .   .   .   .   .   .
        y/b  .   .   .   .   .   .   .   .   .
        y/c  .   .   .   .   .   .   .   .   .
        z/a  .   .   .   .   .   .   .   .   .
        z/b  X   .   .   .   .   .   .   .   .
        z/c  .   .   .   .   .   .   .   .   .
    """, cluster_yaml=tiered)
    # NotIn is true where the label is missing: y/a and z/b carry tier=web.
    add("pod-label-not-in-missing-label",
        _to_xa(pods_peer(expr_sel(("tier", "NotIn", ["db"])), ns={})), OPEN, cluster_yaml=tiered)

    # -- label changes: the same policy, a relabelled pod ---------------------
    add("relabel-peer-joins", _to_xa(pods_peer(labels_sel(pod="b"))), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   .   .   .   .   .   .   .   .
        x/b  .   .   .   .   .   .   .   .   .
        x/c  .   .   .   .   .   .   .   .   .
        y/a  X   .   .   .   .   .   .   .   .
        y/b  X   .   .   .   .   .   .   .   .
        y/c  X   .   .   .   .   .   .   .   .
        z/a  X   .   .   .   .   .   .   .   .
        z/b  X   .   .   .   .   .   .   .   .
        z/c  X   .   .   .   .   .   .   .   .
    """, cluster_yaml=cluster_yaml(relabel={"x/c": {"pod": "b"}}))
    add("relabel-target-leaves", _policies(
        make_policy("deny-a", "x", XA, policy_types=["Ingress", "Egress"])), OPEN,
        cluster_yaml=cluster_yaml(relabel={"x/a": {"pod": "d"}}))
    add("relabel-target-joins", _policies(
        make_policy("deny-a", "x", XA, policy_types=["Ingress"])), """
        -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
        x/a  .   X   .   .   .   .   .   .   .
        x/b  X   .   .   .   .   .   .   .   .
        x/c  X   X   .   .   .   .   .   .   .
        y/a  X   X   .   .   .   .   .   .   .
        y/b  X   X   .   .   .   .   .   .   .
        y/c  X   X   .   .   .   .   .   .   .
        z/a  X   X   .   .   .   .   .   .   .
        z/b  X   X   .   .   .   .   .   .   .
        z/c  X   X   .   .   .   .   .   .   .
    """, cluster_yaml=cluster_yaml(relabel={"x/b": {"pod": "a"}}))
    return out


CASES_1 = _cases()
