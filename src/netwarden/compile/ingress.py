"""Ingress objects as IR routes (``netwarden.ir.ingresses``): one per path and default backend."""

from __future__ import annotations

from ..ir.ingresses import IngressRoute, KubeIngress
from ..resources.ingress import Ingress, IngressBackend

__all__ = ["compile_ingress"]


def compile_ingress(ingress: Ingress) -> KubeIngress:
    """The routes in the order written, the default backend last.

    >>> from netwarden.resources.k8s import Meta
    >>> compile_ingress(Ingress(Meta("web", "prod"))).key
    'prod/ingress/web'
    """
    routes = [_route(p.backend, p.host, p.path, p.path_type) for p in ingress.paths]
    if ingress.default_backend is not None:
        routes.append(_route(ingress.default_backend, None, None, None))
    hosts = tuple(dict.fromkeys(h for t in ingress.tls for h in t.hosts))
    assert ingress.meta.namespace is not None
    return KubeIngress(ingress.meta.namespace, ingress.meta.name, ingress.class_name,
                       tuple(routes), hosts, ingress.meta.position)


def _route(backend: IngressBackend, host: str | None, path: str | None,
           path_type: str | None) -> IngressRoute:
    return IngressRoute(backend.field_path.removesuffix(".backend"), host, path, path_type,
                        backend.service, backend.port, backend.resource, backend.position)
