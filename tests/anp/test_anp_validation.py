"""AdminNetworkPolicy, BaselineAdminNetworkPolicy and ClusterNetworkPolicy: the validation table.

Each row is a manifest the network-policy-api CRDs reject, with the exact
errors netwarden reports (file, line, field path, message). The limits come
from the API types (``apis/v1alpha1``, ``apis/v1alpha2`` of
kubernetes-sigs/network-policy-api): priority 0-1000, a BANP named
``default``, at most 100 rules/peers/ports per rule in v1alpha1 and 25 in
v1alpha2, exactly one field in a subject, a peer and a port, no named ports
towards nodes, networks or domain names, and the action and tier enums.
"""

from __future__ import annotations

import textwrap

import pytest

from netwarden._errors import InvalidManifests
from netwarden.load.anp import parse_cluster_policy
from netwarden.load.yamlpos import read_documents
from netwarden.resources.anp import ClusterPolicy, ClusterTier

HEAD = {
    "anp": "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\n"
           "metadata: {name: p}\n",
    "banp": "apiVersion: policy.networking.k8s.io/v1alpha1\n"
            "kind: BaselineAdminNetworkPolicy\nmetadata: {name: default}\n",
    "cnp": "apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\n"
           "metadata: {name: p}\n",
}
# The spec's first line is line 5 of anp.yaml.


def _parse(kind: str, spec: str, head: str | None = None) -> ClusterPolicy:
    body = textwrap.indent(textwrap.dedent(spec).strip("\n"), "  ")
    text = (head or HEAD[kind]) + "spec:\n" + body + "\n"
    docs, errors = read_documents(text, "anp.yaml")
    assert not errors
    out = parse_cluster_policy(docs[0])
    policies = [x for x in out if isinstance(x, ClusterPolicy)]
    assert len(policies) == 1
    return policies[0]


def _errors(kind: str, spec: str, head: str | None = None) -> list[str]:
    with pytest.raises(InvalidManifests) as info:
        _parse(kind, spec, head)
    return [str(e) for e in info.value.errors]


SUBJECT = "subject: {namespaces: {}}"

