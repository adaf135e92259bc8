"""How the lab's commands name a counted nft rule (``lab stats``, ``demo``).

Its own module so that commands which never read counters do not import the dataplane.
"""

from __future__ import annotations

from ..dataplane.counters import default_deny_of
from ..engine.explain import speaks_calico
from ..ir import Cluster

__all__ = ["counter_rule"]


def counter_rule(origin: str, cluster: Cluster) -> str:
    """A counted rule as people read it: a tier's default deny in a cluster without
    Calico objects is a pod isolated by NetworkPolicy, not a tier.

    >>> from netwarden.ir import Cluster
    >>> counter_rule("prod/db ingress tier default default deny", Cluster())
    'prod/db ingress: isolated, no policy allows it (default deny)'
    """
    deny = default_deny_of(origin)
    if deny is None or speaks_calico(cluster):
        return origin
    endpoint, direction, _ = deny
    return f"{endpoint} {direction}: isolated, no policy allows it (default deny)"
