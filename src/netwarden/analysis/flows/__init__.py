"""Recorded flows: the record (``record``), JSON Lines (``jsonl``), Hubble's export (``hubble``).

Standard library, orjson and netwarden's errors only: the lab and the agent write
records with it without importing the engine.
"""

from .files import FlowFile, read_flow_file
from .hubble import HubbleImport, import_hubble, load_hubble
from .jsonl import dump_flow, flow_json, iter_flows, load_flows, parse_flow, read_flows, write_flows
from .record import (
    PROTOCOLS,
    Decision,
    Flow,
    FlowEnd,
    FlowService,
    FlowVerdict,
    Staged,
    Workload,
)

__all__ = [
    "PROTOCOLS",
    "Decision",
    "Flow",
    "FlowEnd",
    "FlowFile",
    "FlowService",
    "FlowVerdict",
    "HubbleImport",
    "Staged",
    "Workload",
    "dump_flow",
    "flow_json",
    "import_hubble",
    "iter_flows",
    "load_flows",
    "load_hubble",
    "parse_flow",
    "read_flow_file",
    "read_flows",
    "write_flows",
]