CASES = [
    ("priority-missing", "anp", SUBJECT,
     ["anp.yaml:5: spec.priority: is required"]),
    ("priority-too-high", "anp", f"priority: 1001\n{SUBJECT}",
     ["anp.yaml:5: spec.priority: invalid priority 1001: must be between 0 and 1000, inclusive"]),
    ("priority-negative", "cnp", f"tier: Admin\npriority: -1\n{SUBJECT}",
     ["anp.yaml:6: spec.priority: invalid priority -1: must be between 0 and 1000, inclusive"]),
    ("banp-has-no-priority", "banp", f"priority: 3\n{SUBJECT}",
     ["anp.yaml:5: spec.priority: unknown field"]),
    ("subject-missing", "anp", "priority: 1",
     ["anp.yaml:5: spec.subject: is required"]),
    ("subject-both", "anp",
     "priority: 1\nsubject:\n  namespaces: {}\n  pods: {namespaceSelector: {}, podSelector: {}}",
     ["anp.yaml:7: spec.subject: must specify exactly one of namespaces or pods"]),
    ("subject-empty", "anp", "priority: 1\nsubject: {}",
     ["anp.yaml:6: spec.subject: must specify exactly one of namespaces or pods"]),
    ("subject-pods-v1alpha1-needs-namespace-selector", "anp",
     "priority: 1\nsubject:\n  pods: {podSelector: {}}",
     ["anp.yaml:7: spec.subject.pods.namespaceSelector: is required"]),
    ("subject-pods-needs-pod-selector", "cnp",
     "tier: Admin\npriority: 1\nsubject:\n  pods: {namespaceSelector: {}}",
     ["anp.yaml:8: spec.subject.pods.podSelector: is required"]),
    ("tier-missing", "cnp", f"priority: 1\n{SUBJECT}",
     ["anp.yaml:5: spec.tier: is required"]),
    ("tier-enum", "cnp", f"tier: admin\npriority: 1\n{SUBJECT}",
     ['anp.yaml:5: spec.tier: unsupported value "admin": must be "Admin" or "Baseline"']),
    ("action-enum-v1alpha1", "anp",
     f"priority: 1\n{SUBJECT}\ningress:\n- action: Accept\n  from: [{{namespaces: {{}}}}]",
     ['anp.yaml:8: spec.ingress[0].action: unsupported value "Accept": '
      'must be one of "Allow", "Deny", "Pass"']),
    ("action-enum-v1alpha2", "cnp",
     f"tier: Admin\npriority: 1\n{SUBJECT}\ningress:\n- action: Allow\n"
     "  from: [{namespaces: {}}]",
     ['anp.yaml:9: spec.ingress[0].action: unsupported value "Allow": '
      'must be one of "Accept", "Deny", "Pass"']),
    ("banp-has-no-pass", "banp",
     f"{SUBJECT}\negress:\n- action: Pass\n  to: [{{namespaces: {{}}}}]",
     ['anp.yaml:7: spec.egress[0].action: unsupported value "Pass": '
      'must be "Allow" or "Deny"']),
    ("action-missing", "anp",
     f"priority: 1\n{SUBJECT}\ningress:\n- from: [{{namespaces: {{}}}}]",
     ["anp.yaml:8: spec.ingress[0].action: is required"]),
    ("peers-missing", "anp", f"priority: 1\n{SUBJECT}\negress:\n- action: Deny",
     ["anp.yaml:8: spec.egress[0].to: is required"]),
    ("peers-empty", "anp", f"priority: 1\n{SUBJECT}\negress:\n- action: Deny\n  to: []",
     ["anp.yaml:9: spec.egress[0].to: must have at least 1 item"]),
    ("peer-two-fields", "anp",
     f"priority: 1\n{SUBJECT}\negress:\n- action: Deny\n  to:\n"
     "  - {namespaces: {}, networks: [10.0.0.0/8]}",
     ["anp.yaml:10: spec.egress[0].to[0]: must specify exactly one of namespaces, pods, "
      "nodes, networks or domainNames"]),
    ("ingress-peer-has-no-nodes", "anp",
     f"priority: 1\n{SUBJECT}\ningress:\n- action: Deny\n  from:\n  - nodes: {{}}",
     ["anp.yaml:10: spec.ingress[0].from[0].nodes: unknown field; did you mean pods?",
      "anp.yaml:10: spec.ingress[0].from[0]: must specify exactly one of namespaces or pods"]),
    ("peer-unknown-field-fails-closed", "cnp",
     f"tier: Admin\npriority: 1\n{SUBJECT}\negress:\n- action: Deny\n  to:\n"
     "  - {services: [a]}",
     ["anp.yaml:11: spec.egress[0].to[0].services: unknown field",
      "anp.yaml:11: spec.egress[0].to[0]: must specify exactly one of namespaces, pods, "
      "nodes, networks or domainNames"]),
    ("banp-has-no-domain-names", "banp",
     f"{SUBJECT}\negress:\n- action: Allow\n  to:\n  - domainNames: [example.com]",
     ["anp.yaml:9: spec.egress[0].to[0].domainNames: unknown field",
      "anp.yaml:9: spec.egress[0].to[0]: must specify exactly one of namespaces, pods, "
      "nodes or networks"]),
    ("domain-names-allow-only", "anp",
     f"priority: 1\n{SUBJECT}\negress:\n- action: Deny\n  to:\n  - domainNames: [example.com]",
     ["anp.yaml:10: spec.egress[0].to[0].domainNames: may only be used in Allow rules, "
      "not Deny"]),
    ("domain-names-accept-only", "cnp",
     f"tier: Admin\npriority: 1\n{SUBJECT}\negress:\n- action: Pass\n  to:\n"
     "  - domainNames: [example.com]",
     ["anp.yaml:11: spec.egress[0].to[0].domainNames: may only be used in Accept rules, "
      "not Pass"]),
    ("domain-name-pattern", "anp",
     f"priority: 1\n{SUBJECT}\negress:\n- action: Allow\n  to:\n"
     "  - domainNames: ['www.*.example.com']",
     ['anp.yaml:10: spec.egress[0].to[0].domainNames[0]: invalid domain name '
      '"www.*.example.com": must be a DNS name of two or more labels, optionally starting '
      "with '*.' (e.g. 'example.com', '*.example.com')"]),
    ("network-not-a-cidr", "anp",
     f"priority: 1\n{SUBJECT}\negress:\n- action: Deny\n  to:\n  - networks: [10.0.0.0/33]",
     ['anp.yaml:10: spec.egress[0].to[0].networks[0]: invalid CIDR "10.0.0.0/33": '
      "must be a valid CIDR value (e.g. 10.9.8.0/24 or 2001:db8::/64)"]),
    ("port-two-fields", "anp",
     f"priority: 1\n{SUBJECT}\ningress:\n- action: Deny\n  from: [{{namespaces: {{}}}}]\n"
     "  ports:\n  - {namedPort: http, portNumber: {port: 80}}",
     ["anp.yaml:11: spec.ingress[0].ports[0]: must specify exactly one of portNumber, "
      "namedPort or portRange"]),
    ("port-number-range", "anp",
     f"priority: 1\n{SUBJECT}\ningress:\n- action: Deny\n  from: [{{namespaces: {{}}}}]\n"
     "  ports:\n  - portNumber: {protocol: TCP, port: 0}",
     ["anp.yaml:11: spec.ingress[0].ports[0].portNumber.port: invalid port 0: "
      "must be between 1 and 65535, inclusive"]),
    ("port-protocol-enum", "anp",
     f"priority: 1\n{SUBJECT}\ningress:\n- action: Deny\n  from: [{{namespaces: {{}}}}]\n"
     "  ports:\n  - portNumber: {protocol: ICMP, port: 8}",
     ['anp.yaml:11: spec.ingress[0].ports[0].portNumber.protocol: unsupported value "ICMP": '
      'must be one of "TCP", "UDP", "SCTP"']),
    ("port-range-reversed", "anp",
     f"priority: 1\n{SUBJECT}\ningress:\n- action: Deny\n  from: [{{namespaces: {{}}}}]\n"
     "  ports:\n  - portRange: {start: 90, end: 80}",
     ["anp.yaml:11: spec.ingress[0].ports[0].portRange.end: must be greater than start "
      "(80 <= 90)"]),
    ("protocols-two-fields", "cnp",
     f"tier: Admin\npriority: 1\n{SUBJECT}\ningress:\n- action: Deny\n"
     "  from: [{namespaces: {}}]\n  protocols:\n"
     "  - {tcp: {destinationPort: {number: 80}}, udp: {destinationPort: {number: 80}}}",
     ["anp.yaml:12: spec.ingress[0].protocols[0]: must specify exactly one of tcp, udp, sctp "
      "or destinationNamedPort"]),
    ("protocols-needs-destination-port", "cnp",
     f"tier: Admin\npriority: 1\n{SUBJECT}\ningress:\n- action: Deny\n"
     "  from: [{namespaces: {}}]\n  protocols:\n  - tcp: {}",
     ["anp.yaml:12: spec.ingress[0].protocols[0].tcp.destinationPort: is required"]),
    ("protocols-number-and-range", "cnp",
     f"tier: Admin\npriority: 1\n{SUBJECT}\ningress:\n- action: Deny\n"
     "  from: [{namespaces: {}}]\n  protocols:\n"
     "  - udp: {destinationPort: {number: 53, range: {start: 1, end: 2}}}",
     ["anp.yaml:12: spec.ingress[0].protocols[0].udp.destinationPort: must specify exactly "
      "one of number or range"]),
    ("named-port-towards-networks", "anp",
     f"priority: 1\n{SUBJECT}\negress:\n- action: Deny\n  to:\n  - networks: [10.0.0.0/8]\n"
     "  ports:\n  - namedPort: http",
     ["anp.yaml:8: spec.egress[0].ports: named ports cannot be used with nodes, networks or "
      "domainNames peers, which have no named ports"]),
    ("named-port-towards-nodes-v1alpha2", "cnp",
     f"tier: Admin\npriority: 1\n{SUBJECT}\negress:\n- action: Deny\n  to:\n  - nodes: {{}}\n"
     "  protocols:\n  - destinationNamedPort: http",
     ["anp.yaml:9: spec.egress[0].protocols: named ports cannot be used with nodes, networks "
      "or domainNames peers, which have no named ports"]),
    ("rule-name-too-long", "anp",
     f"priority: 1\n{SUBJECT}\negress:\n- name: {'x' * 101}\n  action: Deny\n"
     "  to: [{namespaces: {}}]",
     ["anp.yaml:8: spec.egress[0].name: must be no more than 100 characters, got 101"]),
    ("unknown-spec-field", "anp", f"priority: 1\n{SUBJECT}\ningres: []",
     ["anp.yaml:7: spec.ingres: unknown field; did you mean ingress?"]),
]


