"""Ingress (``networking.k8s.io/v1``), validated as the API server does.

The checks are those of the API server's Ingress validation: either
``defaultBackend`` or ``rules``; a rule's ``host`` a DNS name (``*.`` wildcards
allowed), never an IP address; ``http.paths`` not empty, each with a
``pathType`` (Exact, Prefix, ImplementationSpecific) and, for Exact and Prefix,
an absolute path free of ``//``, ``/./``, ``/../``, ``%2f`` and of a trailing
``/.`` or ``/..``; each backend exactly one of ``service`` and ``resource``, a
Service backend with a ``name`` (a DNS-1035 label) and exactly one of
``port.number`` and ``port.name``; ``ingressClassName``, TLS hosts and secret
names DNS names; the ``kubernetes.io/ingress.class`` annotation not beside
``ingressClassName``. A resource backend is read and kept, with a note: what
it serves is not a pod, so exposure does not follow it.

>>> from netwarden.load import load_texts
>>> ing, = load_texts([("ing.yaml", '''
... apiVersion: networking.k8s.io/v1
... kind: Ingress
... metadata: {name: web, namespace: prod}
... spec:
...   rules:
...   - host: shop.example.com
...     http:
...       paths:
...       - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
... ''')]).ingresses
>>> route, = ing.paths
>>> route.host, route.path, route.backend.service, route.backend.port
('shop.example.com', '/', 'web', 80)
"""

from __future__ import annotations

import ipaddress

from ..resources.ingress import PATH_TYPES, Ingress, IngressBackend, IngressPath, IngressTLS
from . import validation as v
from ._common import Problems, parse_meta
from .registry import Note, register
from .validation import quote
from .yamlpos import Node

__all__ = ["CLASS_ANNOTATION", "parse_ingress"]

CLASS_ANNOTATION = "kubernetes.io/ingress.class"
_BAD_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
_BAD_SUFFIXES = ("/..", "/.")


@register("networking.k8s.io", "Ingress")
def parse_ingress(doc: Node) -> list[object]:
    """An Ingress with its routes in the order written."""
    p = Problems(doc)
    meta = parse_meta(doc, p, namespaced=True)
    spec_node = doc.get("spec")
    spec = p.map_(spec_node) or {}
    class_name = _class_name(doc, spec, p)
    default = None
    if spec.get("defaultBackend") is not None and not spec["defaultBackend"].is_null():
        default = _backend(spec["defaultBackend"], p)
    rules = p.list_(spec.get("rules")) or []
    if not rules and default is None and not _has(spec, "defaultBackend"):
        p.add(spec_node or doc, "either `defaultBackend` or `rules` must be specified",
              "spec")
    paths: list[IngressPath] = []
    for rule in rules:
        paths.extend(_rule(rule, p))
    tls = tuple(t for item in p.list_(spec.get("tls")) or [] if (t := _tls(item, p)))
    p.check()
    assert meta is not None
    ingress = Ingress(meta, class_name, tuple(paths), default, tls)
    for backend in (*(r.backend for r in paths), *((default,) if default else ())):
        if backend.resource is not None:
            p.notes.append(_resource_note(ingress, backend))
    return [ingress, *p.notes]


def _has(fields: dict[str, Node], key: str) -> bool:
    return fields.get(key) is not None and not fields[key].is_null()


def _resource_note(ingress: Ingress, backend: IngressBackend) -> Note:
    return Note(backend.position, f"{backend.field_path}: Ingress {ingress.meta.namespace}/"
                f"{ingress.meta.name} routes to resource {backend.resource}, which is no "
                "Service: exposure does not follow it")


def _class_name(doc: Node, spec: dict[str, Node], p: Problems) -> str | None:
    name = p.str_(spec.get("ingressClassName"))
    if name is not None and (problem := v.dns1123_subdomain(name)) is not None:
        p.add(spec["ingressClassName"], f"invalid name {quote(name)}: {problem}")
    metadata = p.map_(doc.get("metadata")) or {}
    annotations = p.map_(metadata.get("annotations")) or {}
    annotated = annotations.get(CLASS_ANNOTATION)
    if annotated is not None and name is not None:
        p.add(annotated, "can not be set when the class field is also set",
              f"metadata.annotations[{CLASS_ANNOTATION}]")
    if name is None and annotated is not None:
        return p.str_(annotated)
    return name


def _host(node: Node, p: Problems, *, rule: bool = True) -> str | None:
    """A DNS name or a ``*.`` wildcard; a rule's host may not be an IP address."""
    host = p.str_(node)
    if not host:
        return None
    if rule and _is_ip(host):
        p.add(node, "must be a DNS name, not an IP address")
        return None
    what = "host"
    if "*" in host:
        rest = host.removeprefix("*.")
        if rest == host or "*" in rest or v.dns1123_subdomain(rest) is not None:
            p.add(node, f"invalid wildcard {what} {quote(host)}: must be '*.' followed by a "
                        "DNS subdomain (lowercase alphanumerics, '-' or '.', starting and "
                        "ending with an alphanumeric)")
            return None
    elif (problem := v.dns1123_subdomain(host)) is not None:
        p.add(node, f"invalid {what} {quote(host)}: {problem}")
        return None
    return host


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _rule(node: Node, p: Problems) -> list[IngressPath]:
    fields = p.map_(node)
    if fields is None:
        return []
    host = _host(fields["host"], p) if _has(fields, "host") else None
    http_node = fields.get("http")
    http = p.map_(http_node)
    if http is None:
        return []  # a rule without http routes nothing
    assert http_node is not None
    items = p.list_(http.get("paths")) or []
    if not items:
        p.missing(http_node, "paths")
    out = []
    for item in items:
        route = _path(item, host, p)
        if route is not None:
            out.append(route)
    return out


