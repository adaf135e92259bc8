"""How answers name a pod: by its key, as ``check`` and ``matrix`` do, unless it is
one of several pods of one workload.

Manifests give one endpoint per workload (``prod/web`` for ``Deployment/web``), so
``prod/web`` names both; a live cluster has ``prod/web-5c4b-x`` and ``prod/web-5c4b-y``,
which an answer about the workload calls ``prod/Deployment/web``.

>>> from netwarden.ir import Endpoint, EndpointKind
>>> def pod(name: str, workload: str) -> Endpoint:
...     return Endpoint(f"prod/{name}", EndpointKind.POD, name, "prod", workload=workload)
>>> one, a, b = pod("web", "Deployment/web"), pod("api-1", "Deployment/api"), pod(
...     "api-2", "Deployment/api")
>>> names = WorkloadNames([one, a, b])
>>> names(one), names(a)
('prod/web', 'prod/Deployment/api')
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from ..ir import Endpoint, EndpointKind

__all__ = ["WorkloadNames", "workload_name"]


def workload_name(pod: Endpoint) -> str:
    """``ns/Kind/name`` for a pod of a workload, the pod key otherwise."""
    return f"{pod.namespace}/{pod.workload}" if pod.workload and pod.namespace else pod.key


class WorkloadNames:
    """The name an answer gives each endpoint of ``pods``' cluster."""

    def __init__(self, pods: Iterable[Endpoint]) -> None:
        counts = Counter(workload_name(p) for p in pods)
        self._several = frozenset(name for name, n in counts.items() if n > 1)

    def __call__(self, endpoint: Endpoint) -> str:
        if endpoint.kind is not EndpointKind.POD:
            return endpoint.key
        name = workload_name(endpoint)
        return name if name in self._several else endpoint.key
