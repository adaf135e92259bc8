"""Calico semantics in the engine, as specifications: scenario → expected verdicts.

Every verdict is checked twice, with ``Engine.check`` (one packet, with a
trace) and with ``Connectivity`` (service sets per class): the two must agree.
Cluster (see ``calico_helpers.BASE``): prod/web (http=8080, sa web-sa),
prod/db, dev/client (sa tester), kube-system/dns (namespace label name=kube-system).
"""

from __future__ import annotations

import pytest

from netwarden.engine.verdict import StepKind

from .calico_helpers import CRD, V3, both, calico, engine_of

K8S_ALLOW_DB_TO_WEB = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-db, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: db}}}]
    ports: [{port: 8080}]
"""


def np(name: str, spec: str, api: str = V3, namespace: str = "prod") -> str:
    return calico("NetworkPolicy", name, spec, api, namespace)


def gnp(name: str, spec: str, api: str = V3) -> str:
    return calico("GlobalNetworkPolicy", name, spec, api)


def tier(name: str, order: int, default_action: str | None = None) -> str:
    spec = f"order: {order}\n" + (f"defaultAction: {default_action}\n" if default_action else "")
    return calico("Tier", name, spec)


# -- ordering ----------------------------------------------------------------------------

MIXED = (
    K8S_ALLOW_DB_TO_WEB,  # order 1000, tier default
    np("deny-dev", """
       order: 500
       selector: app == 'web'
       ingress: [{action: Deny, source: {namespaceSelector: env == 'dev'}}]
       """),
    np("late-allow", """
       order: 2000
       selector: app == 'web'
       ingress: [{action: Allow, protocol: TCP, destination: {ports: [9000]}}]
       """),
)


@pytest.mark.parametrize(("src", "port", "allowed", "decided_by"), [
    ("prod/db", 8080, True, "prod/allow-db ingress[0] from[0] ports[0]"),   # k8s at 1000
    ("dev/client", 8080, False, "calico:prod/deny-dev ingress[0]"),          # 500 first
    ("kube-system/dns", 9000, True, "calico:prod/late-allow ingress[0]"),   # 2000 after
    ("kube-system/dns", 8080, False, None),                                  # end of tier
], ids=["k8s-1000-allows", "calico-500-denies-first", "calico-2000-allows", "end-of-tier"])
def test_kubernetes_policy_sits_at_order_1000_between_calico_policies(
        src: str, port: int, allowed: bool, decided_by: str | None) -> None:
    engine = engine_of(*MIXED)
    assert both(engine, src, "prod/web", "TCP", port) is allowed
    side = engine.check(src, "prod/web", "TCP", port).ingress
    assert side is not None
    assert (str(side.decided_by.origin) if side.decided_by else None) == decided_by
    if decided_by is None:
        assert side.steps[-1].kind is StepKind.END_OF_TIER


def test_deny_before_allow_within_a_policy_and_across_orders() -> None:
    engine = engine_of(
        np("first-deny", """
           order: 100
           selector: app == 'web'
           ingress:
           - {action: Deny, source: {selector: app == 'db'}}
           - {action: Allow}
           """),
        np("later-allow", """
           order: 200
           selector: app == 'web'
           ingress: [{action: Allow, source: {selector: app == 'db'}}]
           """),
    )
    assert not both(engine, "prod/db", "prod/web", "TCP", 8080)      # the earlier Deny wins
    assert both(engine, "dev/client", "prod/web", "TCP", 8080)       # rule [1] allows the rest


# -- tiers -------------------------------------------------------------------------------

SECURITY = gnp("security.guard", """
    tier: security
    order: 10
    selector: app == 'web'
    types: [Ingress]
    ingress:
    - {action: Deny, source: {selector: app == 'db'}}
    - {action: Pass, source: {namespaceSelector: env == 'dev'}}
    """)
K8S_ALLOW_CLIENT = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-client, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: client}}}]}]
"""


def test_pass_hands_the_decision_to_the_next_tier() -> None:
    engine = engine_of(tier("security", 100), SECURITY, K8S_ALLOW_CLIENT)
    verdict = engine.check("dev/client", "prod/web", "TCP", 8080)
    assert verdict.allowed and both(engine, "dev/client", "prod/web", "TCP", 8080)
    steps = verdict.ingress.steps  # type: ignore[union-attr]
    assert [s.kind for s in steps] == [StepKind.TIER, StepKind.MATCH, StepKind.TIER,
                                       StepKind.MATCH]
    assert [s.tier for s in steps] == ["security", "security", "default", "default"]
    assert steps[1].text.startswith("passed to the next tier by global:security.guard ingress[1]")
    assert steps[3].text.startswith("allowed by prod/allow-client ingress[0]")
    assert not both(engine, "prod/db", "prod/web", "TCP", 8080)  # Deny in the first tier


