"""netwarden: Kubernetes and Calico network policies, analysed and enforced.

>>> import netwarden
>>> engine = netwarden.load_engine(["examples/seed-prod-dev"])  # doctest: +SKIP
>>> engine.allows("dev/testserver-1", "prod/webserver-1", "TCP", 80)  # doctest: +SKIP
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._errors import (
    ConntrackError,
    InvalidManifests,
    LabError,
    LookupFailed,
    NamespaceError,
    NetwardenError,
    NftError,
    NoManifests,
    Position,
    ProbeUnsupported,
    ResourceVersionExpired,
    SelectorError,
    SourceError,
    ValidationError,
)

if TYPE_CHECKING:
    from ._api import load_cluster, load_engine, load_live_cluster
    from .compile import compile_snapshot
    from .engine import Connectivity, Engine, Verdict
    from .ir import Cluster
    from .ir.selector import Selector
    from .load.calico_selector import parse_selector

# The rest is imported on first use (PEP 562), so ``netwarden --version`` and
# commands that need little start fast.
_LAZY = {
    "load_cluster": "._api", "load_engine": "._api", "load_live_cluster": "._api",
    "compile_snapshot": ".compile", "Connectivity": ".engine", "Engine": ".engine",
    "Verdict": ".engine", "Cluster": ".ir", "Selector": ".ir.selector",
    "parse_selector": ".load.calico_selector",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


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
    "NoManifests",
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
