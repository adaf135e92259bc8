"""The HTML report for a security review, and the Graphviz view it is laid out with.

>>> from netwarden import load_cluster
>>> from netwarden.engine import Connectivity
>>> cluster = load_cluster(["examples/shop-twelve"])   # doctest: +SKIP
>>> html = to_html(cluster, Connectivity(cluster))     # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence

from ...engine.connectivity import Connectivity
from ...ir import Cluster
from ..exposure import exposure
from ..exposure_ingress import ControllerRule
from ..external import ExternalConnectivity
from ..lint import lint
from .exposure_section import exposure_section
from .layout import dot_source
from .model import ReportModel, build_model, plural
from .page import document
from .text import services_text

__all__ = ["ReportModel", "build_model", "dot_source", "model_for", "plural", "services_text",
           "to_html"]


def model_for(cluster: Cluster, conn: Connectivity, *, grouped: bool = False,
              protocol: str = "TCP", port: int | None = None,
              single: bool = False) -> ReportModel:
    """The report's nodes and edges; without outside nodes in ``conn``, one is added."""
    merge = not conn.external
    if merge:
        conn = ExternalConnectivity(cluster, conn.index)
    return build_model(conn, merge_outside=merge, grouped=grouped, protocol=protocol,
                       port=port, single=single)


def to_html(cluster: Cluster, conn: Connectivity, *, grouped: bool = False,
            protocol: str = "TCP", port: int | None = None, single: bool = False,
            controllers: Sequence[ControllerRule] | None = None) -> str:
    """The one-file report: summary, graph, matrix, lint findings, exposure and policies.

    ``controllers``: the Ingress controller's pods, for exposure through Ingresses.
    """
    model = model_for(cluster, conn, grouped=grouped, protocol=protocol, port=port,
                      single=single)
    found = exposure(cluster, controllers=controllers)
    return document(model, cluster, lint(cluster), exposure_section(found))
