"""Builders for Service tests: load manifests, compile them, collect errors."""

from __future__ import annotations

import textwrap

import pytest

from netwarden._errors import InvalidManifests
from netwarden.compile import compile_snapshot
from netwarden.ir import Cluster
from netwarden.load import load_texts


def errors(text: str, file: str = "test.yaml") -> list[str]:
    """The lines of the ``InvalidManifests`` the load must raise."""
    with pytest.raises(InvalidManifests) as info:
        load_texts([(file, textwrap.dedent(text))])
    return str(info.value).splitlines()


def cluster(text: str, file: str = "svc.yaml") -> Cluster:
    return compile_snapshot(load_texts([(file, textwrap.dedent(text))]))


def pod(name: str, ns: str = "staging", labels: str = "{role: backend}", ports: str = "[]",
        status: str = "") -> str:
    """A pod manifest; ``ports`` is a container's port list in flow style."""
    text = (f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}, "
            f"labels: {labels}}}\nspec:\n  containers: [{{name: c, ports: {ports}}}]\n")
    return text + (f"status: {status}\n" if status else "") + "---\n"


def service(name: str, spec: str, ns: str = "staging", status: str = "") -> str:
    body = textwrap.indent(textwrap.dedent(spec).strip("\n"), "  ")
    text = (f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {ns}}}\n"
            f"spec:\n{body}\n")
    return text + (f"status: {status}\n" if status else "") + "---\n"


# A client namespace, three backends (two on port 80, one on 8080 by the name http),
# the Service, and a policy that admits the admin namespace on port 80 only.
ADMIN = ("apiVersion: v1\nkind: Namespace\nmetadata: {name: admin, labels: {role: admin}}\n"
         "---\n" + pod("curl", ns="admin", labels="{app: curl}"))
BACKENDS = (pod("backend-1", ports="[{name: http, containerPort: 80}]")
            + pod("backend-2", ports="[{name: http, containerPort: 8080}]")
            + pod("backend-3", ports="[{name: http, containerPort: 80}]"))
ONLY_PORT_80 = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: backend, namespace: staging}
spec:
  podSelector: {matchLabels: {role: backend}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {role: admin}}}]
    ports: [{port: 80}]
---
"""
SVC = service("backend", "selector: {role: backend}\nports: [{name: web, port: 80, "
                         "targetPort: http}]")

# A frontend pod admitting only 203.0.113.0/24, for external entry.
EXTERNAL = pod("frontend", ns="default", labels="{app: frontend}",
               ports="[{name: http, containerPort: 8080}]") + """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: frontend, namespace: default}
spec:
  podSelector: {matchLabels: {app: frontend}}
  ingress:
  - from: [{ipBlock: {cidr: 203.0.113.0/24}}]
---
"""


def lb(policy: str) -> str:
    return EXTERNAL + service(
        "frontend-external", f"type: LoadBalancer\nexternalTrafficPolicy: {policy}\n"
        "selector: {app: frontend}\nports: [{port: 80, targetPort: http}]", ns="default",
        status="{loadBalancer: {ingress: [{ip: 198.51.100.10}]}}")
