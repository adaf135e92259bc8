"""lint on cluster-wide policies: NW015-NW018, and no noise from the built-in tiers."""

from __future__ import annotations

from pathlib import Path

import pytest

from netwarden.analysis.findings import Finding
from netwarden.analysis.lint import lint
from netwarden.compile import compile_snapshot
from netwarden.load import load_texts

CLUSTER = (Path(__file__).parents[2] / "examples" / "anp-tenant-isolation"
           / "cluster.yaml").read_text()
V1 = "apiVersion: policy.networking.k8s.io/v1alpha1\n"


def anp(name: str, priority: int, subject: str, body: str) -> str:
    return (f"{V1}kind: AdminNetworkPolicy\nmetadata: {{name: {name}}}\nspec:\n"
            f"  priority: {priority}\n  subject: {{{subject}}}\n{body}")


TENANT_A = "namespaces: {matchLabels: {tenant: a}}"
FROM_B = "    from: [{namespaces: {matchLabels: {tenant: b}}}]\n"
NP_ALL_A = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
            "metadata: {name: all, namespace: tenant-a}\nspec: {podSelector: {}, "
            "ingress: [{}]}\n")
BANP_DENY = (f"{V1}kind: BaselineAdminNetworkPolicy\nmetadata: {{name: default}}\nspec:\n"
             f"  subject: {{{TENANT_A}}}\n  ingress:\n  - action: Deny\n"
             "    from: [{namespaces: {}}]\n")


def findings(*docs: str) -> list[Finding]:
    cluster = compile_snapshot(load_texts([("cluster.yaml", CLUSTER),
                                           ("p.yaml", "---\n".join(docs))]))
    return lint(cluster)


def messages(found: list[Finding], check: str) -> list[str]:
    return [f.message for f in found if f.id == check]


def test_nw015_allow_shadowed_by_an_earlier_deny() -> None:
    found = findings(anp("deny-b", 1, TENANT_A, f"  ingress:\n  - action: Deny\n{FROM_B}"),
                     anp("allow-b-web", 2, TENANT_A,
                         f"  ingress:\n  - action: Allow\n{FROM_B}"
                         "    ports: [{portNumber: {port: 80}}]\n"))
    assert messages(found, "NW015") == [
        "anp:allow-b-web ingress[0] from[0] ports[0] (Allow) is shadowed: anp:deny-b "
        "ingress[0] from[0] (Deny, priority 1) comes first and decides all the traffic it "
        "matches"]


def test_nw015_not_when_the_allow_comes_first() -> None:
    found = findings(anp("allow-b-web", 1, TENANT_A,
                         f"  ingress:\n  - action: Allow\n{FROM_B}"
                         "    ports: [{portNumber: {port: 80}}]\n"),
                     anp("deny-b", 2, TENANT_A, f"  ingress:\n  - action: Deny\n{FROM_B}"))
    assert messages(found, "NW015") == []


def test_nw016_pass_with_no_network_policy_or_baseline_after_it() -> None:
    found = findings(anp("pass-b", 1, "namespaces: {matchLabels: {tenant: b}}",
                         "  ingress:\n  - action: Pass\n    from: [{namespaces: {}}]\n"))
    assert messages(found, "NW016") == [
        "anp:pass-b ingress[0] (Pass): no NetworkPolicy or baseline policy selects "
        "tenant-b/web for ingress, so what it passes is allowed"]


def test_nw016_not_when_a_network_policy_decides_after_the_pass() -> None:
    found = findings(anp("pass-a", 1, TENANT_A,
                         "  ingress:\n  - action: Pass\n    from: [{namespaces: {}}]\n"),
                     NP_ALL_A)
    assert messages(found, "NW016") == []


def test_nw017_equal_priorities_with_overlapping_subjects() -> None:
    found = findings(anp("one", 3, TENANT_A, f"  ingress:\n  - action: Deny\n{FROM_B}"),
                     anp("two", 3, "pods: {namespaceSelector: {}, podSelector: "
                                   "{matchLabels: {app: web}}}",
                         f"  ingress:\n  - action: Allow\n{FROM_B}"))
    assert messages(found, "NW017") == [
        "anp:one and anp:two both have priority 3 in tier kube-admin and both select "
        "tenant-a/web: the API leaves their order undefined (netwarden, like Calico, takes "
        "anp:one first, by name)"]


@pytest.mark.parametrize("other", [4, 3])
def test_nw017_not_for_distinct_priorities_or_disjoint_subjects(other: int) -> None:
    subject = TENANT_A if other == 4 else "namespaces: {matchLabels: {tenant: b}}"
    found = findings(anp("one", 3, TENANT_A, f"  ingress:\n  - action: Deny\n{FROM_B}"),
                     anp("two", other, subject, f"  ingress:\n  - action: Allow\n{FROM_B}"))
    assert messages(found, "NW017") == []


def test_nw018_baseline_deny_void_when_network_policies_select_every_pod() -> None:
    found = findings(BANP_DENY, NP_ALL_A)
    assert messages(found, "NW018") == [
        "banp:default ingress[0] (Deny) is never reached: policies of earlier tiers "
        "(tenant-a/all) select every pod of its subject for ingress, and a pod they select "
        "is decided there"]
    assert not [f for f in found if f.id in ("NW007", "NW012") and f.subject == "banp:default"]


def test_nw018_not_when_a_subject_pod_escapes_network_policy() -> None:
    only_db = NP_ALL_A.replace("podSelector: {}", "podSelector: {matchLabels: {app: db}}")
    assert messages(findings(BANP_DENY, only_db), "NW018") == []


def test_the_baseline_tier_ending_in_pass_is_not_nw013() -> None:
    assert messages(findings(BANP_DENY), "NW013") == []
