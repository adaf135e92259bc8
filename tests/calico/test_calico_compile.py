"""Compiling Calico resources into the IR: tiers, order, types, scopes, endpoints, seeds."""

from __future__ import annotations

import ipaddress
import textwrap
from pathlib import Path

import pytest

from netwarden._errors import InvalidManifests
from netwarden.compile.calico import CalicoCompiled, compile_calico, policy_name
from netwarden.ir import (
    Action,
    Cluster,
    Direction,
    Endpoint,
    EndpointKind,
    IcmpMatch,
    Labels,
    Peer,
    Policy,
    PolicyKind,
    PortSpec,
    Scope,
    Tier,
)
from netwarden.ir.selector import All, Eq
from netwarden.load.calico import parse_calico
from netwarden.load.yamlpos import parse_documents

FIXTURES = Path(__file__).parent / "fixtures"
V3, CRD = "projectcalico.org/v3", "crd.projectcalico.org/v1"
POD, HOST = EndpointKind.POD, EndpointKind.HOST
INGRESS, EGRESS = Direction.INGRESS, Direction.EGRESS


def compile_text(text: str) -> CalicoCompiled:
    docs = parse_documents(textwrap.dedent(text), "c.yaml")
    return compile_calico([parse_calico(d) for d in docs], {})


def compile_fixture(name: str) -> CalicoCompiled:
    path = FIXTURES / name
    return compile_calico([parse_calico(d) for d in parse_documents(path.read_text(), name)])


def one_policy(text: str) -> Policy:
    (policy,) = compile_text(text).policies
    return policy


def gnp(spec: str, api: str = V3, name: str = "p") -> str:
    body = textwrap.indent(textwrap.dedent(spec), "  ")
    return f"apiVersion: {api}\nkind: GlobalNetworkPolicy\nmetadata:\n  name: {name}\nspec:\n{body}"


def np(spec: str, api: str = V3, namespace: str = "prod") -> str:
    body = textwrap.indent(textwrap.dedent(spec), "  ")
    return (f"apiVersion: {api}\nkind: NetworkPolicy\nmetadata:\n  name: p\n"
            f"  namespace: {namespace}\nspec:\n{body}")


def pod(name: str, ns: str, **labels: str) -> Endpoint:
    return Endpoint(f"{ns}/{name}", POD, name, ns, Labels(labels),
                    ips=(ipaddress.ip_address("10.0.0.1"),))


def ns_labels(name: str) -> Labels:
    return Labels({"kubernetes.io/metadata.name": name, "name": name})


# -- tiers and ordering ------------------------------------------------------------

def test_tiers_orders_and_names():
    tiers = [
        f"apiVersion: {V3}\nkind: Tier\nmetadata: {{name: security}}\nspec: {{order: 100}}\n",
        f"apiVersion: {V3}\nkind: Tier\nmetadata: {{name: platform}}\n"
        "spec: {defaultAction: Pass}\n",
    ]
    policies = [
        gnp("tier: security\norder: 5\n", name="security.b"),
        gnp("tier: security\n", name="a"),
        gnp("order: 1\n", name="default.z"),
        gnp("tier: platform\norder: 1\n", name="q"),
    ]
    out = compile_text("---\n".join(tiers + policies))
    assert out.tiers == (Tier("security", 100.0, Action.DENY), Tier("platform", None, Action.PASS))
    cluster = Cluster(policies=out.policies, tiers=out.tiers)
    order = [(t.name, [p.name for p in ps]) for t, ps in cluster.evaluation_order]
    assert order == [
        ("security", ["security.b", "security.a"]),
        ("default", ["z"]),
        ("platform", ["platform.q"]),
    ]
    assert out.warnings == ()


def test_policy_name_qualification():
    assert policy_name("x", "default") == "x"
    assert policy_name("default.x", "default") == "x"
    assert policy_name("x", "sec") == "sec.x"
    assert policy_name("sec.x", "sec") == "sec.x"


def test_a_policy_in_an_undeclared_tier_is_an_error_at_its_tier_field():
    with pytest.raises(InvalidManifests) as exc:
        compile_text(gnp("order: 1\ntier: ghost\n"))
    assert str(exc.value) == ("c.yaml:7: spec.tier: tier 'ghost' is not declared; Calico "
                              "rejects a policy whose tier does not exist")


