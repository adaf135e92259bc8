"""Recorded flows: the record (``record``), JSON Lines (``jsonl``), Hubble's export (``hubble``).

Standard library, orjson and netwarden's errors only: the lab and the agent write
records with it without importing the engine.
"""

from .files import FlowCounts, FlowFile, read_flow_counts, read_flow_file
from .hubble import HubbleImport, import_hubble, load_hubble
from .jsonl import (
    count_flows,
    dump_flow,
    flow_json,
    iter_flows,
    load_flows,
    parse_flow,
    read_flows,
    write_flows,
)
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
from .tally import FlowCount, connection, tally

__all__ = [
    "PROTOCOLS",
    "Decision",
    "Flow",
    "FlowCount",
    "FlowCounts",
    "FlowEnd",
    "FlowFile",
    "FlowService",
    "FlowVerdict",
    "HubbleImport",
    "Staged",
    "Workload",
    "connection",
    "count_flows",
    "dump_flow",
    "flow_json",
    "import_hubble",
    "iter_flows",
    "load_flows",
    "load_hubble",
    "parse_flow",
    "read_flow_counts",
    "read_flow_file",
    "read_flows",
    "tally",
    "write_flows",
]
