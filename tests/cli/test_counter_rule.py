"""How `lab stats` and `demo` name a counted rule: Kubernetes words unless Calico is loaded."""

from __future__ import annotations

import io

from netwarden import Cluster, load_cluster
from netwarden.cli._counted import counter_rule

KUBE = """
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: prod}
spec: {podSelector: {}}
"""

CALICO = KUBE + """
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
"""



def cluster_of(text: str) -> Cluster:
    return load_cluster(["-"], stdin=io.StringIO(text))


DENY = "prod/db ingress tier default default deny"


def test_a_kubernetes_default_deny_is_an_isolated_pod() -> None:
    assert counter_rule(DENY, cluster_of(KUBE)) == (
        "prod/db ingress: isolated, no policy allows it (default deny)")


def test_with_calico_objects_the_tier_is_named() -> None:
    assert counter_rule(DENY, cluster_of(CALICO)) == DENY


def test_a_rule_origin_is_kept() -> None:
    assert counter_rule("prod/deny ingress[0] from[0]", cluster_of(KUBE)) == (
        "prod/deny ingress[0] from[0]")
