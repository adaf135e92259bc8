"""Services are validated as the API server does, with exact messages.

Each case is one mistake in ``spec`` (or ``status``) of a Service in namespace
prod; the message names file, line and field.
"""

from __future__ import annotations

import pytest

from netwarden.load import load_texts

from .svc_helpers import errors

SERVICE = "apiVersion: v1\nkind: Service\nmetadata: {{name: web, namespace: prod}}\nspec:\n{spec}\n"

CASES = [
    ('type',
     '  type: Internal\n  ports: [{port: 80}]',
     ['svc.yaml:5: spec.type: unsupported value "Internal": must be one of '
      '"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"']),
    ('no-ports',
     '  selector: {app: web}',
     ['svc.yaml:5: spec.ports: is required']),
    ('port-zero',
     '  ports: [{port: 0}]',
     ['svc.yaml:5: spec.ports[0].port: invalid port 0: must be between 1 and '
      '65535, inclusive']),
    ('target-big',
     '  ports: [{port: 80, targetPort: 70000}]',
     ['svc.yaml:5: spec.ports[0].targetPort: invalid port 70000: must be '
      'between 1 and 65535, inclusive']),
    ('target-name',
     '  ports: [{port: 80, targetPort: Web_Port}]',
     ['svc.yaml:5: spec.ports[0].targetPort: invalid port name "Web_Port": '
      "must contain only lowercase alphanumerics and '-'"]),
    ('target-digits',
     "  ports: [{port: 80, targetPort: '8080'}]",
     ['svc.yaml:5: spec.ports[0].targetPort: invalid port name "8080": must '
      'contain at least one letter']),
    ('target-bool',
     '  ports: [{port: 80, targetPort: true}]',
     ['svc.yaml:5: spec.ports[0].targetPort: must be an integer or a string, '
      'got boolean true']),
    ('two-unnamed',
     '  ports: [{port: 80}, {port: 81}]',
     ['svc.yaml:5: spec.ports[0].name: is required',
      'svc.yaml:5: spec.ports[1].name: is required']),
    ('dup-name',
     '  ports: [{name: a, port: 80}, {name: a, port: 81}]',
     ['svc.yaml:5: spec.ports[1].name: duplicate value "a"']),
    ('name-bad',
     '  ports: [{name: Web, port: 80}]',
     ['svc.yaml:5: spec.ports[0].name: invalid port name "Web": must consist '
      "of lowercase alphanumerics or '-', and start and end with an "
      'alphanumeric']),
    ('dup-port',
     '  ports: [{name: a, port: 80}, {name: b, port: 80}]',
     ['svc.yaml:5: spec.ports[1].port: duplicate value 80/TCP']),
    ('protocol',
     '  ports: [{port: 80, protocol: tcp}]',
     ['svc.yaml:5: spec.ports[0].protocol: unsupported value "tcp": must be '
      'one of "TCP", "UDP", "SCTP"']),
    ('nodeport-clusterip',
     '  ports: [{port: 80, nodePort: 30080}]',
     ['svc.yaml:5: spec.ports[0].nodePort: may not be used when `type` is '
      "'ClusterIP'"]),
    ('nodeport-range',
     '  type: NodePort\n  ports: [{port: 80, nodePort: 80}]',
     ['svc.yaml:6: spec.ports[0].nodePort: invalid node port 80: must be '
      'between 30000 and 32767, inclusive (the default node-port range)']),
    ('headless-nodeport',
     '  type: NodePort\n  clusterIP: None\n  ports: [{port: 80}]',
     ["svc.yaml:6: spec.clusterIP: may not be set to 'None' for NodePort "
      'services']),
    ('clusterip-bad',
     '  clusterIP: 10.96.0.300\n  ports: [{port: 80}]',
     ['svc.yaml:5: spec.clusterIP: invalid IP address "10.96.0.300": must be '
      'a valid IP address (e.g. 10.9.8.7 or 2001:db8::ffff)']),
    ('etp-clusterip',
     '  externalTrafficPolicy: Local\n  ports: [{port: 80}]',
     ['svc.yaml:5: spec.externalTrafficPolicy: may only be set when `type` '
      "is 'NodePort' or 'LoadBalancer'"]),
    ('etp-value',
     '  type: NodePort\n  externalTrafficPolicy: local\n  ports: [{port: '
     '80}]',
     ['svc.yaml:6: spec.externalTrafficPolicy: unsupported value "local": '
      'must be "Cluster" or "Local"']),
    ('itp-value',
     '  internalTrafficPolicy: Node\n  ports: [{port: 80}]',
     ['svc.yaml:5: spec.internalTrafficPolicy: unsupported value "Node": '
      'must be "Cluster" or "Local"']),
    ('extname-missing',
     '  type: ExternalName',
     ['svc.yaml:5: spec.externalName: is required']),
    ('extname-bad',
     '  type: ExternalName\n  externalName: db_host',
     ['svc.yaml:6: spec.externalName: invalid name "db_host": must consist '
      "of lowercase alphanumerics, '-' or '.', and start and end with an "
      'alphanumeric']),
    ('extname-on-clusterip',
     '  externalName: db.example.com\n  ports: [{port: 80}]',
     ['svc.yaml:5: spec.externalName: may only be set when `type` is '
      "'ExternalName'"]),
    ('selector-bad',
     '  selector: {app: -web}\n  ports: [{port: 80}]',
     ['svc.yaml:5: spec.selector.app: invalid value "-web": must be empty or '
      "consist of alphanumerics, '-', '_' or '.', and start and end with an "
      'alphanumeric']),
    ('clusterips-mismatch',
     '  clusterIP: 10.96.0.5\n  clusterIPs: [10.96.0.6]\n  ports: [{port: '
     '80}]',
     ['svc.yaml:6: spec.clusterIPs: must start with clusterIP ("10.96.0.5"), '
      'got "10.96.0.6"']),
    ('lb-status-bad',
     '  type: LoadBalancer\n  ports: [{port: 80}]\nstatus: {loadBalancer: '
     '{ingress: [{ip: 1.2.3}]}}',
     ['svc.yaml:7: status.loadBalancer.ingress[0].ip: invalid IP address '
      '"1.2.3": must be a valid IP address (e.g. 10.9.8.7 or 2001:db8::ffff)']),
]


