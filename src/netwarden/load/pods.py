"""Namespaces, Pods, and the workloads whose pod template stands for their pods.

A Deployment (ReplicaSet, StatefulSet, DaemonSet, Job, CronJob) becomes one
``Pod`` named after the workload: every replica has the template's labels and
ports, so for network policy they behave alike and one representative is
enough. ``workload`` (``"Deployment/web"``) says where it came from, and
``replicas`` how many pods it stands for: with two or more, traffic between two
replicas is policed like any pair.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..ir.cluster import NAME_LABEL
from ..ir.endpoints import IPAddress, Labels
from ..resources.k8s import ContainerPort, Meta, Namespace, Pod
from . import validation as v
from ._common import Problems, parse_labels, parse_meta
from .registry import register
from .validation import quote
from .yamlpos import Node

__all__ = ["parse_namespace", "parse_pod", "parse_workload"]


@register("", "Namespace")
def parse_namespace(doc: Node) -> Namespace:
    """A namespace; its ``kubernetes.io/metadata.name`` label is always its name.

    The API server sets that label itself, overwriting whatever was written,
    so a manifest cannot make a namespace look like another one.
    """
    p = Problems(doc)
    meta = parse_meta(doc, p, namespaced=False)
    p.check()
    assert meta is not None
    labels = meta.labels.with_(**{NAME_LABEL: meta.name})
    return Namespace(Meta(meta.name, None, labels, meta.position))


@register("", "Pod")
def parse_pod(doc: Node) -> list[object]:
    """A pod with its declared addresses (``status.podIP``/``podIPs``), if any, and its notes."""
    p = Problems(doc)
    meta = parse_meta(doc, p, namespaced=True)
    spec = _pod_spec(doc.get("spec"), p)
    ips = _pod_ips(doc.get("status"), p)
    ready = _pod_ready(doc.get("status"), p)
    p.check()
    assert meta is not None
    pod = Pod(meta, ips, spec.ports, spec.node, spec.host_network, spec.service_account,
              ready=ready)
    return [pod, *p.notes]


# kind → where the pod template sits under ``spec``
_TEMPLATES: dict[str, tuple[str, ...]] = {
    "Deployment": ("template",),
    "ReplicaSet": ("template",),
    "StatefulSet": ("template",),
    "DaemonSet": ("template",),
    "Job": ("template",),
    "CronJob": ("jobTemplate", "spec", "template"),
}


@register("apps", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet")
@register("batch", "Job", "CronJob")
def parse_workload(doc: Node) -> list[object]:
    """The workload's pod template as one ``Pod`` named after the workload."""
    p = Problems(doc)
    meta = parse_meta(doc, p, namespaced=True)
    kind = doc.get("kind")
    kind_name = kind.value if kind is not None and isinstance(kind.value, str) else ""
    template_node = _find(doc, ("spec", *_TEMPLATES.get(kind_name, ("template",))), p)
    labels: Labels | None = Labels()
    spec = _PodSpec()
    template = p.map_(template_node)
    if template is not None:
        template_meta = p.map_(template.get("metadata")) or {}
        labels = parse_labels(template_meta.get("labels"), p)
        spec = _pod_spec(template.get("spec"), p)
    replicas = _replicas(doc, kind_name, p) if template_node is not None else 1
    p.check()
    assert meta is not None and labels is not None
    pod_meta = Meta(meta.name, meta.namespace, labels, meta.position)
    pod = Pod(pod_meta, (), spec.ports, spec.node, spec.host_network, spec.service_account,
              workload=f"{kind_name}/{meta.name}", replicas=replicas)
    return [pod, *p.notes]


# kind → where its pod count sits under ``spec``; absent means 1, as the API defaults it
_COUNTS: dict[str, tuple[str, ...]] = {
    "Deployment": ("replicas",),
    "ReplicaSet": ("replicas",),
    "StatefulSet": ("replicas",),
    "Job": ("parallelism",),
    "CronJob": ("jobTemplate", "spec", "parallelism"),
}


def _replicas(doc: Node, kind: str, p: Problems) -> int | None:
    """How many pods the workload runs at once; None for a DaemonSet (one per node)."""
    if kind == "DaemonSet":
        return None
    node: Node | None = doc
    for key in ("spec", *_COUNTS.get(kind, ("replicas",))):
        fields = p.map_(node) if node is not None else None
        node = fields.get(key) if fields else None
        if node is None or node.is_null():
            return 1
    count = p.int_(node)
    if count is not None and count < 0 and node is not None:
        p.add(node, f"invalid count {count}: must be 0 or more")
    return 1 if count is None else count


