"""Ingress routes as the analysis reads them: host and path to a Service port.

An Ingress does not filter traffic: its controller (pods of their own,
outside the Ingress object) accepts HTTP connections from clients and opens
new ones to the pods behind the Service each route names. So an Ingress adds
no rule and changes no verdict; what it adds is a way in from outside the
cluster, whose last hop — controller pod to backend pod, on the backend's
target port — policies decide like any other pod-to-pod connection
(``analysis.exposure_ingress``).

>>> route = IngressRoute("spec.rules[0].http.paths[0]", "shop.example.com", "/", "Prefix",
...                      service="web", port=80)
>>> str(route)
'shop.example.com/ (Prefix) → Service web port 80'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .._errors import Position

__all__ = ["IngressRoute", "KubeIngress"]


@dataclass(frozen=True, slots=True)
class IngressRoute:
    """One way through an Ingress: a path of a rule, or the default backend.

    ``service``/``port`` (a number or a Service port name) name the backend;
    ``resource`` (``group/Kind/name``) is a resource backend instead, which
    serves no pod. ``path_type`` is None for the default backend.
    """

    field_path: str
    host: str | None = None
    path: str | None = None
    path_type: str | None = None
    service: str | None = None
    port: int | str | None = None
    resource: str | None = None
    position: Position | None = field(default=None, compare=False)

    @property
    def match(self) -> str:
        """``shop.example.com/api (Prefix)``, ``any host (default backend)``."""
        if self.path_type is None:
            return "any request no rule matches (default backend)"
        where = (self.host or "any host") + (self.path or "")
        return f"{where} ({self.path_type})"

    def __str__(self) -> str:
        target = f"Service {self.service} port {self.port}" if self.service is not None \
            else f"resource {self.resource}"
        return f"{self.match} → {target}"


@dataclass(frozen=True, slots=True)
class KubeIngress:
    """An Ingress of ``namespace``: its class (None: the default class) and routes."""

    namespace: str
    name: str
    class_name: str | None = None
    routes: tuple[IngressRoute, ...] = ()
    tls_hosts: tuple[str, ...] = ()
    position: Position | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        """``ns/ingress/name``, as Services are ``ns/svc/name``."""
        return f"{self.namespace}/ingress/{self.name}"

    def __str__(self) -> str:
        return self.key
