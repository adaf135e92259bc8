"""Manifest builders for analysis tests (dicts, dumped to YAML by the ``load`` fixture)."""

from __future__ import annotations

from typing import Any


def ns(name: str, **labels: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def pod(name: str, namespace: str, ip: str, ports: tuple[tuple[int, str, str], ...] = (),
        host_network: bool = False, **labels: str) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "c", "image": "x"}
    if ports:
        container["ports"] = [{"containerPort": p, "protocol": proto, "name": n}
                              for p, proto, n in ports]
    spec: dict[str, Any] = {"containers": [container]}
    if host_network:
        spec["hostNetwork"] = True
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": spec, "status": {"podIP": ip}}


def netpol(name: str, namespace: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def base() -> list[dict[str, Any]]:
    """prod (db, api, web) and dev (api): namespaces carry only the automatic name label."""
    return [ns("prod"), ns("dev"),
            pod("db", "prod", "10.244.1.10", ((5432, "TCP", "postgres"),), role="db"),
            pod("api", "prod", "10.244.1.11", app="api"),
            pod("web", "prod", "10.244.1.12", app="web"),
            pod("api", "dev", "10.244.2.11", app="api")]
