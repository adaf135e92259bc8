"""The seed walkthroughs that connect by Service name, checked through their Services.

Seed 002's Banzai "more realistic example" runs ``curl`` and a postgres client
against ``frontend``, ``backend`` and ``db`` ``.staging.svc.cluster.local``; the
article's outcomes are the expected verdicts here (examples/seed-banzai/services.yaml).
Seed 002's Calico reference part relies on DNS to kube-dns, which its team policy
blocks for org-1 (examples/seed-calico-reference/services.yaml). The lab runs the same
examples by name (see docs/semantics.md, "Services").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netwarden import load_cluster
from netwarden.engine import Engine
from netwarden.engine.service_names import find_service
from netwarden.engine.services import check_service

from .service_walkthroughs import EXAMPLES, SERVICE_CASES, ServiceCase

BANZAI = [EXAMPLES / "seed-banzai" / f for f in
          ("cluster.yaml", "services.yaml", "policies/06-staging.yaml")]


def _answer(paths: list[Path], src: str, name: str, port: int | str, protocol: str = "TCP"
            ) -> tuple[bool, str]:
    engine = Engine(load_cluster(paths))
    (answer,) = check_service(engine, src, find_service(engine.cluster, name), port, protocol)
    return answer.allowed, answer.summary


@pytest.mark.parametrize("case", SERVICE_CASES, ids=[c.id for c in SERVICE_CASES])
def test_the_article_outcome_by_service_name(case: ServiceCase) -> None:
    allowed, summary = _answer(case.paths(), case.source, case.name, case.port, case.protocol)
    assert allowed is case.allowed, f"{case.says}: {summary}"


def test_banzai_services_map_port_names_to_the_pods_ports() -> None:
    cluster = load_cluster(BANZAI)
    backend, db = cluster.service("staging", "backend"), cluster.service("staging", "db")
    assert backend is not None and db is not None
    assert [(b.key, port) for b, port in backend.destinations(0)] == [("staging/backend", 80)]
    assert [(b.key, port) for b, port in db.destinations(0)] == [("staging/db", 5432)]


CALICO = [EXAMPLES / "seed-calico-reference"]


def test_calico_reference_team_policy_cuts_org_1_off_kube_dns() -> None:
    allowed, summary = _answer(CALICO, "org-1/web-1", "kube-dns.kube-system", "dns", "UDP")
    assert not allowed
    assert summary.startswith("denied to every backend; denied to kube-system/coredns on "
                              "port 53: org-1/web-1 is isolated for egress by org-1/team-netpol")


def test_calico_reference_other_namespaces_still_resolve() -> None:
    assert _answer(CALICO, "org-2/client", "kube-dns.kube-system", "dns", "UDP")[0]