def _find(node: Node, keys: tuple[str, ...], p: Problems) -> Node | None:
    """The node at ``keys`` below ``node``; a missing step is a required field."""
    for key in keys:
        fields = p.map_(node)
        if fields is None:
            return None
        child = fields.get(key)
        if child is None or child.is_null():
            p.missing(node, key)
            return None
        node = child
    return node


@dataclass(frozen=True, slots=True)
class _PodSpec:
    ports: tuple[ContainerPort, ...] = ()
    node: str | None = None
    host_network: bool = False
    service_account: str | None = None


def _pod_spec(node: Node | None, p: Problems) -> _PodSpec:
    fields = p.map_(node) or {}
    ports: list[ContainerPort] = []
    for container in p.list_(fields.get("containers")) or []:
        container_fields = p.map_(container) or {}
        for port_node in p.list_(container_fields.get("ports")) or []:
            port = _container_port(port_node, p)
            if port is not None:
                ports.append(port)
    account = p.str_(fields.get("serviceAccountName"))
    if account is None:  # the deprecated spelling, still honoured by the API
        account = p.str_(fields.get("serviceAccount"))
    return _PodSpec(
        tuple(ports),
        p.str_(fields.get("nodeName")) or None,
        bool(p.bool_(fields.get("hostNetwork"))),
        account or None,
    )


def _container_port(node: Node, p: Problems) -> ContainerPort | None:
    fields = p.map_(node)
    if fields is None:
        return None
    before = len(p.errors)
    number = p.int_(fields.get("containerPort"))
    if number is None:
        if fields.get("containerPort") is None or fields["containerPort"].is_null():
            p.missing(node, "containerPort")
    elif (problem := v.port_number(number)) is not None:
        p.add(fields["containerPort"], f"invalid port {number}: {problem}")
    protocol = p.str_(fields.get("protocol")) or "TCP"
    if protocol not in v.PORT_NAME_PROTOCOLS:
        p.add(fields["protocol"], v.unsupported(protocol, v.PORT_NAME_PROTOCOLS))
    name = p.str_(fields.get("name"))
    if name is not None and (problem := v.iana_svc_name(name)) is not None:
        p.add(fields["name"], f"invalid port name {quote(name)}: {problem}")
    if fields.get("hostIP") is not None:
        _ip(fields["hostIP"], p)
    if len(p.errors) != before or number is None:
        return None
    return ContainerPort(number, protocol, name or None)


_NOT_RUNNING = ("Pending", "Succeeded", "Failed")


def _pod_ready(node: Node | None, p: Problems) -> bool:
    """Ready unless the status says otherwise: phase not running, or Ready not True.

    Hand-written manifests have no status, and stand for running pods.
    """
    fields = p.map_(node) or {}
    if p.str_(fields.get("phase")) in _NOT_RUNNING:
        return False
    for item in p.list_(fields.get("conditions")) or []:
        condition = p.map_(item) or {}
        if p.str_(condition.get("type")) == "Ready":
            return p.str_(condition.get("status")) == "True"
    return True


def _pod_ips(node: Node | None, p: Problems) -> tuple[IPAddress, ...]:
    """``status.podIP`` then each ``status.podIPs[].ip``, without repeats.

    ``hostIP``/``hostIPs`` are not used, but are addresses all the same: an
    invalid one is an error, as for the API server.
    """
    fields = p.map_(node) or {}
    found: list[IPAddress] = []
    for candidate in _address_nodes(fields, "podIP", "podIPs", p):
        ip = _ip(candidate, p)
        if ip is not None and ip not in found:
            found.append(ip)
    for candidate in _address_nodes(fields, "hostIP", "hostIPs", p):
        _ip(candidate, p)
    return tuple(found)


def _address_nodes(fields: dict[str, Node], one: str, many: str, p: Problems) -> list[Node]:
    nodes = [fields[one]] if fields.get(one) is not None else []
    for item in p.list_(fields.get(many)) or []:
        item_fields = p.map_(item)
        if item_fields and item_fields.get("ip") is not None:
            nodes.append(item_fields["ip"])
    return nodes


def _ip(node: Node, p: Problems) -> IPAddress | None:
    text = p.str_(node)
    if not text:
        return None
    try:
        ip, warning = v.parse_ip(text)
    except v.AddressError as exc:
        p.add(node, f"invalid IP address {quote(text)}: {exc}")
        return None
    if warning is not None:
        p.warn(node, warning)
    return ip
