"""examples/anp-tenant-isolation: the verdicts its README states."""

from __future__ import annotations

from pathlib import Path

import pytest

from netwarden.compile import compile_snapshot
from netwarden.engine import Engine
from netwarden.load import load_snapshot
from netwarden.load.cache import ManifestCache

EXAMPLE = Path(__file__).parents[2] / "examples" / "anp-tenant-isolation"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(compile_snapshot(load_snapshot([EXAMPLE])))


@pytest.mark.parametrize(("src", "dst", "protocol", "port", "allowed"), [
    ("tenant-b/web", "tenant-a/web", "TCP", 80, False),     # admin Deny: another tenant
    ("tenant-a/web", "tenant-a/db", "TCP", 5432, True),     # Pass, then tenant-a's NP
    ("tenant-a/db", "tenant-a/web", "TCP", 80, True),       # Pass, no NP on web: allowed
    ("tenant-a/web", "tenant-a/db", "TCP", 80, False),      # Pass, NP allows only pg
    ("tenant-a/web", "kube-system/coredns", "UDP", 53, True),   # admin Allow first
    ("tenant-b/web", "kube-system/coredns", "TCP", 53, False),  # baseline Deny
    ("tenant-a/web", "tenant-b/web", "TCP", 80, True),      # tenant-b has no ingress rule
], ids=lambda v: str(v))
def test_example_verdicts(engine: Engine, src: str, dst: str, protocol: str, port: int,
                          allowed: bool) -> None:
    assert engine.check(src, dst, protocol, port).allowed is allowed


def test_the_agents_parse_cache_keeps_cluster_policies_and_nodes() -> None:
    texts = [(str(p), p.read_text()) for p in sorted(EXAMPLE.rglob("*.yaml"))]
    texts.append(("node.yaml", "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n"))
    snapshot = ManifestCache().snapshot(texts)
    assert sorted(p.meta.name for p in snapshot.cluster_policies) == [
        "always-dns", "default", "tenant-isolation"]
    assert [n.meta.name for n in snapshot.nodes] == ["n1"]