@pytest.mark.parametrize(("default_action", "allowed"), [(None, False), ("Deny", False),
                                                         ("Pass", True)])
def test_end_of_tier_drops_unless_the_tier_default_action_is_pass(
        default_action: str | None, allowed: bool) -> None:
    engine = engine_of(tier("security", 100, default_action), SECURITY)
    # dns matches no rule of the security tier; no later tier selects web.
    verdict = engine.check("kube-system/dns", "prod/web", "TCP", 8080)
    assert verdict.allowed is allowed
    assert both(engine, "kube-system/dns", "prod/web", "TCP", 8080) is allowed
    last = verdict.ingress.steps[-1]  # type: ignore[union-attr]
    assert last.kind is (StepKind.DEFAULT if allowed else StepKind.END_OF_TIER)


def test_log_matches_and_evaluation_goes_on() -> None:
    engine = engine_of(np("audit", """
        selector: app == 'web'
        ingress:
        - {action: Log, protocol: TCP}
        - {action: Allow, source: {selector: app == 'db'}}
        """))
    verdict = engine.check("prod/db", "prod/web", "TCP", 8080)
    assert verdict.allowed and both(engine, "prod/db", "prod/web", "TCP", 8080)
    kinds = [s.kind for s in verdict.ingress.steps]  # type: ignore[union-attr]
    assert kinds == [StepKind.TIER, StepKind.LOG, StepKind.MATCH]
    assert str(verdict.ingress.decided_by.origin) == "calico:prod/audit ingress[1]"  # type: ignore[union-attr]
    # Logged, then dropped at the end of the tier: Log never decides.
    assert not both(engine, "kube-system/dns", "prod/web", "TCP", 8080)


# -- types defaulting -------------------------------------------------------------------

INGRESS_ONLY = """
    selector: app == 'web'
    ingress: [{action: Allow}]
    """


@pytest.mark.parametrize(("api", "egress_shut"), [(V3, False), (CRD, True)])
def test_types_default_by_api_group(api: str, egress_shut: bool) -> None:
    engine = engine_of(np("in-only", INGRESS_ONLY, api=api))
    assert both(engine, "dev/client", "prod/web", "TCP", 8080)
    # crd.projectcalico.org/v1 is not defaulted by the API server: empty types
    # mean both directions, so an ingress-only policy also isolates egress.
    assert both(engine, "prod/web", "prod/db", "TCP", 5432) is not egress_shut
    (policy,) = engine.cluster.policies
    assert any("types defaulted" in n for n in policy.notes)


# -- selectors and scopes ------------------------------------------------------------------

def test_global_policy_with_namespace_selector_applies_only_there() -> None:
    engine = engine_of(gnp("prod-only", """
        namespaceSelector: env == 'prod'
        selector: all()
        ingress: [{action: Deny, source: {namespaceSelector: env == 'dev'}}, {action: Allow}]
        """))
    assert not both(engine, "dev/client", "prod/web", "TCP", 8080)
    assert both(engine, "kube-system/dns", "prod/db", "TCP", 5432)
    assert both(engine, "prod/web", "dev/client", "TCP", 80)  # dev is not selected


NETS = """
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: partners, labels: {role: partner}}
spec: {nets: [198.51.100.0/24]}
---
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata: {name: office, namespace: prod, labels: {role: office}}
spec: {nets: [203.0.113.0/24]}
"""


@pytest.mark.parametrize(("namespace_selector", "src", "allowed"), [
    ("all()", "dev/client", True),            # every namespaced endpoint
    ("all()", "198.51.100.7", False),         # a global network set is not namespaced
    ("global()", "dev/client", False),
    ("global()", "198.51.100.7", True),       # non-namespaced: global network sets, hosts
    ("global()", "192.0.2.1", False),         # an address nothing owns
])
def test_rule_namespace_selector_all_and_global(namespace_selector: str, src: str,
                                                allowed: bool) -> None:
    engine = engine_of(NETS, np("ns-sel", f"""
        selector: app == 'web'
        ingress: [{{action: Allow, source: {{namespaceSelector: "{namespace_selector}"}}}}]
        """))
    assert both(engine, src, "prod/web", "TCP", 8080) is allowed


