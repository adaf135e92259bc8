"""Typed fields, read as the API server decodes the JSON that ``kubectl`` makes of YAML.

YAML scalars become JSON values by way of go-yaml and Go's float64 (``80.0``
and ``1e3`` are written as the integers 80 and 1000); then each value must
fit its field's Go type: int32 and int64 take integral numbers in range,
strings take only strings, booleans only booleans, IntOrString either an
integer or a string, Quantity a number or a quantity string.
"""

from __future__ import annotations

import textwrap

import pytest

from netwarden.load import load_texts

from .load_helpers import errors, np_yaml

POD = """\
apiVersion: v1
kind: Pod
metadata: {{name: web, labels: {{app: web}}}}
spec:
  {spec}
  containers: [{{name: web, image: nginx, {container}}}]
"""

CALICO = """\
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {{name: p}}
spec:
  {spec}
"""

ACCEPTED = [
    ("integral float port", np_yaml("ingress: [{ports: [{port: 80.0}]}]")),
    ("exponent endPort", np_yaml("ingress: [{ports: [{port: 80, endPort: 1e3}]}]")),
    ("go-yaml boolean yes", POD.format(spec="hostNetwork: yes", container="ports: []")),
    ("integral float containerPort", POD.format(spec="", container="ports: [{containerPort: "
                                                                   "8080.0}]")),
    ("quantity as a number", POD.format(spec="", container="resources: {limits: {cpu: 1}}")),
    ("quantity as a string", POD.format(spec="", container="resources: {limits: {cpu: 500m}}")),
    ("int-or-string as a string", POD.format(
        spec="", container="livenessProbe: {httpGet: {port: http}}")),
    ("time", POD.format(spec="", container="ports: []").replace(
        "metadata: {", "metadata: {creationTimestamp: '2024-01-31T12:00:00Z', ")),
    ("calico float order and integral ports", CALICO.format(
        spec="order: 10.5\n  ingress: [{action: Allow, protocol: TCP, ipVersion: 4.0, "
             "destination: {ports: [80.0, '8000:8100']}}]")),
]

