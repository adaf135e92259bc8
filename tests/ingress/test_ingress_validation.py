"""Ingress objects are validated as the API server does, with exact messages.

Each case is one mistake in ``spec`` of an Ingress in namespace prod; the
message names file, line and field.
"""

from __future__ import annotations

import pytest

from netwarden.load import load_texts
from netwarden.resources.ingress import IngressBackend, IngressPath

from ..services.svc_helpers import errors

BACKEND = "{service: {name: web, port: {number: 80}}}"
ING = ("apiVersion: networking.k8s.io/v1\nkind: Ingress\n"
       "metadata: {{name: web, namespace: prod}}\nspec:\n{spec}\n")

CASES = [
    ('no-rules-no-default',
     '  tls: []',
     ['ing.yaml:5: spec: either `defaultBackend` or `rules` must be specified']),
    ('host-ip',
     '  rules: [{host: 10.0.0.1, http: {paths: [{path: /, pathType: Prefix, backend: BACKEND}]}}]',
     ['ing.yaml:5: spec.rules[0].host: must be a DNS name, not an IP address']),
    ('host-upper',
     '  rules: [{host: Shop.example.com, http: {paths: [{path: /, pathType: Prefix, backend: '
     'BACKEND}]}}]',
     ['ing.yaml:5: spec.rules[0].host: invalid host "Shop.example.com": must consist of '
      "lowercase alphanumerics, '-' or '.', and start and end with an alphanumeric"]),
    ('host-wildcard-middle',
     "  rules: [{host: 'shop.*.com', http: {paths: [{path: /, pathType: Prefix, backend: "
     'BACKEND}]}}]',
     ['ing.yaml:5: spec.rules[0].host: invalid wildcard host "shop.*.com": must be \'*.\' '
      "followed by a DNS subdomain (lowercase alphanumerics, '-' or '.', starting and ending "
      'with an alphanumeric)']),
    ('paths-empty',
     '  rules: [{host: shop.example.com, http: {paths: []}}]',
     ['ing.yaml:5: spec.rules[0].http.paths: is required']),
    ('path-type-missing',
     '  rules: [{http: {paths: [{path: /, backend: BACKEND}]}}]',
     ['ing.yaml:5: spec.rules[0].http.paths[0].pathType: is required']),
    ('path-type-unknown',
     '  rules: [{http: {paths: [{path: /, pathType: Regex, backend: BACKEND}]}}]',
     ['ing.yaml:5: spec.rules[0].http.paths[0].pathType: unsupported value "Regex": must be one '
      'of "Exact", "Prefix", "ImplementationSpecific"']),
    ('path-relative',
     '  rules: [{http: {paths: [{path: api, pathType: Exact, backend: BACKEND}]}}]',
     ['ing.yaml:5: spec.rules[0].http.paths[0].path: must be an absolute path']),
    ('path-missing-prefix',
     '  rules: [{http: {paths: [{pathType: Prefix, backend: BACKEND}]}}]',
     ['ing.yaml:5: spec.rules[0].http.paths[0].path: must be an absolute path']),
    ('path-dot-dot',
     '  rules: [{http: {paths: [{path: /a/../b, pathType: Prefix, backend: BACKEND}]}}]',
     ["ing.yaml:5: spec.rules[0].http.paths[0].path: must not contain '/../'"]),
    ('path-trailing-dot',
     '  rules: [{http: {paths: [{path: /a/., pathType: Exact, backend: BACKEND}]}}]',
     ["ing.yaml:5: spec.rules[0].http.paths[0].path: cannot end with '/.'"]),
    ('path-impl-relative',
     "  rules: [{http: {paths: [{path: 'a(.*)', pathType: ImplementationSpecific, backend: "
     'BACKEND}]}}]',
     ['ing.yaml:5: spec.rules[0].http.paths[0].path: must be an absolute path']),
    ('backend-missing',
     '  rules: [{http: {paths: [{path: /, pathType: Prefix}]}}]',
     ['ing.yaml:5: spec.rules[0].http.paths[0].backend: is required']),
    ('backend-empty',
     '  rules: [{http: {paths: [{path: /, pathType: Prefix, backend: {}}]}}]',
     ['ing.yaml:5: spec.rules[0].http.paths[0].backend: resource or service backend is required']),
    ('backend-both',
     '  defaultBackend: {service: {name: web, port: {number: 80}}, resource: {kind: Bucket, '
     'name: b}}',
     ['ing.yaml:5: spec.defaultBackend: cannot set both resource and service backends']),
    ('service-name-missing',
     '  defaultBackend: {service: {port: {number: 80}}}',
     ['ing.yaml:5: spec.defaultBackend.service.name: is required']),
    ('service-name-bad',
     '  defaultBackend: {service: {name: 1web, port: {number: 80}}}',
     ['ing.yaml:5: spec.defaultBackend.service.name: invalid name "1web": must consist of '
      "lowercase alphanumerics or '-', start with a letter and end with an alphanumeric"]),
    ('port-both',
     '  defaultBackend: {service: {name: web, port: {number: 80, name: http}}}',
     ['ing.yaml:5: spec.defaultBackend.service.port: cannot set both port name & port number']),
    ('port-neither',
     '  defaultBackend: {service: {name: web, port: {}}}',
     ['ing.yaml:5: spec.defaultBackend.service.port: port name or number is required']),
    ('port-absent',
     '  defaultBackend: {service: {name: web}}',
     ['ing.yaml:5: spec.defaultBackend.service.port: port name or number is required']),
    ('port-number-big',
     '  defaultBackend: {service: {name: web, port: {number: 70000}}}',
     ['ing.yaml:5: spec.defaultBackend.service.port.number: invalid port 70000: must be between '
      '1 and 65535, inclusive']),
    ('port-name-bad',
     '  defaultBackend: {service: {name: web, port: {name: HTTP}}}',
     ['ing.yaml:5: spec.defaultBackend.service.port.name: invalid port name "HTTP": must contain '
      "only lowercase alphanumerics and '-'"]),
    ('resource-kind-missing',
     '  defaultBackend: {resource: {name: b}}',
     ['ing.yaml:5: spec.defaultBackend.resource.kind: is required']),
    ('resource-name-slash',
     '  defaultBackend: {resource: {kind: Bucket, name: a/b}}',
     ['ing.yaml:5: spec.defaultBackend.resource.name: invalid name "a/b": may not contain \'/\'']),
    ('class-bad',
     '  ingressClassName: Nginx\n  defaultBackend: BACKEND',
     ['ing.yaml:5: spec.ingressClassName: invalid name "Nginx": must consist of lowercase '
      "alphanumerics, '-' or '.', and start and end with an alphanumeric"]),
    ('tls-host-bad',
     '  defaultBackend: BACKEND\n  tls: [{hosts: [shop_example.com], secretName: tls}]',
     ['ing.yaml:6: spec.tls[0].hosts[0]: invalid host "shop_example.com": must consist of '
      "lowercase alphanumerics, '-' or '.', and start and end with an alphanumeric"]),
    ('tls-secret-bad',
     '  defaultBackend: BACKEND\n  tls: [{hosts: [shop.example.com], secretName: TLS}]',
     ['ing.yaml:6: spec.tls[0].secretName: invalid name "TLS": must consist of lowercase '
      "alphanumerics, '-' or '.', and start and end with an alphanumeric"]),
    ('unknown-field',
     '  defaultBackend: BACKEND\n  backend: BACKEND',
     ['ing.yaml:6: spec.backend: unknown field']),
]