def _path(node: Node, host: str | None, p: Problems) -> IngressPath | None:
    fields = p.map_(node)
    if fields is None:
        return None
    before = len(p.errors)
    path = p.str_(fields.get("path"))
    kind = p.str_(fields.get("pathType"))
    if kind is None:
        if not _has(fields, "pathType"):
            p.missing(node, "pathType")
    elif kind not in PATH_TYPES:
        p.add(fields["pathType"], v.unsupported(kind, PATH_TYPES))
        kind = None
    elif kind in ("Exact", "Prefix") or path:
        where = fields.get("path") or node
        field = node.child_path("path")
        if not (path or "").startswith("/"):
            p.add(where, "must be an absolute path", field)
        if path and kind != "ImplementationSpecific":
            for seq in _BAD_SEQUENCES:
                if seq in path:
                    p.add(where, f"must not contain '{seq}'", field)
            for suffix in _BAD_SUFFIXES:
                if path.endswith(suffix):
                    p.add(where, f"cannot end with '{suffix}'", field)
    backend_node = fields.get("backend")
    backend = None
    if backend_node is None or backend_node.is_null():
        p.missing(node, "backend")
    else:
        backend = _backend(backend_node, p)
    if len(p.errors) != before or kind is None or backend is None:
        return None
    return IngressPath(host, path or None, kind, backend)


def _backend(node: Node, p: Problems) -> IngressBackend | None:
    fields = p.map_(node)
    if fields is None:
        return None
    before = len(p.errors)
    service_node, resource_node = fields.get("service"), fields.get("resource")
    has_service = service_node is not None and not service_node.is_null()
    has_resource = resource_node is not None and not resource_node.is_null()
    if has_service and has_resource:
        p.add(node, "cannot set both resource and service backends")
        return None
    if has_resource:
        assert resource_node is not None
        resource = _resource(resource_node, p)
        if resource is None or len(p.errors) != before:
            return None
        return IngressBackend(node.path, resource=resource, position=node.position)
    if not has_service:
        p.add(node, "resource or service backend is required")
        return None
    assert service_node is not None
    service = p.map_(service_node) or {}
    name = p.str_(service.get("name"))
    if not name:
        p.missing(service_node, "name")
    elif (problem := v.dns1035_label(name)) is not None:
        p.add(service["name"], f"invalid name {quote(name)}: {problem}")
    port = _service_port(service_node, service, p)
    if len(p.errors) != before or not name or port is None:
        return None
    return IngressBackend(node.path, name, port, position=node.position)


def _service_port(service_node: Node, service: dict[str, Node], p: Problems) -> int | str | None:
    port_node = service.get("port")
    port = p.map_(port_node) or {}
    field = service_node.child_path("port")
    name = p.str_(port.get("name")) or None
    number = p.int_(port.get("number")) or None  # 0 is unset, as the API server reads it
    if name is not None and number is not None:
        p.add(port_node or service_node, "cannot set both port name & port number", field)
        return None
    if name is not None:
        if (problem := v.iana_svc_name(name)) is not None:
            p.add(port["name"], f"invalid port name {quote(name)}: {problem}")
            return None
        return name
    if number is not None:
        if (problem := v.port_number(number)) is not None:
            p.add(port["number"], f"invalid port {number}: {problem}")
            return None
        return number
    if not (_has(port, "number") or _has(port, "name")) or port.get("number") is not None:
        p.add(port_node or service_node, "port name or number is required", field)
    return None


def _segment(value: str) -> str | None:
    """A path segment name (``kind``, ``name`` of a resource backend), as the API checks it."""
    if value in (".", ".."):
        return f"may not be '{value}'"
    for bad in ("/", "%"):
        if bad in value:
            return f"may not contain '{bad}'"
    return None


def _resource(node: Node, p: Problems) -> str | None:
    fields = p.map_(node)
    if fields is None:
        return None
    before = len(p.errors)
    group = p.str_(fields.get("apiGroup")) or ""
    if group and (problem := v.dns1123_subdomain(group)) is not None:
        p.add(fields["apiGroup"], f"invalid API group {quote(group)}: {problem}")
    parts = []
    for key in ("kind", "name"):
        value = p.str_(fields.get(key))
        if not value:
            if fields.get(key) is None or value == "":
                p.missing(node, key)
        elif (problem := _segment(value)) is not None:
            p.add(fields[key], f"invalid {key} {quote(value)}: {problem}")
        else:
            parts.append(value)
    if len(p.errors) != before:
        return None
    return "/".join((group or "core", *parts))


def _tls(node: Node, p: Problems) -> IngressTLS | None:
    fields = p.map_(node)
    if fields is None:
        return None
    hosts = tuple(h for item in p.list_(fields.get("hosts")) or []
                  if (h := _host(item, p, rule=False)) is not None)
    secret = p.str_(fields.get("secretName")) or None
    if secret is not None and (problem := v.dns1123_subdomain(secret)) is not None:
        p.add(fields["secretName"], f"invalid name {quote(secret)}: {problem}")
    return IngressTLS(hosts, secret)
