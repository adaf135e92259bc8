"""A small cluster and helpers for Calico engine scenarios (manifests in, verdicts out)."""

from __future__ import annotations

import textwrap

from netwarden.compile import compile_snapshot
from netwarden.engine import Engine
from netwarden.engine.connectivity import Connectivity
from netwarden.ir import Cluster
from netwarden.ir.services import protocol_number
from netwarden.load import load_texts

V3, CRD = "projectcalico.org/v3", "crd.projectcalico.org/v1"

# prod: web (named port http=8080, sa web-sa), db; dev: client (sa tester);
# kube-system (labelled name=kube-system, as the seed's selector needs): dns.
BASE = """
apiVersion: v1
kind: Namespace
metadata: {name: prod, labels: {env: prod}}
---
apiVersion: v1
kind: Namespace
metadata: {name: dev, labels: {env: dev}}
---
apiVersion: v1
kind: Namespace
metadata: {name: kube-system, labels: {name: kube-system}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
spec:
  serviceAccountName: web-sa
  containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]
status: {podIP: 10.0.1.1}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
spec:
  containers: [{name: c, ports: [{name: pg, containerPort: 5432}]}]
status: {podIP: 10.0.1.2}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: dev, labels: {app: client}}
spec:
  serviceAccountName: tester
  containers: [{name: c}]
status: {podIP: 10.0.2.1}
---
apiVersion: v1
kind: Pod
metadata: {name: dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  containers: [{name: c, ports: [{containerPort: 53, protocol: UDP}]}]
status: {podIP: 10.0.3.1}
"""


def cluster_of(*texts: str, base: str = BASE) -> Cluster:
    items = [("base.yaml", base)] + [
        (f"p{i}.yaml", textwrap.dedent(t)) for i, t in enumerate(texts)
    ]
    return compile_snapshot(load_texts(items))


def engine_of(*texts: str, base: str = BASE) -> Engine:
    return Engine(cluster_of(*texts, base=base))


def calico(kind: str, name: str, spec: str, api: str = V3, namespace: str | None = None,
           labels: str = "") -> str:
    """One Calico object; ``spec`` is YAML indented by the caller's dedent."""
    meta = f"  name: {name}\n"
    if namespace:
        meta += f"  namespace: {namespace}\n"
    if labels:
        meta += f"  labels: {labels}\n"
    body = textwrap.indent(textwrap.dedent(spec).strip("\n"), "  ")
    return f"apiVersion: {api}\nkind: {kind}\nmetadata:\n{meta}spec:\n{body}\n"


def both(engine: Engine, src: str, dst: str, protocol: str, port: int | None) -> bool:
    """The verdict from ``Engine.check``, asserted equal to ``Connectivity``'s."""
    verdict = engine.check(src, dst, protocol, port).allowed
    s, d = engine.resolve(src), engine.resolve(dst)
    conn = Connectivity(engine.cluster)
    if getattr(s, "kind", None) is not None and s.key in conn.class_of \
            and getattr(d, "kind", None) is not None and d.key in conn.class_of:
        proto = protocol_number(protocol)
        if port is None and proto in (1, 58):
            port = (8 if proto == 1 else 128) << 8  # what check asks: an echo request
        services = conn.between(s, d)  # type: ignore[arg-type]
        assert services.contains(proto, port) == verdict, (src, dst, protocol, port)
    return verdict
