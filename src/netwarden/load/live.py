"""A live cluster as manifests: list each kind through the official ``kubernetes`` client.

Objects stay the API's own JSON and reach the loader as texts named
``kube:<Kind>/<ns>/<name>``, so validation is the one ``netwarden validate``
applies. Responses are read raw (``_preload_content=False``), never turned
into client model objects and back. Calico kinds (``crd.projectcalico.org/v1``)
and the network-policy-api kinds (AdminNetworkPolicy, BaselineAdminNetworkPolicy
``v1alpha1``, ClusterNetworkPolicy ``v1alpha2``) are optional: a 404 means the
CRD is not installed. Nodes are listed for the ``nodes`` peers of admin policies.

``load_live_snapshot`` lists once (the analysis commands); the agent's
Kubernetes source (``netwarden.agent.kube``) lists and then watches, with the
same kinds, names and normalization.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._errors import NetwardenError, ResourceVersionExpired, SourceError
from ..resources.snapshot import Snapshot
from .cache import ManifestCache

__all__ = [
    "ANALYSIS_KIND_SPECS",
    "CALICO_GROUP",
    "CALICO_VERSION",
    "KIND_SPECS",
    "POLICY_API_GROUP",
    "KindSpec",
    "item_name",
    "list_fn",
    "list_kind",
    "load_live_snapshot",
    "make_api_client",
    "normalize",
]

CALICO_GROUP, CALICO_VERSION = "crd.projectcalico.org", "v1"
POLICY_API_GROUP = "policy.networking.k8s.io"
_BUILT_IN_GROUPS = ("", "networking.k8s.io", "discovery.k8s.io")


@dataclass(frozen=True, slots=True)
class KindSpec:
    """One kind read from the API: how to list it and what to call its objects."""

    kind: str
    api_version: str
    plural: str
    optional: bool = False  # a CRD that may not be installed (404: absent, checked again)

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    @property
    def custom(self) -> bool:
        """A CRD kind, listed through the custom-objects API and named with its group."""
        return self.group not in _BUILT_IN_GROUPS


KIND_SPECS: tuple[KindSpec, ...] = (
    KindSpec("Namespace", "v1", "namespaces"),
    KindSpec("Pod", "v1", "pods"),
    KindSpec("NetworkPolicy", "networking.k8s.io/v1", "networkpolicies"),
    # Services route connections to their backends (check --to ns/svc/x, lint NW019-21);
    # a reader the API answers 404 for them still reads the policies.
    KindSpec("Service", "v1", "services", optional=True),
    KindSpec("EndpointSlice", "discovery.k8s.io/v1", "endpointslices", optional=True),
    # Nodes only matter to the nodes peers of admin policies: a reader that may not
    # list them (404 from an aggregated or restricted API) still reads the rest.
    KindSpec("Node", "v1", "nodes", optional=True),
    *(KindSpec(kind, f"{CALICO_GROUP}/{CALICO_VERSION}", plural, optional=True)
      for kind, plural in (("Tier", "tiers"), ("NetworkPolicy", "networkpolicies"),
                           ("GlobalNetworkPolicy", "globalnetworkpolicies"),
                           ("NetworkSet", "networksets"),
                           ("GlobalNetworkSet", "globalnetworksets"),
                           ("HostEndpoint", "hostendpoints"))),
    KindSpec("AdminNetworkPolicy", f"{POLICY_API_GROUP}/v1alpha1", "adminnetworkpolicies",
             optional=True),
    KindSpec("BaselineAdminNetworkPolicy", f"{POLICY_API_GROUP}/v1alpha1",
             "baselineadminnetworkpolicies", optional=True),
    KindSpec("ClusterNetworkPolicy", f"{POLICY_API_GROUP}/v1alpha2", "clusternetworkpolicies",
             optional=True),
)


# What the analysis commands read besides what the agent follows: Ingresses only change
# exposure (routes from outside through a controller), never what a node enforces, so the
# agent needs no permission for them.
ANALYSIS_KIND_SPECS: tuple[KindSpec, ...] = (
    *KIND_SPECS,
    KindSpec("Ingress", "networking.k8s.io/v1", "ingresses", optional=True),
)


def make_api_client(kubeconfig: str | None = None, context: str | None = None) -> Any:
    """An ``ApiClient``: in-cluster when no kubeconfig/context is given and we run in a pod."""
    from kubernetes import client, config

    if kubeconfig is None and context is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
        cfg = client.Configuration()
        config.load_incluster_config(client_configuration=cfg)  # type: ignore[no-untyped-call]
        return client.ApiClient(cfg)
    return config.new_client_from_config(  # type: ignore[no-untyped-call]
        config_file=kubeconfig, context=context)


def list_fn(api_client: Any, spec: KindSpec) -> Callable[..., Any]:
    """The client call that lists (or, with ``watch=True``, watches) ``spec`` cluster-wide."""
    from kubernetes import client

    if spec.custom:
        custom = client.CustomObjectsApi(api_client)

        def call(**kw: Any) -> Any:
            return custom.list_cluster_custom_object(spec.group, spec.version, spec.plural,
                                                     **kw)
        return call
    if spec.kind == "Namespace":
        return client.CoreV1Api(api_client).list_namespace
    if spec.kind == "Pod":
        return client.CoreV1Api(api_client).list_pod_for_all_namespaces
    if spec.kind == "Node":
        return client.CoreV1Api(api_client).list_node
    if spec.kind == "Service":
        return client.CoreV1Api(api_client).list_service_for_all_namespaces
    if spec.kind == "EndpointSlice":
        return client.DiscoveryV1Api(api_client).list_endpoint_slice_for_all_namespaces
    api = client.NetworkingV1Api(api_client)
    if spec.kind == "Ingress":
        return api.list_ingress_for_all_namespaces
    return api.list_network_policy_for_all_namespaces


def list_kind(spec: KindSpec, call: Callable[..., Any]) -> tuple[list[dict[str, Any]], str] | None:
    """The objects of one kind and the list's resourceVersion; None for a missing CRD.

    Raises ``ResourceVersionExpired`` on 410 and lets every other client error through.
    """
    from kubernetes.client.exceptions import ApiException

    try:
        resp = call(_preload_content=False)
    except ApiException as exc:
        if exc.status == 404 and spec.optional:
            return None
        if exc.status == 410:
            raise ResourceVersionExpired() from exc
        raise
    data = json.loads(resp.data)
    rv = str((data.get("metadata") or {}).get("resourceVersion") or "0")
    return list(data.get("items") or []), rv


def item_name(spec: KindSpec, obj: dict[str, Any]) -> str:
    """``kube:<Kind>/<namespace>/<name>``; custom kinds are prefixed with their group."""
    meta = obj.get("metadata") or {}
    kind = f"{spec.group}:{spec.kind}" if spec.custom else spec.kind
    return f"kube:{kind}/{meta.get('namespace') or ''}/{meta.get('name')}"


def _trim_pod(obj: dict[str, Any]) -> dict[str, Any] | None:
    """What policy needs of a pod; None for pods without an address (no interface yet)."""
    status = obj.get("status") or {}
    if not status.get("podIP") or status.get("phase") in ("Succeeded", "Failed"):
        return None
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {k: meta[k] for k in ("name", "namespace", "labels", "uid") if k in meta},
        "spec": {
            **{k: spec[k] for k in ("nodeName", "hostNetwork", "serviceAccountName") if k in spec},
            "containers": [
                {k: c[k] for k in ("name", "image", "ports") if k in c}
                for c in spec.get("containers") or []
            ],
        },
        "status": {**{k: status[k] for k in ("podIP", "podIPs", "phase") if k in status},
                   # readiness decides whether a Service sends it connections
                   "conditions": [c for c in status.get("conditions") or []
                                  if c.get("type") == "Ready"]},
    }


def _trim_node(obj: dict[str, Any]) -> dict[str, Any]:
    """What ``nodes`` peers need of a node: its name, labels and addresses."""
    meta = obj.get("metadata") or {}
    addresses = (obj.get("status") or {}).get("addresses") or []
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {k: meta[k] for k in ("name", "labels") if k in meta},
            "status": {"addresses": addresses}}


def normalize(spec: KindSpec, obj: dict[str, Any]) -> dict[str, Any] | None:
    """The object as the loader reads it (kind and apiVersion set, noise dropped);
    None for an object that has nothing to enforce yet (a pod without an address)."""
    obj = dict(obj)
    obj["apiVersion"], obj["kind"] = spec.api_version, spec.kind
    if spec.kind == "Pod":
        return _trim_pod(obj)
    if spec.kind == "Node":
        return _trim_node(obj)
    meta = dict(obj.get("metadata") or {})
    meta.pop("managedFields", None)  # large and meaningless to policy
    obj["metadata"] = meta
    return obj


def load_live_snapshot(kubeconfig: str | None = None, context: str | None = None, *,
                       api_client: Any = None) -> Snapshot:
    """List the live cluster once, for the analysis commands.

    The API server validated every object already; one that netwarden cannot
    read is left out and named in ``Snapshot.warnings``. Raises
    ``SourceError`` when the cluster cannot be read.

    >>> snap = load_live_snapshot("~/.kube/config", "kind-dev")  # doctest: +SKIP
    """
    items: dict[str, str] = {}
    client = None
    try:
        client = api_client or make_api_client(kubeconfig, context)
        for spec in ANALYSIS_KIND_SPECS:
            listed = list_kind(spec, list_fn(client, spec))
            for obj in listed[0] if listed else ():
                norm = normalize(spec, obj)
                if norm is not None:
                    items[item_name(spec, obj)] = json.dumps(norm, sort_keys=True)
    except NetwardenError:
        raise
    except Exception as exc:  # the client raises config, HTTP and urllib3 errors alike
        where = f"context {context!r} of " if context else ""
        config = kubeconfig or "the default kubeconfig"
        host = getattr(getattr(client, "configuration", None), "host", None)
        server = f" (API server {host})" if isinstance(host, str) and host else ""
        raise SourceError(f"cannot read the cluster at {where}{config}{server}: "
                          f"{_short(exc)}") from exc
    return ManifestCache(skip_invalid=True).snapshot(sorted(items.items()))


def _short(exc: Exception) -> str:
    """One line: for a connection failure, its innermost reason ("Connection refused"),
    not urllib3's pool and retry wording."""
    reason = getattr(exc, "reason", None)
    if isinstance(reason, Exception):  # urllib3 MaxRetryError: the failure under the retries
        inner = str(reason).strip()
        errno = inner.rfind("[Errno ")
        text = inner[errno:].split("]", 1)[-1].strip(" '\")") if errno >= 0 else ""
        return text or type(reason).__name__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) < 300 else text[:297] + "..."
