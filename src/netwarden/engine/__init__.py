"""The engine: verdicts with explanations, and the connectivity map, from the IR."""

from .by_name import NameVerdict
from .connectivity import Connectivity
from .engine import Engine
from .explain import describe_policy, describe_rule, speaks_calico
from .verdict import Packet, SideVerdict, Step, StepKind, Verdict

__all__ = [
    "Connectivity",
    "Engine",
    "NameVerdict",
    "Packet",
    "SideVerdict",
    "Step",
    "StepKind",
    "Verdict",
    "describe_policy",
    "describe_rule",
    "speaks_calico",
]
