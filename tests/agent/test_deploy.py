"""deploy/: every manifest parses, has what the agent needs, and the Dockerfile is sane."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def docs() -> list[dict[str, Any]]:
    out = []
    for path in sorted(DEPLOY.glob("*.yaml")):
        out += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return out


def by_kind(kind: str) -> dict[str, Any]:
    (doc,) = [d for d in docs() if d["kind"] == kind]
    return doc


def test_every_manifest_has_api_version_kind_and_name() -> None:
    kinds = set()
    for doc in docs():
        assert doc.get("apiVersion") and doc.get("kind"), doc
        assert doc["metadata"]["name"] == "netwarden-agent"
        kinds.add(doc["kind"])
    assert kinds == {"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap",
                     "DaemonSet"}


def test_daemonset_deserializes_into_the_client_model_and_is_complete() -> None:
    kubernetes = pytest.importorskip("kubernetes")

    ds = kubernetes.client.ApiClient().deserialize(
        json.dumps(by_kind("DaemonSet")), "V1DaemonSet", "application/json")
    spec = ds.spec.template.spec
    assert spec.host_network is True
    assert spec.service_account_name == by_kind("ServiceAccount")["metadata"]["name"]
    (c,) = spec.containers
    assert set(c.security_context.capabilities.add) >= {"NET_ADMIN", "NET_RAW"}
    env = {e.name: e for e in c.env}
    assert env["NODE_NAME"].value_from.field_ref.field_path == "spec.nodeName"
    assert c.liveness_probe.http_get.path == "/healthz"
    assert c.readiness_probe.http_get.path == "/readyz"
    assert c.liveness_probe.http_get.port == c.ports[0].container_port
    assert "--source=kubernetes" in c.args and "--in-current-netns" in c.args
    assert ds.spec.selector.match_labels.items() <= ds.spec.template.metadata.labels.items()
    # every $(VAR) in args is defined by env or the ConfigMap
    defined = set(env) | set(by_kind("ConfigMap")["data"])
    for arg in c.args:
        for var in re.findall(r"\$\((\w+)\)", arg):
            assert var in defined, var
    assert not [v for v in c.volume_mounts or [] if "xtables" in v.mount_path]  # nft needs none


def test_cluster_role_can_list_and_watch_what_the_agent_watches() -> None:
    from netwarden.load.live import KIND_SPECS

    role = by_kind("ClusterRole")
    granted = {(g, r) for rule in role["rules"] if {"list", "watch"} <= set(rule["verbs"])
               for g in rule["apiGroups"] for r in rule["resources"]}
    for spec in KIND_SPECS:
        assert (spec.group, spec.plural) in granted, spec
    assert all(set(rule["verbs"]) <= {"get", "list", "watch"} for rule in role["rules"])
    binding = by_kind("ClusterRoleBinding")
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    sa = by_kind("ServiceAccount")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": sa["metadata"]["name"],
                                    "namespace": sa["metadata"]["namespace"]}]


def test_configmap_values_are_strings_the_agent_accepts() -> None:
    data = by_kind("ConfigMap")["data"]
    assert all(isinstance(v, str) for v in data.values())
    float(data["RESYNC_SECONDS"]), float(data["DEBOUNCE_SECONDS"])
    assert data["LOG_FORMAT"] in ("text", "json")


def _instructions(text: str) -> list[tuple[str, str]]:
    """Dockerfile instructions with continuation lines joined and comments dropped."""
    out, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip("\\").strip() + " "
        if not line.rstrip().endswith("\\"):
            op, _, rest = current.strip().partition(" ")
            out.append((op.upper(), rest))
            current = ""
    return out


def test_dockerfile_is_debian_slim_with_nftables_and_the_agent_entrypoint() -> None:
    steps = _instructions((DEPLOY / "Dockerfile").read_text())
    assert steps[0][0] == "FROM" and re.fullmatch(r"debian:[\w.-]+-slim", steps[0][1])
    runs = " ".join(rest for op, rest in steps if op == "RUN")
    assert re.search(r"apt-get install\b.*\bnftables\b", runs)
    assert re.search(r"apt-get install\b.*\bconntrack\b", runs)
    assert "pip install" in runs
    entry = [json.loads(rest) for op, rest in steps if op == "ENTRYPOINT"]
    assert entry == [["netwarden", "agent"]]
