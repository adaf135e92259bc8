"""Pods, namespaces and labels: validated like the API server, with exact messages."""

from __future__ import annotations

import pytest

from .load_helpers import errors, load

POD = (
    "apiVersion: v1\nkind: Pod\nmetadata: {{name: web}}\n"
    "spec:\n  containers:\n  - ports: [{port}]\n"
)

CASES = [
    ("port-zero", "{containerPort: 0}",
     "test.yaml:6: spec.containers[0].ports[0].containerPort: invalid port 0: "
     "must be between 1 and 65535, inclusive"),
    ("port-missing", "{name: http}",
     "test.yaml:6: spec.containers[0].ports[0].containerPort: is required"),
    ("port-a-string", "{containerPort: '80'}",
     "test.yaml:6: spec.containers[0].ports[0].containerPort: must be an integer, "
     "got string '80'"),
    ("protocol", "{containerPort: 80, protocol: udp}",
     'test.yaml:6: spec.containers[0].ports[0].protocol: unsupported value "udp": '
     'must be one of "TCP", "UDP", "SCTP"'),
    ("name", "{containerPort: 80, name: Web_Port}",
     'test.yaml:6: spec.containers[0].ports[0].name: invalid port name "Web_Port": '
     "must contain only lowercase alphanumerics and '-'"),
]


@pytest.mark.parametrize(("port", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_an_invalid_container_port_is_rejected(port: str, expected: str) -> None:
    assert errors(POD.format(port=port)) == [expected]


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ("{'a b': x}", "test.yaml:3: metadata.labels: invalid key \"a b\": name part must "
         "consist of alphanumerics, '-', '_' or '.', and start and end with an alphanumeric"),
        ("{app: -web}", "test.yaml:3: metadata.labels.app: invalid value \"-web\": must be empty "
         "or consist of alphanumerics, '-', '_' or '.', and start and end with an alphanumeric"),
        ("{version: 2}", "test.yaml:3: metadata.labels.version: must be a string, got number 2"),
        ("[app]", "test.yaml:3: metadata.labels: must be an object, got a list"),
    ],
    ids=["bad-key", "bad-value", "value-not-a-string", "not-a-map"],
)
def test_metadata_labels_are_validated(labels: str, expected: str) -> None:
    assert errors(f"apiVersion: v1\nkind: Pod\nmetadata: {{name: web, labels: {labels}}}\n") == [
        expected
    ]


def test_a_namespace_name_must_be_a_dns_label() -> None:
    assert errors("apiVersion: v1\nkind: Namespace\nmetadata: {name: a.b}\n") == [
        'test.yaml:3: metadata.name: invalid name "a.b": must consist of lowercase '
        "alphanumerics or '-', and start and end with an alphanumeric"
    ]


def test_metadata_namespace_must_be_a_dns_label() -> None:
    assert errors("apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: Prod}\n") == [
        'test.yaml:3: metadata.namespace: invalid namespace "Prod": must consist of lowercase '
        "alphanumerics or '-', and start and end with an alphanumeric"
    ]


def test_metadata_is_required() -> None:
    assert errors("apiVersion: v1\nkind: Pod\n") == ["test.yaml:1: metadata.name: is required"]


def test_an_invalid_pod_ip_is_rejected() -> None:
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nstatus: {podIP: 10.0.0}\n"
    assert errors(text) == [
        'test.yaml:4: status.podIP: invalid IP address "10.0.0": must be a valid IP address '
        "(e.g. 10.9.8.7 or 2001:db8::ffff)"]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("containers: web", "test.yaml:4: spec.containers: must be a list, got string 'web'"),
        ("hostNetwork: yes-please",
         "test.yaml:4: spec.hostNetwork: must be a boolean, got string 'yes-please'"),
        ("nodeName: [a]", "test.yaml:4: spec.nodeName: must be a string, got a list"),
        ("containers: [{ports: [80]}]",
         "test.yaml:4: spec.containers[0].ports[0]: must be an object, got number 80"),
    ],
    ids=["containers-a-string", "host-network-a-string", "node-name-a-list", "port-a-number"],
)
def test_a_field_of_the_wrong_type_is_an_error_not_a_crash(spec: str, expected: str) -> None:
    assert errors(f"apiVersion: v1\nkind: Pod\nmetadata: {{name: web}}\nspec: {{{spec}}}\n") == [
        expected
    ]



def _named(kind: str, name: str) -> str:
    spec = "spec: {ports: [{port: 80}]}\n" if kind == "Service" else ""
    return f"apiVersion: v1\nkind: {kind}\nmetadata: {{name: '{name}'}}\n{spec}"


_SERVICE_RULE = ("must consist of lowercase alphanumerics or '-', start with a letter and end "
                 "with an alphanumeric")


@pytest.mark.parametrize(
    ("kind", "name", "expected"),
    [
        ("Pod", "名前", 'invalid name "\\u540d\\u524d": must consist of lowercase '
         "alphanumerics, '-' or '.', and start and end with an alphanumeric"),
        ("Service", "1web", f'invalid name "1web": {_SERVICE_RULE}'),
        ("Service", "a.b", f'invalid name "a.b": {_SERVICE_RULE}'),
    ],
    ids=["pod-unicode", "service-digit-first", "service-dot"],
)
def test_object_names_the_api_server_refuses(kind: str, name: str, expected: str) -> None:
    assert errors(_named(kind, name)) == [f"test.yaml:3: metadata.name: {expected}"]


@pytest.mark.parametrize(("kind", "name"), [("Pod", "a.b"), ("Pod", "1web"), ("Service", "web")])
def test_object_names_the_api_server_accepts(kind: str, name: str) -> None:
    snap = load(_named(kind, name))
    objects = snap.pods if kind == "Pod" else snap.services
    assert [o.meta.name for o in objects] == [name]