@pytest.mark.parametrize(("kind", "spec", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_invalid_manifest_is_rejected_with_exact_errors(kind: str, spec: str,
                                                        expected: list[str]) -> None:
    assert _errors(kind, spec) == expected


def test_banp_not_named_default() -> None:
    head = HEAD["banp"].replace("name: default", "name: strict")
    assert _errors("banp", SUBJECT, head) == [
        'anp.yaml:3: metadata.name: invalid name "strict": a BaselineAdminNetworkPolicy '
        'must be named "default"']


@pytest.mark.parametrize(("kind", "limit"), [("anp", 100), ("cnp", 25)])
def test_rule_count_is_bounded_per_direction(kind: str, limit: int) -> None:
    tier = "tier: Admin\n" if kind == "cnp" else ""
    rules = "".join("- action: Deny\n  to: [{namespaces: {}}]\n" for _ in range(limit + 1))
    errors = _errors(kind, f"{tier}priority: 1\n{SUBJECT}\negress:\n{rules}")
    assert errors == [f"anp.yaml:{9 if kind == 'cnp' else 8}: spec.egress: must have at most "
                      f"{limit} items, got {limit + 1}"]


@pytest.mark.parametrize(("kind", "limit"), [("anp", 100), ("cnp", 25)])
def test_a_rule_at_the_limit_is_accepted(kind: str, limit: int) -> None:
    tier = "tier: Admin\n" if kind == "cnp" else ""
    rules = "".join("- action: Deny\n  to: [{namespaces: {}}]\n" for _ in range(limit))
    assert len(_parse(kind, f"{tier}priority: 1\n{SUBJECT}\negress:\n{rules}").egress) == limit


def test_wrong_served_version_names_the_right_one() -> None:
    head = HEAD["anp"].replace("v1alpha1", "v1alpha2")
    assert _errors("anp", f"priority: 1\n{SUBJECT}", head) == [
        "anp.yaml:1: apiVersion: AdminNetworkPolicy is not served in version 'v1alpha2'; "
        "use policy.networking.k8s.io/v1alpha1"]


def test_valid_anp_reads_every_peer_and_port_form() -> None:
    policy = _parse("anp", """
        priority: 10
        subject:
          pods:
            namespaceSelector: {matchLabels: {team: a}}
            podSelector: {matchLabels: {app: web}}
        egress:
        - name: out
          action: Allow
          to:
          - namespaces: {}
          - pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}
          ports:
          - portNumber: {port: 5432}
          - namedPort: metrics
          - portRange: {protocol: UDP, start: 1000, end: 2000}
        - action: Deny
          to:
          - nodes: {matchLabels: {role: control-plane}}
          - networks: [10.0.0.0/8, 'fd00::/8']
        - action: Allow
          to:
          - domainNames: ['*.Example.com', api.example.org.]
    """)
    assert policy.tier is ClusterTier.ADMIN and policy.priority == 10
    assert policy.subject.pods is not None
    out, deny, names = policy.egress
    assert [(p.protocol, p.start, p.end, p.name) for p in out.ports] == [
        ("TCP", 5432, 5432, None), (None, None, None, "metrics"), ("UDP", 1000, 2000, None)]
    assert [str(n) for n in deny.peers[1].networks] == ["10.0.0.0/8", "fd00::/8"]
    assert names.peers[0].domain_names == ("*.example.com", "api.example.org")


def test_valid_cnp_reads_protocols_and_baseline_tier() -> None:
    policy = _parse("cnp", f"""
        tier: Baseline
        priority: 0
        {SUBJECT}
        ingress:
        - action: Accept
          from: [{{pods: {{podSelector: {{}}}}}}]
          protocols:
          - tcp: {{destinationPort: {{number: 80}}}}
          - sctp: {{destinationPort: {{range: {{start: 10, end: 20}}}}}}
          - destinationNamedPort: dns
    """)
    assert policy.tier is ClusterTier.BASELINE
    assert [(p.protocol, p.start, p.end, p.name) for p in policy.ingress[0].ports] == [
        ("TCP", 80, 80, None), ("SCTP", 10, 20, None), (None, None, None, "dns")]