def test_duplicates_are_errors_naming_both_places():
    with pytest.raises(InvalidManifests) as exc:
        compile_text(gnp("order: 1\n") + "\n---\n" + gnp("order: 2\n"))
    assert str(exc.value) == ("c.yaml:9: metadata.name: GlobalNetworkPolicy 'p' is defined "
                              "more than once (first at c.yaml:1)")


# -- types defaulting -----------------------------------------------------------------

V3_NOTE = "types defaulted to [{}] by the projectcalico.org/v3 API: {}"
CRD_NOTE = ("types defaulted to [Ingress, Egress]: crd.projectcalico.org/v1 objects are not "
            "defaulted and Felix treats empty types as both")
TYPES = [
    ("v3 no rules", V3, "selector: all()\n", {INGRESS},
     V3_NOTE.format("Ingress", "it has no egress rules")),
    ("v3 ingress only", V3, "ingress: [{action: Allow}]\n", {INGRESS},
     V3_NOTE.format("Ingress", "it has no egress rules")),
    ("v3 egress only", V3, "egress: [{action: Allow}]\n", {EGRESS},
     V3_NOTE.format("Egress", "it has egress rules and no ingress rules")),
    ("v3 both", V3, "ingress: [{action: Allow}]\negress: [{action: Allow}]\n", {INGRESS, EGRESS},
     V3_NOTE.format("Ingress, Egress", "it has ingress and egress rules")),
    ("crd no rules", CRD, "selector: all()\n", {INGRESS, EGRESS}, CRD_NOTE),
    ("crd ingress only", CRD, "ingress: [{action: Allow}]\n", {INGRESS, EGRESS}, CRD_NOTE),
    ("v3 explicit", V3, "types: [Egress]\n", {EGRESS}, None),
    ("crd explicit", CRD, "types: [Ingress]\negress: [{action: Deny}]\n", {INGRESS}, None),
    ("preDNAT", CRD, "applyOnForward: true\npreDNAT: true\n", {INGRESS},
     "types defaulted to [Ingress]: preDNAT policies only apply to ingress"),
]


@pytest.mark.parametrize(("api", "spec", "types", "note"), [t[1:] for t in TYPES],
                         ids=[t[0] for t in TYPES])
def test_types_defaulting(api: str, spec: str, types: set[Direction], note: str | None):
    policy = one_policy(gnp(spec, api=api))
    assert policy.types == types
    assert policy.notes[:1] == ((note,) if note else ())


# -- scoping ---------------------------------------------------------------------------

def test_namespaced_policy_scope_and_rule_selectors():
    policy = one_policy(np("""\
        selector: app == 'db'
        ingress:
          - action: Allow
            source: {selector: app == 'web'}
          - action: Allow
            source: {namespaceSelector: team == 'a', selector: app == 'web'}
          - action: Allow
            source: {notSelector: app == 'bad'}
          - action: Allow
            source: {nets: [10.0.0.0/8]}
          - action: Allow
            source: {namespaceSelector: all()}
          - action: Allow
            source: {serviceAccounts: {names: [api]}}
    """))
    assert (policy.kind, policy.namespace, policy.id) == (
        PolicyKind.CALICO, "prod", "calico:prod/p")
    assert policy.scope == Scope(namespace="prod")
    assert policy.applies_to_kinds == {POD}
    src = [r.source for r in policy.ingress]
    assert (src[0].selector, src[0].scope) == (Eq("app", "web"), Scope(namespace="prod"))
    assert (src[1].selector, src[1].scope) == (
        Eq("app", "web"), Scope(namespace_selector=Eq("team", "a")))
    # notSelector alone still limits the positive match to the namespace (libcalico-go).
    assert (src[2].selector, src[2].not_selector, src[2].scope) == (
        All(), Eq("app", "bad"), Scope(namespace="prod"))
    assert (src[3].selector, src[3].scope) == (None, Scope())
    assert (src[4].selector, src[4].scope) == (All(), Scope(namespace_selector=All()))
    assert (src[5].selector, src[5].scope, src[5].service_accounts) == (
        All(), Scope(namespace="prod"), {"api"})
    assert all(s.kinds == frozenset(EndpointKind) for s in src)
    web_prod, web_other = pod("w", "prod", app="web"), pod("w", "other", app="web")
    assert src[0].matches_peer(Peer(web_prod.ips[0], web_prod), ns_labels)
    assert not src[0].matches_peer(Peer(web_other.ips[0], web_other), ns_labels)


