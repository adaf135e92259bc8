"""netwarden: Kubernetes and Calico network policies, analysed and enforced.

>>> import netwarden
>>> engine = netwarden.load_engine(["examples/seed-prod-dev"])  # doctest: +SKIP
>>> engine.allows("dev/testserver-1", "prod/webserver-1", "TCP", 80)  # doctest: +SKIP
True
"""

from ._api import load_cluster, load_engine, load_live_cluster
from ._errors import (
    ConntrackError,
    InvalidManifests,
    LabError,
    LookupFailed,
    NamespaceError,
    NetwardenError,
    NftError,
    Position,
    ProbeUnsupported,
    ResourceVersionExpired,
    SelectorError,
    SourceError,
    ValidationError,
)
from .compile import compile_snapshot
from .engine import Connectivity, Engine, Verdict
from .ir import Cluster
from .ir.selector import Selector
from .load.calico_selector import parse_selector

__all__ = [
    "Cluster",
    "Connectivity",
    "ConntrackError",
    "Engine",
    "InvalidManifests",
    "LabError",
    "LookupFailed",
    "NamespaceError",
    "NetwardenError",
    "NftError",
    "Position",
    "ProbeUnsupported",
    "ResourceVersionExpired",
    "Selector",
    "SelectorError",
    "SourceError",
    "ValidationError",
    "Verdict",
    "compile_snapshot",
    "load_cluster",
    "load_engine",
    "load_live_cluster",
    "parse_selector",
]
__version__ = "0.1.0"
