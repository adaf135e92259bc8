"""seed-db-api: protecting the database pod (seed 003)."""

from __future__ import annotations

import pytest

from netwarden import ValidationError, load_engine
from netwarden.load import load_snapshot

from .walkthroughs import EXAMPLES, assert_walkthrough, walkthroughs

EX = EXAMPLES / "seed-db-api"
CASES = walkthroughs("seed-db-api")


@pytest.mark.parametrize("w", CASES, ids=[w.id for w in CASES])
def test_connectivity(w):
    assert_walkthrough(w)


def engine(step: str):
    return load_engine([EX / "cluster.yaml", EX / "policies" / step])


def test_bare_pod_selector_does_not_admit_api_pods_of_other_namespaces():
    """The article says it does; a podSelector alone means the policy's namespace."""
    verdict = engine("03-allow-api-pod.yaml").check("dev/api", "prod/db", "TCP", 3306)
    assert not verdict.allowed
    assert "prod/allow-ingress-to-db" in verdict.ingress.reason


def test_backup_server_outside_the_cluster_only_the_db_side_applies():
    verdict = engine("06-ip-block-backup-server.yaml").check("192.168.5.10", "prod/db", "TCP",
                                                            3306)
    assert verdict.allowed
    assert verdict.egress is None
    assert any("outside the cluster" in r for r in verdict.reasons)


def test_egress_to_backup_server_other_port_denied():
    verdict = engine("08-egress-to-backup-server.yaml").check("prod/db", "192.168.5.10", "TCP",
                                                             443)
    assert not verdict.allowed
    assert "prod/allow-ingress-to-db" in verdict.egress.reason


def test_ports_80_as_printed_is_rejected_with_file_line_and_field():
    bad = EX / "invalid" / "08-egress-ports-not-a-list.yaml"
    line = bad.read_text().splitlines().index("    ports: 80") + 1
    with pytest.raises(ValidationError) as info:
        load_snapshot([bad])
    error = info.value
    assert error.field == "spec.egress[0].ports"
    assert error.position is not None
    assert error.position.file.endswith("08-egress-ports-not-a-list.yaml")
    assert error.position.line == line
    assert f"08-egress-ports-not-a-list.yaml:{line}: spec.egress[0].ports:" in str(error)
    assert "must be a list" in str(error)
