"""Every conformance scenario, as data: ``CASES`` and the base cluster.

A lab run replays a case by applying ``case.cluster_yaml`` and
``case.policies_yaml`` and probing ``case.protocol``/``case.port`` between every
ordered pair of pods; the pods serve TCP and UDP on ports 80 and 81.
"""

from __future__ import annotations

from .conformance_base import BASE_CLUSTER_YAML, PODS, Case, parse_grid, render_grid
from .conformance_cases_1 import CASES_1
from .conformance_cases_2 import CASES_2

__all__ = ["BASE_CLUSTER_YAML", "CASES", "PODS", "Case", "parse_grid", "render_grid"]

CASES: list[Case] = CASES_1 + CASES_2
