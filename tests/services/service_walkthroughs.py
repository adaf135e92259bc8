"""The seed walkthroughs that connect by Service name, as data for the engine and the lab.

Each case is one command of an article, by name, with the outcome the article
states (written by hand from the article, never taken from the engine). The
engine test (``test_service_examples.py``) checks them through the Services;
the lab replays them with real DNS and DNAT::

    from ..services.service_walkthroughs import SERVICE_CASES
    for case in SERVICE_CASES:
        case.paths()       # the manifests to load (lab up)
        case.source, case.name, case.port, case.protocol, case.allowed
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["EXAMPLES", "SERVICE_CASES", "ServiceCase"]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass(frozen=True, slots=True)
class ServiceCase:
    id: str
    files: tuple[str, ...]  # relative to examples/
    source: str
    name: str               # as the article writes it
    port: int
    protocol: str
    allowed: bool
    says: str

    def paths(self) -> list[Path]:
        return [EXAMPLES / f for f in self.files]


_BANZAI = ("seed-banzai/cluster.yaml", "seed-banzai/services.yaml",
           "seed-banzai/policies/06-staging.yaml")
_CALICO = ("seed-calico-reference/cluster.yaml", "seed-calico-reference/services.yaml",
           "seed-calico-reference/policies/01-team-netpol.yaml")

SERVICE_CASES = (
    ServiceCase("banzai-staging-frontend", _BANZAI, "staging/curl",
                "frontend.staging.svc.cluster.local", 80, "TCP", True,
                "kubectl exec curl -n staging -- curl frontend.staging...:80: the nginx page"),
    ServiceCase("banzai-staging-backend-times-out", _BANZAI, "staging/curl",
                "backend.staging.svc.cluster.local", 80, "TCP", False,
                "curl backend.staging...:80 --max-time 5: Connection timed out"),
    ServiceCase("banzai-admin-backend", _BANZAI, "admin/curl",
                "backend.staging.svc.cluster.local", 80, "TCP", True,
                "from admin, curl backend.staging...:80: the nginx page"),
    ServiceCase("banzai-admin-db", _BANZAI, "admin/pclient", "db.staging.svc.cluster.local",
                5432, "TCP", True, "pclient -h db.staging... -p 5432 lists the databases"),
    ServiceCase("banzai-staging-curl-db", _BANZAI, "staging/curl",
                "db.staging.svc.cluster.local", 5432, "TCP", False,
                "db admits only role=backend pods and the admin namespace"),
    ServiceCase("banzai-backend-db", _BANZAI, "staging/backend", "db.staging.svc.cluster.local",
                5432, "TCP", True, "backend → db on 5432, the application's own path"),
    ServiceCase("calico-org-1-dns-blocked", _CALICO, "org-1/web-1",
                "kube-dns.kube-system.svc.cluster.local", 53, "UDP", False,
                "team-netpol isolates org-1 for egress with no rule: no DNS"),
    ServiceCase("calico-org-2-dns", _CALICO, "org-2/client",
                "kube-dns.kube-system.svc.cluster.local", 53, "UDP", True,
                "org-2 is not isolated: names resolve"),
)
