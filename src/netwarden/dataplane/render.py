"""Render the IR into one nft table for a node: a pure function, no processes.

The layout of the table is described in ``chains``; ``Renderer``
(``incremental``) does the work and can re-render only what a change touches.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..ir import Cluster
from .incremental import Renderer
from .options import RenderOptions
from .ruleset import Ruleset

__all__ = ["render_ruleset"]


def render_ruleset(
    cluster: Cluster,
    node: str | None,
    interfaces: Mapping[str, str],
    options: RenderOptions | None = None,
) -> Ruleset:
    """Chains and sets enforcing ``cluster`` for the endpoints local to ``node``.

    ``interfaces`` maps an endpoint key (``ns/pod``) to the node-side veth of
    that pod; only those endpoints get chains. Endpoints whose ``node`` is
    set and differs from ``node`` are skipped, as are hostNetwork pods.
    Pure: a fresh ``Renderer`` each call (keep one to render updates
    incrementally).

    >>> rs = render_ruleset(Cluster(), None, {})
    >>> [c.name for c in rs.chains]
    ['forward']
    """
    return Renderer(options).render(cluster, node, interfaces)