@pytest.mark.parametrize(("name", "spec", "expected"), CASES, ids=[c[0] for c in CASES])
def test_an_invalid_ingress_is_rejected(name: str, spec: str, expected: list[str]) -> None:
    text = ING.format(spec=spec.replace("BACKEND", BACKEND))
    assert errors(text, "ing.yaml") == expected


def test_the_class_annotation_beside_ingress_class_name_is_rejected() -> None:
    text = ING.replace("namespace: prod}}", "namespace: prod, annotations: "
                       "{{kubernetes.io/ingress.class: nginx}}}}").format(
        spec="  ingressClassName: nginx\n  defaultBackend: {service: {name: web, port: "
             "{number: 80}}}")
    assert errors(text, "ing.yaml") == [
        "ing.yaml:3: metadata.annotations[kubernetes.io/ingress.class]: can not be set when "
        "the class field is also set"]


def test_routes_keep_host_path_type_and_a_named_service_port() -> None:
    spec = ("  ingressClassName: nginx\n  rules:\n  - host: '*.example.com'\n    http:\n"
            "      paths:\n      - {pathType: ImplementationSpecific, backend: {service: "
            "{name: web, port: {name: http}}}}\n  - http:\n      paths:\n"
            "      - {path: /api, pathType: Exact, backend: {service: {name: api, port: "
            "{number: 8080}}}}")
    (ing,) = load_texts([("ing.yaml", ING.format(spec=spec))]).ingresses
    assert ing.class_name == "nginx"
    assert [(r.host, r.path, r.path_type, r.backend.service, r.backend.port)
            for r in ing.paths] == [("*.example.com", None, "ImplementationSpecific", "web",
                                     "http"),
                                    (None, "/api", "Exact", "api", 8080)]
    assert ing.paths[1] == IngressPath(None, "/api", "Exact", IngressBackend(
        "spec.rules[1].http.paths[0].backend", "api", 8080))


def test_the_class_annotation_alone_names_the_class() -> None:
    text = ING.replace("namespace: prod}}", "namespace: prod, annotations: "
                       "{{kubernetes.io/ingress.class: traefik}}}}").format(
        spec="  defaultBackend: {service: {name: web, port: {number: 80}}}")
    (ing,) = load_texts([("ing.yaml", text)]).ingresses
    assert ing.class_name == "traefik" and ing.default_backend is not None


def test_a_resource_backend_is_read_and_reported_as_not_followed() -> None:
    spec = "  defaultBackend: {resource: {apiGroup: k8s.example.com, kind: Bucket, name: static}}"
    snap = load_texts([("ing.yaml", ING.format(spec=spec))])
    (ing,) = snap.ingresses
    assert ing.default_backend is not None
    assert ing.default_backend.resource == "k8s.example.com/Bucket/static"
    assert snap.notes == ("ing.yaml:5: spec.defaultBackend: Ingress prod/web routes to "
                          "resource k8s.example.com/Bucket/static, which is no Service: "
                          "exposure does not follow it",)


def test_a_port_number_zero_is_unset_as_the_api_server_reads_it() -> None:
    spec = "  defaultBackend: {service: {name: web, port: {number: 0, name: http}}}"
    (ing,) = load_texts([("ing.yaml", ING.format(spec=spec))]).ingresses
    assert ing.default_backend is not None and ing.default_backend.port == "http"
