"""NetworkPolicy validation: each rule of the API server, with the exact message.

Every case is a ``spec`` (its first line is line 7 of np.yaml) and the one
error it must produce.
"""

from __future__ import annotations

import pytest

from netwarden._errors import InvalidManifests
from netwarden.load import load_texts

from .load_helpers import errors, np_yaml, policy_errors

LETTERS = "must consist of alphanumerics, '-', '_' or '.', and start and end with an alphanumeric"
PEER_NEEDS = "must specify at least one of podSelector, namespaceSelector or ipBlock"

CASES = [
    ("protocol-lowercase", "ingress: [{ports: [{protocol: tcp}]}]",
     'np.yaml:7: spec.ingress[0].ports[0].protocol: unsupported value "tcp": '
     'must be one of "TCP", "UDP", "SCTP"'),
    ("protocol-unknown", "ingress: [{ports: [{protocol: ICMP}]}]",
     'np.yaml:7: spec.ingress[0].ports[0].protocol: unsupported value "ICMP": '
     'must be one of "TCP", "UDP", "SCTP"'),
    ("port-zero", "ingress: [{ports: [{port: 0}]}]",
     "np.yaml:7: spec.ingress[0].ports[0].port: invalid port 0: "
     "must be between 1 and 65535, inclusive"),
    ("port-too-big", "egress: [{ports: [{port: 65536}]}]",
     "np.yaml:7: spec.egress[0].ports[0].port: invalid port 65536: "
     "must be between 1 and 65535, inclusive"),
    ("port-not-scalar", "ingress: [{ports: [{port: [80]}]}]",
     "np.yaml:7: spec.ingress[0].ports[0].port: must be an integer or a string, got a list"),
    ("end-port-without-port", "ingress: [{ports: [{endPort: 90}]}]",
     "np.yaml:7: spec.ingress[0].ports[0].endPort: may only be set together with a numeric port"),
    ("end-port-with-named-port", "ingress: [{ports: [{port: http, endPort: 90}]}]",
     "np.yaml:7: spec.ingress[0].ports[0].endPort: may only be set together with a numeric port"),
    ("end-port-below-port", "ingress: [{ports: [{port: 80, endPort: 79}]}]",
     "np.yaml:7: spec.ingress[0].ports[0].endPort: must be greater than or equal to port "
     "(79 < 80)"),
    ("end-port-out-of-range", "ingress: [{ports: [{port: 80, endPort: 70000}]}]",
     "np.yaml:7: spec.ingress[0].ports[0].endPort: invalid port 70000: "
     "must be between 1 and 65535, inclusive"),
    ("port-name-too-long", "ingress: [{ports: [{port: abcdefghijklmnop}]}]",
     'np.yaml:7: spec.ingress[0].ports[0].port: invalid port name "abcdefghijklmnop": '
     "must be no more than 15 characters"),
    ("port-name-uppercase", "ingress: [{ports: [{port: HTTP}]}]",
     'np.yaml:7: spec.ingress[0].ports[0].port: invalid port name "HTTP": '
     "must contain only lowercase alphanumerics and '-'"),
    ("port-name-no-letter", "ingress: [{ports: [{port: '8080'}]}]",
     'np.yaml:7: spec.ingress[0].ports[0].port: invalid port name "8080": '
     "must contain at least one letter"),
    ("port-name-edge-dash", "ingress: [{ports: [{port: http-}]}]",
     'np.yaml:7: spec.ingress[0].ports[0].port: invalid port name "http-": '
     "must not begin or end with '-'"),
    ("port-name-double-dash", "ingress: [{ports: [{port: my--http}]}]",
     'np.yaml:7: spec.ingress[0].ports[0].port: invalid port name "my--http": '
     "must not contain '--'"),
    ("peer-empty", "ingress: [{from: [{}]}]",
     f"np.yaml:7: spec.ingress[0].from[0]: {PEER_NEEDS}"),
    ("peer-null", "egress:\n- to:\n  -",
     f"np.yaml:9: spec.egress[0].to[0]: {PEER_NEEDS}"),
    ("ip-block-with-selector",
     "ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]",
     "np.yaml:7: spec.ingress[0].from[0]: ipBlock may not be combined with podSelector "
     "or namespaceSelector"),
    ("cidr-missing", "ingress: [{from: [{ipBlock: {except: [10.0.0.0/8]}}]}]",
     "np.yaml:7: spec.ingress[0].from[0].ipBlock.cidr: is required"),
    ("cidr-invalid", "ingress: [{from: [{ipBlock: {cidr: 10.0.0.0}}]}]",
     'np.yaml:7: spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR "10.0.0.0": '
     "must be a valid CIDR value (e.g. 10.9.8.0/24 or 2001:db8::/64)"),
    ("cidr-bad-prefix", "ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]",
     'np.yaml:7: spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR "10.0.0.0/33": '
     "must be a valid CIDR value (e.g. 10.9.8.0/24 or 2001:db8::/64)"),
    ("except-invalid", "ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [x]}}]}]",
     'np.yaml:7: spec.ingress[0].from[0].ipBlock.except[0]: invalid CIDR "x": '
     "must be a valid CIDR value (e.g. 10.9.8.0/24 or 2001:db8::/64)"),
    ("except-other-family",
     "ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: ['fd00::/64']}}]}]",
     'np.yaml:7: spec.ingress[0].from[0].ipBlock.except[0]: "fd00::/64" is IPv6 '
     'but cidr "10.0.0.0/8" is IPv4'),
    ("except-outside", "ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}}]}]",
     'np.yaml:7: spec.ingress[0].from[0].ipBlock.except[0]: "11.0.0.0/16" must be strictly '
     'inside cidr "10.0.0.0/8"'),
    ("except-equal", "ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/8]}}]}]",
     'np.yaml:7: spec.ingress[0].from[0].ipBlock.except[0]: "10.0.0.0/8" must be strictly '
     'inside cidr "10.0.0.0/8"'),
    ("selector-key-prefix", "podSelector: {matchLabels: {Example.com/app: web}}",
     'np.yaml:7: spec.podSelector.matchLabels: invalid key "Example.com/app": prefix part '
     "must consist of lowercase alphanumerics, '-' or '.', and start and end with an "
     "alphanumeric"),
    ("selector-key-name", "podSelector: {matchLabels: {-app: web}}",
     f'np.yaml:7: spec.podSelector.matchLabels: invalid key "-app": name part {LETTERS}'),
    ("selector-key-too-long", f"podSelector: {{matchLabels: {{{'k' * 64}: v}}}}",
     f'np.yaml:7: spec.podSelector.matchLabels: invalid key "{"k" * 64}": '
     "name part must be no more than 63 characters"),
    ("selector-value", "podSelector: {matchLabels: {app: web app}}",
     f'np.yaml:7: spec.podSelector.matchLabels.app: invalid value "web app": must be empty or '
     f"{LETTERS.removeprefix('must ')}"),
    ("selector-value-too-long", f"podSelector: {{matchLabels: {{app: {'v' * 64}}}}}",
     f'np.yaml:7: spec.podSelector.matchLabels.app: invalid value "{"v" * 64}": '
     "must be no more than 63 characters"),
    ("expression-in-without-values", "podSelector: {matchExpressions: [{key: a, operator: In}]}",
     'np.yaml:7: spec.podSelector.matchExpressions[0].values: must be non-empty when operator '
     'is "In"'),
    ("expression-notin-empty-values",
     "podSelector: {matchExpressions: [{key: a, operator: NotIn, values: []}]}",
     'np.yaml:7: spec.podSelector.matchExpressions[0].values: must be non-empty when operator '
     'is "NotIn"'),
    ("expression-exists-with-values",
     "podSelector: {matchExpressions: [{key: a, operator: Exists, values: [x]}]}",
     'np.yaml:7: spec.podSelector.matchExpressions[0].values: must be empty when operator '
     'is "Exists"'),
    ("expression-unknown-operator",
     "podSelector: {matchExpressions: [{key: a, operator: Equals, values: [x]}]}",
     'np.yaml:7: spec.podSelector.matchExpressions[0].operator: unsupported value "Equals": '
     'must be one of "In", "NotIn", "Exists", "DoesNotExist"'),
    ("expression-bad-key", "podSelector: {matchExpressions: [{key: 'a b', operator: Exists}]}",
     f'np.yaml:7: spec.podSelector.matchExpressions[0].key: invalid key "a b": '
     f"name part {LETTERS}"),
    ("namespace-selector-in-peer",
     "ingress: [{from: [{namespaceSelector: {matchLabels: {team: 'a/b'}}}]}]",
     'np.yaml:7: spec.ingress[0].from[0].namespaceSelector.matchLabels.team: invalid value '
     f'"a/b": must be empty or {LETTERS.removeprefix("must ")}'),
    ("policy-types-too-many", "policyTypes: [Ingress, Egress, Ingress]",
     "np.yaml:7: spec.policyTypes: must not have more than 2 elements"),
    ("policy-types-unknown", "policyTypes: [ingress]",
     'np.yaml:7: spec.policyTypes[0]: unsupported value "ingress": must be "Ingress" or "Egress"'),
    ("policy-types-duplicate", "policyTypes: [Egress, Egress]",
     'np.yaml:7: spec.policyTypes[1]: duplicate value "Egress"'),
    ("ingress-is-a-mapping", "ingress: {}",
     "np.yaml:7: spec.ingress: must be a list, got an object"),
    ("ports-is-a-number", "egress:\n- ports: 80",
     "np.yaml:8: spec.egress[0].ports: must be a list, got number 80"),
    ("rule-is-a-string", "ingress: [allow]",
     "np.yaml:7: spec.ingress[0]: must be an object, got string 'allow'"),
    ("spec-is-a-string", "",
     "np.yaml:6: spec: must be an object, got string 'x'"),
]


