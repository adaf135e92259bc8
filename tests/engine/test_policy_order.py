"""Ties between policies of one tier are broken as Felix breaks them (Calico 3.32).

Felix orders the policies of a tier by ``order`` (none: after every order),
then by ``<name>/<namespace>/<kind>`` (``felix/calc/policy_sorter.go``), where
a Kubernetes NetworkPolicy's name is ``knp.default.<name>`` and its kind
``KubernetesNetworkPolicy``. Each scenario pits an Allow against a Deny of
equal order, so the verdict says which was consulted first; ``Connectivity``
must agree with ``Engine.check``.
"""

from __future__ import annotations

import textwrap

import pytest

from netwarden.compile import compile_snapshot
from netwarden.engine import Connectivity, Engine
from netwarden.ir import Cluster, Policy, PolicyKind
from netwarden.ir.selector import All
from netwarden.ir.services import TCP
from netwarden.load import load_texts

PODS = """
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: app, labels: {app: web}}
spec: {containers: [{name: c}]}
status: {podIP: 10.0.1.1}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: app, labels: {app: client}}
spec: {containers: [{name: c}]}
status: {podIP: 10.0.1.2}
"""


def calico(kind: str, name: str, action: str, order: int | None,
           namespace: str | None = None) -> str:
    """A Calico policy on app=web's ingress: ``action`` for TCP 80 from anywhere."""
    meta = f"{{name: {name}, namespace: {namespace}}}" if namespace else f"{{name: {name}}}"
    order_line = f"  order: {order}\n" if order is not None else ""
    return (f"apiVersion: projectcalico.org/v3\nkind: {kind}\nmetadata: {meta}\nspec:\n"
            f"{order_line}  selector: app == 'web'\n  types: [Ingress]\n"
            f"  ingress:\n  - action: {action}\n    protocol: TCP\n"
            f"    destination: {{ports: [80]}}\n")


def k8s_allow(name: str) -> str:
    return textwrap.dedent(f"""\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {{name: {name}, namespace: app}}
        spec:
          podSelector: {{matchLabels: {{app: web}}}}
          ingress: [{{ports: [{{port: 80}}]}}]
        """)


def allowed(*policies: str) -> bool:
    docs = [("pods.yaml", PODS)] + [(f"p{i}.yaml", t) for i, t in enumerate(policies)]
    cluster = compile_snapshot(load_texts(docs))
    engine = Engine(cluster)
    verdict = engine.check("app/client", "app/web", "TCP", 80).allowed
    conn = Connectivity(cluster)
    src, dst = cluster.endpoint("app/client"), cluster.endpoint("app/web")
    assert src is not None and dst is not None
    assert conn.between(src, dst).contains(TCP, 80) == verdict
    return verdict


def order_of(*policies: Policy) -> list[str]:
    ((_, ordered),) = Cluster(policies=policies).evaluation_order
    return [p.id for p in ordered]


def policy(name: str, kind: PolicyKind, namespace: str | None = None,
           order: float | None = 10.0, source_name: str | None = None) -> Policy:
    return Policy(name, kind, namespace, All(), frozenset(), order=order,
                  source_name=source_name)


# -- namespaced Calico policy against a GlobalNetworkPolicy of equal order ------
@pytest.mark.parametrize(("global_name", "namespaced_name", "expected"), [
    ("a-deny", "b-allow", False),   # a-deny//GlobalNetworkPolicy < b-allow/app/...
    ("z-deny", "b-allow", True),    # b-allow/app/NetworkPolicy < z-deny//...
], ids=["global-name-first", "namespaced-name-first"])
def test_namespaced_and_global_of_equal_order_go_by_name(
        global_name: str, namespaced_name: str, expected: bool) -> None:
    assert allowed(calico("GlobalNetworkPolicy", global_name, "Deny", 10),
                   calico("NetworkPolicy", namespaced_name, "Allow", 10, "app")) is expected


def test_kind_breaks_the_tie_only_for_equal_name_and_namespace() -> None:
    # "x//GlobalNetworkPolicy" < "x/app/NetworkPolicy": "/" sorts before "a".
    assert order_of(policy("x", PolicyKind.CALICO, "app"),
                    policy("x", PolicyKind.CALICO_GLOBAL)) == ["global:x", "calico:app/x"]


# -- no order ---------------------------------------------------------------------
def test_no_order_comes_after_every_order_whatever_the_name() -> None:
    assert allowed(calico("NetworkPolicy", "a-allow", "Allow", None, "app"),
                   calico("NetworkPolicy", "z-deny", "Deny", 1_000_000_000, "app")) is False


def test_two_policies_without_order_go_by_name() -> None:
    assert allowed(calico("GlobalNetworkPolicy", "b-deny", "Deny", None),
                   calico("NetworkPolicy", "a-allow", "Allow", None, "app")) is True
    assert allowed(calico("GlobalNetworkPolicy", "a-deny", "Deny", None),
                   calico("NetworkPolicy", "b-allow", "Allow", None, "app")) is False


# -- a Kubernetes NetworkPolicy (order 1000) against a Calico policy of order 1000 --
@pytest.mark.parametrize(("calico_name", "expected"), [
    ("deny-web", False),   # deny-web/app/NetworkPolicy < knp.default.allow-web/...
    ("zz-deny", True),     # knp.default.allow-web/app/... < zz-deny/app/...
], ids=["calico-name-before-knp", "calico-name-after-knp"])
def test_kubernetes_and_calico_policy_of_order_1000_go_by_felix_name(
        calico_name: str, expected: bool) -> None:
    assert allowed(k8s_allow("allow-web"),
                   calico("NetworkPolicy", calico_name, "Deny", 1000, "app")) is expected


def test_kubernetes_policy_name_carries_the_knp_prefix() -> None:
    # "k8s" < "knp.default.a": the Calico policy first although "a" < "k8s".
    assert order_of(policy("a", PolicyKind.K8S, "app", 1000.0),
                    policy("k8s", PolicyKind.CALICO, "app", 1000.0)) == ["calico:app/k8s",
                                                                          "app/a"]


# -- names and namespaces -------------------------------------------------------------
def test_names_differing_only_by_namespace_go_by_namespace() -> None:
    assert order_of(policy("x", PolicyKind.CALICO, "b"),
                    policy("x", PolicyKind.CALICO, "a")) == ["calico:a/x", "calico:b/x"]


def test_name_comes_before_namespace() -> None:
    # Calico 3.32 compares name first: a in namespace z before b in namespace a.
    assert order_of(policy("b", PolicyKind.CALICO, "a"),
                    policy("a", PolicyKind.CALICO, "z")) == ["calico:z/a", "calico:a/b"]


def test_the_name_as_written_is_compared_not_the_tier_qualified_one() -> None:
    # Written "b" in tier security (netwarden: security.b) against "security.a":
    # Felix compares "b" with "security.a".
    assert order_of(policy("security.a", PolicyKind.CALICO_GLOBAL),
                    policy("security.b", PolicyKind.CALICO_GLOBAL, source_name="b")) == [
        "global:security.b", "global:security.a"]


def test_compiled_calico_policy_keeps_its_written_name() -> None:
    text = ("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: security}\n"
            "spec: {order: 100}\n---\n"
            "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: b}\n"
            "spec: {tier: security, selector: all()}\n")
    (compiled,) = compile_snapshot(load_texts([("p.yaml", text)])).policies
    assert (compiled.name, compiled.source_name) == ("security.b", "b")
    assert compiled.felix_key == "b//GlobalNetworkPolicy"