@pytest.mark.parametrize(("rule", "src", "protocol", "port", "allowed"), [
    ("{action: Allow, source: {notSelector: app == 'client'}}", "prod/db", "TCP", 8080, True),
    ("{action: Allow, source: {notSelector: app == 'client'}}", "dev/client", "TCP", 8080,
     False),
    ("{action: Allow, source: {notNets: [10.0.2.0/24]}}", "dev/client", "TCP", 8080, False),
    ("{action: Allow, source: {notNets: [10.0.2.0/24]}}", "kube-system/dns", "TCP", 8080, True),
    ("{action: Allow, protocol: TCP, destination: {notPorts: [8080]}}", "prod/db", "TCP", 9000,
     True),
    ("{action: Allow, protocol: TCP, destination: {notPorts: [8080]}}", "prod/db", "TCP", 8080,
     False),
    ("{action: Allow, protocol: TCP, destination: {ports: [http]}}", "prod/db", "TCP", 8080,
     True),
    ("{action: Allow, protocol: TCP, destination: {ports: [http]}}", "prod/db", "TCP", 9000,
     False),
    ("{action: Allow, protocol: TCP, destination: {ports: ['8000:8100']}}", "prod/db", "TCP",
     8100, True),
    ("{action: Allow, protocol: TCP, destination: {ports: ['8000:8100']}}", "prod/db", "TCP",
     8101, False),
    ("{action: Allow, protocol: ICMP, icmp: {type: 8, code: 0}}", "prod/db", "ICMP", None, True),
    ("{action: Allow, protocol: ICMP, icmp: {type: 8, code: 0}}", "prod/db", "ICMP", 13 << 8,
     False),
    ("{action: Allow, protocol: ICMP, notICMP: {type: 13}}", "prod/db", "ICMP", 13 << 8 | 0,
     False),
    ("{action: Allow, ipVersion: 4}", "prod/db", "TCP", 8080, True),
    ("{action: Allow, ipVersion: 6}", "prod/db", "TCP", 8080, False),
], ids=["notSelector-other", "notSelector-hit", "notNets-hit", "notNets-other",
        "notPorts-other", "notPorts-hit", "named-port", "named-port-other", "range-end",
        "range-past", "icmp-echo", "icmp-timestamp", "notICMP", "ipv4", "ipv6-only"])
def test_rule_match_fields(rule: str, src: str, protocol: str, port: int | None,
                           allowed: bool) -> None:
    engine = engine_of(gnp("match", f"""
        selector: app == 'web'
        types: [Ingress]
        ingress: [{rule}]
        """))
    assert both(engine, src, "prod/web", protocol, port) is allowed


def test_network_sets_are_selected_by_label() -> None:
    engine = engine_of(NETS, np("from-office", """
        selector: app == 'web'
        ingress: [{action: Allow, source: {selector: role == 'office'}}]
        """), gnp("from-partners", """
        order: 1
        selector: app == 'db'
        types: [Ingress]
        ingress: [{action: Allow, source: {selector: role == 'partner'}}]
        """))
    assert both(engine, "203.0.113.9", "prod/web", "TCP", 8080)      # NetworkSet in prod
    assert not both(engine, "198.51.100.7", "prod/web", "TCP", 8080)  # global set: not in prod
    assert both(engine, "198.51.100.7", "prod/db", "TCP", 5432)      # GNP rule sees global sets
    assert both(engine, "203.0.113.9", "dev/client", "TCP", 80)        # dev is not policed


def test_service_accounts_by_name() -> None:
    engine = engine_of(gnp("by-sa", """
        selector: app == 'web'
        types: [Ingress]
        ingress: [{action: Allow, source: {serviceAccounts: {names: [tester]}}}]
        """))
    assert both(engine, "dev/client", "prod/web", "TCP", 8080)
    assert not both(engine, "prod/db", "prod/web", "TCP", 8080)


def test_implicit_calico_labels_are_selectable() -> None:
    engine = engine_of(gnp("implicit", """
        selector: projectcalico.org/namespace == 'prod' && projectcalico.org/orchestrator == 'k8s'
        types: [Ingress]
        ingress:
        - action: Allow
          source:
            namespaceSelector: projectcalico.org/name == 'dev'
            selector: projectcalico.org/serviceaccount == 'tester'
        """))
    assert both(engine, "dev/client", "prod/web", "TCP", 8080)
    assert not both(engine, "kube-system/dns", "prod/db", "TCP", 5432)
    assert both(engine, "prod/web", "dev/client", "TCP", 80)  # dev pods are not selected
    web = engine.cluster.endpoint("prod/web")
    assert web is not None and web.labels["projectcalico.org/serviceaccount"] == "web-sa"
    db = engine.cluster.endpoint("prod/db")
    assert db is not None and "projectcalico.org/serviceaccount" not in db.labels


def test_kubernetes_semantics_ignore_the_implicit_labels() -> None:
    k8s_all_namespaces = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-ns-with-name-label, namespace: prod}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {name: kube-system}}}]}]
"""
    engine = engine_of(k8s_all_namespaces)
    assert both(engine, "kube-system/dns", "prod/web", "TCP", 8080)
    assert not both(engine, "dev/client", "prod/web", "TCP", 8080)