@pytest.mark.parametrize(("spec", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_an_invalid_policy_is_rejected_with_file_line_field_and_reason(
    spec: str, expected: str
) -> None:
    if not spec:  # the one case that replaces spec itself
        text = np_yaml("").replace("spec:\n", "spec: x\n")
        assert errors(text, "np.yaml") == [expected]
        return
    assert policy_errors(spec) == [expected]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Web", 'np.yaml:4: metadata.name: invalid name "Web": must consist of lowercase '
                "alphanumerics, '-' or '.', and start and end with an alphanumeric"),
        ("a" * 254, f'np.yaml:4: metadata.name: invalid name "{"a" * 254}": '
                    "must be no more than 253 characters"),
    ],
    ids=["not-dns-1123", "too-long"],
)
def test_a_policy_name_must_be_a_dns_subdomain(name: str, expected: str) -> None:
    assert errors(np_yaml("podSelector: {}", name=name), "np.yaml") == [expected]


def test_a_policy_name_is_required() -> None:
    text = np_yaml("podSelector: {}").replace("  name: np\n", "")
    assert errors(text, "np.yaml") == ["np.yaml:4: metadata.name: is required"]


def test_every_error_of_a_load_is_reported_together_in_order() -> None:
    assert policy_errors("""
        podSelector: {matchLabels: {app: 'a b'}}
        ingress:
        - ports: [{protocol: tcp}, {port: 0}]
        egress:
        - to: [{}]
        """) == [
        'np.yaml:7: spec.podSelector.matchLabels.app: invalid value "a b": must be empty or '
        f"{LETTERS.removeprefix('must ')}",
        'np.yaml:9: spec.ingress[0].ports[0].protocol: unsupported value "tcp": '
        'must be one of "TCP", "UDP", "SCTP"',
        "np.yaml:9: spec.ingress[0].ports[1].port: invalid port 0: "
        "must be between 1 and 65535, inclusive",
        f"np.yaml:11: spec.egress[0].to[0]: {PEER_NEEDS}",
    ]


def test_errors_in_several_documents_and_files_are_gathered() -> None:
    bad = np_yaml("ingress: [{ports: [{port: 0}]}]")
    with pytest.raises(InvalidManifests) as info:
        load_texts([("a.yaml", bad + "---\n" + bad), ("b.yaml", bad)])
    assert [str(e.position) for e in info.value.errors] == ["a.yaml:7", "a.yaml:15", "b.yaml:7"]