REJECTED = [
    ("fractional port", np_yaml("ingress: [{ports: [{port: 80.5}]}]"),
     "np.yaml:7: spec.ingress[0].ports[0].port: must be an integer or a string, "
     "got number 80.5"),
    ("string endPort", np_yaml("ingress: [{ports: [{port: 80, endPort: '90'}]}]"),
     "np.yaml:7: spec.ingress[0].ports[0].endPort: must be an integer, got string '90'"),
    ("endPort beyond int32", np_yaml("ingress: [{ports: [{port: 80, endPort: 3000000000}]}]"),
     "np.yaml:7: spec.ingress[0].ports[0].endPort: must be an integer from -2147483648 to "
     "2147483647, got number 3000000000"),
    ("float written in exponent form beyond 1e21", np_yaml(
        "ingress: [{ports: [{port: 80, endPort: 1e21}]}]"),
     "np.yaml:7: spec.ingress[0].ports[0].endPort: must be an integer, got number 1e+21"),
    ("number protocol", np_yaml("ingress: [{ports: [{protocol: 6}]}]"),
     "np.yaml:7: spec.ingress[0].ports[0].protocol: must be a string, got number 6"),
    ("list for an object", np_yaml("podSelector: []"),
     "np.yaml:7: spec.podSelector: must be an object, got a list"),
    ("string for a list", np_yaml("policyTypes: Ingress"),
     "np.yaml:7: spec.policyTypes: must be a list, got string 'Ingress'"),
    ("number label value", np_yaml("podSelector: {matchLabels: {tier: 1}}"),
     "np.yaml:7: spec.podSelector.matchLabels.tier: must be a string, got number 1"),
    ("quoted boolean", POD.format(spec="hostNetwork: 'true'", container="ports: []"),
     "test.yaml:5: spec.hostNetwork: must be a boolean, got string 'true'"),
    ("number name", POD.format(spec="", container="ports: []").replace("name: web,", "name: 1,", 1),
     "test.yaml:3: metadata.name: must be a string, got number 1"),
    ("fractional containerPort", POD.format(spec="", container="ports: [{containerPort: 80.5}]"),
     "test.yaml:6: spec.containers[0].ports[0].containerPort: must be an integer, "
     "got number 80.5"),
    ("boolean quantity", POD.format(spec="", container="resources: {limits: {cpu: true}}"),
     "test.yaml:6: spec.containers[0].resources.limits.cpu: must be a quantity (a number, "
     "or a string like 500m or 1Gi), got boolean true"),
    ("malformed quantity", POD.format(spec="", container="resources: {limits: {cpu: lots}}"),
     "test.yaml:6: spec.containers[0].resources.limits.cpu: must be a quantity (a number, "
     "or a string like 500m or 1Gi), got string 'lots'"),
    ("fractional int-or-string", POD.format(
        spec="", container="livenessProbe: {httpGet: {port: 80.5}}"),
     "test.yaml:6: spec.containers[0].livenessProbe.httpGet.port: must be an integer or a "
     "string, got number 80.5"),
    ("date without time", POD.format(spec="", container="ports: []").replace(
        "metadata: {", "metadata: {creationTimestamp: 2024-01-31, "),
     "test.yaml:3: metadata.creationTimestamp: must be a time in RFC 3339 form "
     "(2024-01-31T12:00:00Z), got string '2024-01-31'"),
    ("calico string order", CALICO.format(spec="order: '10'"),
     "test.yaml:5: spec.order: must be a number, got string '10'"),
    ("calico fractional port", CALICO.format(
        spec="ingress: [{action: Allow, protocol: TCP, destination: {ports: [80.5]}}]"),
     "test.yaml:5: spec.ingress[0].destination.ports[0]: must be an integer or a string, "
     "got number 80.5"),
    ("calico fractional icmp type", CALICO.format(
        spec="ingress: [{action: Allow, protocol: ICMP, icmp: {type: 8.5}}]"),
     "test.yaml:5: spec.ingress[0].icmp.type: must be an integer, got number 8.5"),
    ("calico string boolean", CALICO.format(spec="applyOnForward: 'yes'"),
     "test.yaml:5: spec.applyOnForward: must be a boolean, got string 'yes'"),
]


@pytest.mark.parametrize("manifest", [c[1] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_a_value_the_api_server_decodes_is_accepted(manifest: str) -> None:
    load_texts([("test.yaml", textwrap.dedent(manifest))])


@pytest.mark.parametrize(("manifest", "expected"), [c[1:] for c in REJECTED],
                         ids=[c[0] for c in REJECTED])
def test_a_value_its_field_cannot_decode_is_rejected(manifest: str, expected: str) -> None:
    file = "np.yaml" if manifest.startswith("apiVersion: networking") else "test.yaml"
    assert errors(manifest, file) == [expected]


def test_an_integral_float_port_is_the_integer_port() -> None:
    snap = load_texts([("np.yaml", np_yaml("ingress: [{ports: [{port: 80.0, endPort: 1e3}]}]"))])
    (port,) = snap.network_policies[0].ingress[0].ports
    assert (port.port, port.end_port) == (80, 1000)


def test_a_json_number_with_an_exponent_fits_an_integer_field() -> None:
    # kubectl decodes JSON into float64 and re-encodes 9100e0 as 9100 for the API server
    text = ('{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", '
            '"metadata": {"name": "a"}, "spec": {"podSelector": {}, '
            '"ingress": [{"ports": [{"port": 9100e0, "endPort": 9.2e3}]}]}}')
    snap = load_texts([("np.json", text)])
    (port,) = snap.network_policies[0].ingress[0].ports
    assert (port.port, port.end_port) == (9100, 9200)
