"""The enforcement agent: sources → reconciler → nft, with metrics.

Import what you need from the submodules; this package stays importable
without the ``kubernetes`` client (only ``agent.kube`` needs it).
"""

from ..load.cache import ManifestCache
from .interfaces import CalicoInterfaces, InterfaceResolver, StaticInterfaces
from .metrics import Metrics, MetricsServer
from .reconcile import Reconciler, Result
from .runner import Agent, AgentConfig
from .sources import DirectorySource, Source, parse_source

__all__ = [
    "Agent",
    "AgentConfig",
    "CalicoInterfaces",
    "DirectorySource",
    "InterfaceResolver",
    "ManifestCache",
    "Metrics",
    "MetricsServer",
    "Reconciler",
    "Result",
    "Source",
    "StaticInterfaces",
    "parse_source",
]