@pytest.mark.parametrize(("spec", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_an_invalid_service_is_rejected(spec: str, expected: list[str]) -> None:
    assert errors(SERVICE.format(spec=spec), "svc.yaml") == expected


@pytest.mark.parametrize("spec", [
    "  ports: [{port: 80, targetPort: 0}]",
    "  clusterIP: None",
    "  type: ExternalName\n  externalName: db.example.com.",
], ids=["target-port-zero-is-the-port", "headless-without-ports", "external-name-fqdn"])
def test_a_valid_service_loads(spec: str) -> None:
    (svc,) = load_texts([("svc.yaml", SERVICE.format(spec=spec))]).services
    assert svc.meta.name == "web"


SLICE = ("apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {{name: db-1, "
         "namespace: prod, labels: {{kubernetes.io/service-name: db}}}}\n{body}\n")

SLICE_CASES = [
    ("address-type-missing", "endpoints: [{addresses: [10.0.0.1]}]",
     "es.yaml:1: addressType: is required"),
    ("address-type-unknown", "addressType: IP\nendpoints: [{addresses: [10.0.0.1]}]",
     'es.yaml:4: addressType: unsupported value "IP": must be one of "IPv4", "IPv6", "FQDN"'),
    ("no-addresses", "addressType: IPv4\nendpoints: [{addresses: []}]",
     "es.yaml:5: endpoints[0].addresses: must have at least one address"),
    ("bad-address", "addressType: IPv4\nendpoints: [{addresses: [10.0.0.300]}]",
     'es.yaml:5: endpoints[0].addresses[0]: invalid IP address "10.0.0.300": must be a valid '
     "IP address (e.g. 10.9.8.7 or 2001:db8::ffff)"),
    ("port-zero", "addressType: IPv4\nports: [{name: pg, port: 0}]",
     "es.yaml:5: ports[0].port: invalid port 0: must be between 1 and 65535, inclusive"),
    ("port-name", "addressType: IPv4\nports: [{name: PG, port: 5432}]",
     'es.yaml:5: ports[0].name: invalid port name "PG": must consist of lowercase '
     "alphanumerics or '-', and start and end with an alphanumeric"),
    ("protocol", "addressType: IPv4\nports: [{name: pg, port: 5432, protocol: tcp}]",
     'es.yaml:5: ports[0].protocol: unsupported value "tcp": must be one of "TCP", "UDP", '
     '"SCTP"'),
]


@pytest.mark.parametrize(("body", "expected"), [c[1:] for c in SLICE_CASES],
                         ids=[c[0] for c in SLICE_CASES])
def test_an_invalid_endpoint_slice_is_rejected(body: str, expected: str) -> None:
    assert errors(SLICE.format(body=body), "es.yaml") == [expected]


def test_an_endpoint_slice_without_its_service_label_is_a_warning() -> None:
    text = SLICE.format(body="addressType: IPv4").replace(
        ", labels: {kubernetes.io/service-name: db}", "")
    assert load_texts([("es.yaml", text)]).warnings == (
        "es.yaml:1: EndpointSlice prod/db-1 has no kubernetes.io/service-name label, so no "
        "Service forwards to it; ignored",)