def test_global_policy_scopes():
    policy = one_policy(gnp("""\
        namespaceSelector: team == 'a'
        egress:
          - action: Allow
            destination: {selector: app == 'web'}
          - action: Deny
            destination: {namespaceSelector: global()}
    """))
    assert (policy.kind, policy.namespace, policy.id) == (
        PolicyKind.CALICO_GLOBAL, None, "global:p")
    assert policy.applies_to_kinds == {POD, HOST}
    assert policy.scope == Scope(namespace_selector=Eq("team", "a"))
    first, second = (r.destination for r in policy.egress)
    assert (first.selector, first.scope) == (Eq("app", "web"), Scope())
    assert (second.selector, second.scope) == (All(), Scope(global_only=True))
    assert one_policy(gnp("namespaceSelector: global()\n")).scope == Scope(global_only=True)


def test_namespace_selector_matching_empty_labels_is_a_warning():
    rule = "ingress: [{action: Allow, source: {namespaceSelector: \"a != 'b'\"}}]"
    out = compile_text(gnp(rule))
    text = ('a != "b" also matches an empty label set; Calico extends it to non-namespaced '
            "endpoints (host endpoints, global network sets), netwarden does not")
    assert out.warnings == (f"c.yaml:6: spec.ingress[0].source.namespaceSelector: {text}",)
    assert out.policies[0].notes[-1] == f"spec.ingress[0].source.namespaceSelector: {text}"


def test_rule_fields_and_flags():
    policy = one_policy(gnp("""\
        applyOnForward: true
        doNotTrack: true
        ingress:
          - action: Log
            protocol: ICMP
            notProtocol: 17
            icmp: {type: 8, code: 0}
            notICMP: {type: 3}
            ipVersion: 4
          - action: Pass
            protocol: TCP
            source: {ports: ["1024:65535"], notPorts: [http]}
            destination: {ports: [80, http]}
    """))
    assert (policy.apply_on_forward, policy.pre_dnat, policy.do_not_track) == (True, False, True)
    first, second = policy.ingress
    assert (first.action, first.protocol, first.not_protocol, first.ip_version) == (
        Action.LOG, 1, 17, 4)
    assert (first.icmp, first.not_icmp) == (IcmpMatch(8, 0), IcmpMatch(3, None))
    assert (str(first.origin), first.origin.position.line) == ("global:p ingress[0]", 9)
    assert second.action is Action.PASS and second.protocol == 6
    assert second.source.ports == PortSpec(ranges=((1024, 65535),))
    assert second.source.not_ports == PortSpec(names=("http",))
    assert second.destination.ports == PortSpec(ranges=((80, 80),), names=("http",))


def test_endpoints():
    out = compile_text(f"""\
        apiVersion: {V3}
        kind: HostEndpoint
        metadata: {{name: n1-eth0, labels: {{role: node}}}}
        spec: {{node: n1, interfaceName: eth0, expectedIPs: [192.168.1.1],
                ports: [{{name: ssh, port: 22}}]}}
        ---
        apiVersion: {V3}
        kind: HostEndpoint
        metadata: {{name: n2-ips}}
        spec: {{node: n2, expectedIPs: [192.168.1.2]}}
        ---
        apiVersion: {CRD}
        kind: NetworkSet
        metadata: {{name: ext, namespace: prod, labels: {{kind: ext}}}}
        spec: {{nets: [1.2.3.0/24]}}
        ---
        apiVersion: {V3}
        kind: GlobalNetworkSet
        metadata: {{name: world}}
        spec: {{nets: [0.0.0.0/0]}}
    """)
    hep, hep2, nset, gset = out.endpoints
    assert (hep.key, hep.kind, hep.node, hep.interface, hep.labels) == (
        "host/n1/eth0", HOST, "n1", "eth0", {"role": "node"})
    assert hep.ips == (ipaddress.ip_address("192.168.1.1"),)
    assert hep.named_ports("ssh", 6) == (22,)
    assert (hep2.key, hep2.interface) == ("host/n2/n2-ips", None)
    assert (nset.key, nset.kind, nset.namespace, nset.nets) == (
        "prod/ext", EndpointKind.NETWORK_SET, "prod", (ipaddress.ip_network("1.2.3.0/24"),))
    assert (gset.key, gset.namespace) == ("world", None)


# -- the seed manifests ------------------------------------------------------------------

