"""Every example is complete: README, cluster.yaml with namespaces and pods only,
policy files that load, and every policy file exercised by some walkthrough."""

from __future__ import annotations

import pytest
import yaml

from netwarden.load import load_snapshot

from .walkthroughs import EXAMPLES, WALKTHROUGHS

# Kubernetes walkthroughs; the Calico ones (calico-*) have their own tests in tests/calico.
EXAMPLE_DIRS = sorted(p for p in EXAMPLES.glob("seed-*") if p.is_dir())
SEEDS = {
    "seed-prod-dev": "000_", "seed-bookstore": "001_", "seed-db-api": "003_",
    "seed-aks": "004_", "seed-banzai": "002_", "seed-cs1": "002_",
    "seed-redis-metrics": "002_", "seed-calico-reference": "002_",
}
IDS = [p.name for p in EXAMPLE_DIRS]


def test_the_expected_examples_exist():
    assert {p.name for p in EXAMPLE_DIRS} == set(SEEDS)


def test_walkthrough_ids_are_unique():
    ids = [w.id for w in WALKTHROUGHS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("example", EXAMPLE_DIRS, ids=IDS)
def test_readme_names_its_seed(example):
    readme = (example / "README.md").read_text()
    assert SEEDS[example.name] in readme
    assert "netwarden" in readme


@pytest.mark.parametrize("example", EXAMPLE_DIRS, ids=IDS)
def test_cluster_has_namespaces_and_pods_only(example):
    docs = [d for d in yaml.safe_load_all((example / "cluster.yaml").read_text()) if d]
    assert {d["kind"] for d in docs} == {"Namespace", "Pod"}


@pytest.mark.parametrize("example", EXAMPLE_DIRS, ids=IDS)
def test_policy_files_are_network_policies_and_each_is_exercised(example):
    used = {s for w in WALKTHROUGHS if w.example == example.name for s in w.steps}
    files = sorted(example.glob("policies/*.yaml")) + sorted(example.glob("variants/*.yaml"))
    assert files
    for f in files:
        docs = [d for d in yaml.safe_load_all(f.read_text()) if d]
        assert {d["kind"] for d in docs} == {"NetworkPolicy"}, f
        assert str(f.relative_to(example)) in used, f"{f} is not checked by any walkthrough"
        load_snapshot([example / "cluster.yaml", f])
