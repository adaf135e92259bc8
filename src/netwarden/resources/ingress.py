"""Ingress objects (``networking.k8s.io/v1``) as loaded: validated, not yet resolved.

An ``Ingress`` keeps what the user wrote: its class, the HTTP routes (host,
path, path type) with the backend each names, the default backend and the TLS
hosts. Which Service port a backend is, and which pods stand behind it, is for
the compiler and the analysis (``netwarden.ir.ingresses``,
``netwarden.analysis.exposure_ingress``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .._errors import Position
from .k8s import Meta

__all__ = ["PATH_TYPES", "Ingress", "IngressBackend", "IngressPath", "IngressTLS"]

PATH_TYPES = ("Exact", "Prefix", "ImplementationSpecific")


@dataclass(frozen=True, slots=True)
class IngressBackend:
    """A Service backend (``service`` with ``port``: a number or a Service port name),
    or a resource backend (``resource``: ``group/Kind/name``, which netwarden does not follow).

    ``field_path`` is where it was written (``spec.rules[0].http.paths[1].backend``).
    """

    field_path: str
    service: str | None = None
    port: int | str | None = None
    resource: str | None = None
    position: Position | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class IngressPath:
    """One route: requests for ``host`` (None: any host) whose path matches go to ``backend``."""

    host: str | None
    path: str | None
    path_type: str
    backend: IngressBackend


@dataclass(frozen=True, slots=True)
class IngressTLS:
    hosts: tuple[str, ...] = ()
    secret_name: str | None = None


@dataclass(frozen=True, slots=True)
class Ingress:
    """A v1 Ingress: ``paths`` in the order written, ``default_backend`` for the rest."""

    meta: Meta
    class_name: str | None = None
    paths: tuple[IngressPath, ...] = ()
    default_backend: IngressBackend | None = None
    tls: tuple[IngressTLS, ...] = ()