def test_seed_global_deny_all():
    (policy,) = compile_fixture("global-deny-all.yaml").policies
    assert (policy.id, policy.order, policy.types, policy.notes) == (
        "global:global-deny-all", 2000.0, {INGRESS, EGRESS}, ())
    from_kube_system, dns = policy.egress
    assert from_kube_system.source.scope == Scope(namespace_selector=Eq("name", "kube-system"))
    assert dns.protocol == 17 and dns.destination.ports == PortSpec(ranges=((53, 53),))
    assert dns.destination.nets == (ipaddress.ip_network("0.0.0.0/0"),)
    (to_kube_system,) = policy.ingress
    assert to_kube_system.destination.scope == Scope(
        namespace_selector=Eq("name", "kube-system"))
    dns_pod = pod("dns", "kube-system")
    assert to_kube_system.destination.matches_peer(Peer(dns_pod.ips[0], dns_pod), ns_labels)
    app = pod("app", "org-1")
    assert not to_kube_system.destination.matches_peer(Peer(app.ips[0], app), ns_labels)


def test_seed_redis_nodejs():
    (policy,) = compile_fixture("allow-redis-nodejs.yaml").policies
    assert (policy.id, policy.selector, policy.types) == (
        "calico:default/allow-redis-nodejs", Eq("service", "redis"), {INGRESS, EGRESS})
    assert policy.notes == ("no metadata.namespace: placed in 'default', as kubectl would",
                            CRD_NOTE)
    (rule,) = policy.ingress
    assert (rule.action, rule.protocol) == (Action.ALLOW, 6)
    assert (rule.source.selector, rule.source.scope) == (
        Eq("service", "nodejs"), Scope(namespace="default"))
    assert rule.destination.ports == PortSpec(ranges=((6379, 6379),))
    redis = pod("redis", "default", service="redis")
    assert policy.applies_to(redis, ns_labels)
    assert not policy.applies_to(pod("php", "default", service="php"), ns_labels)


def test_seed_allow_metrics_prom():
    (policy,) = compile_fixture("allow-metrics-prom.yaml").policies
    assert policy.selector == All()
    (rule,) = policy.ingress
    assert (rule.source.selector, rule.source.scope) == (
        All(), Scope(namespace_selector=Eq("module", "prometheus")))
    assert rule.destination.ports == PortSpec(ranges=((9100, 9100),))


def test_seed_block_icmp_and_host_endpoint():
    block = compile_fixture("block-icmp.yaml").policies[0]
    out = compile_fixture("deny-icmp-kube-02.yaml")
    failsafe, allow, host_default = out.policies  # Felix's built-ins around the user's
    assert (failsafe.tier, host_default.tier) == ("felix:failsafe",
                                                   "felix:host-endpoint-default")
    (hep,) = out.endpoints
    assert (block.order, block.types, block.notes) == (200.0, {INGRESS, EGRESS}, ())
    assert [r.action for r in block.ingress + block.egress] == [Action.DENY, Action.DENY]
    assert {r.protocol for r in block.ingress + block.egress} == {1}
    assert (allow.order, allow.selector, allow.types) == (
        0.0, Eq("role", "k8s-node"), {INGRESS, EGRESS})
    assert (hep.key, hep.ips) == ("host/kube-02/eth0", (ipaddress.ip_address("192.168.2.2"),))
    # The host endpoint is selected by the order-0 policy and by block-icmp (order 200).
    assert allow.applies_to(hep, ns_labels) and block.applies_to(hep, ns_labels)
    cluster = Cluster(endpoints=out.endpoints, policies=(block, allow))
    ((_, ordered),) = cluster.evaluation_order
    assert [p.name for p in ordered] == ["deny-icmp-kube-02", "block-icmp"]


def test_seed_vpn_rules():
    out = compile_fixture("vpn-rules.yaml")
    _, policy, _ = out.policies
    assert policy.tier == "felix:pre-dnat.default"
    assert policy.applies_to_kinds == {HOST}
    (hep,) = out.endpoints
    assert (hep.key, hep.interface, hep.labels) == (
        "host/kube-02/*", "*", {"role": "vpnclient", "environment": "production"})
    assert (policy.apply_on_forward, policy.pre_dnat, policy.do_not_track) == (True, True, False)
    assert policy.types == {INGRESS} and policy.egress == ()
    deny, allow = policy.ingress
    assert (deny.action, deny.protocol, deny.destination.ports) == (
        Action.DENY, 6, PortSpec(ranges=((6379, 6379),)))
    assert (allow.action, allow.protocol, allow.destination.ports) == (
        Action.ALLOW, 17, PortSpec(ranges=((53, 53), (67, 67))))
    assert policy.applies_to(hep, ns_labels)
