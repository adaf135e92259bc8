"""``--flows FILE`` of ``suggest`` and ``replay``: the option, and reading it per connection.

Kept apart from both commands so that each imports only what it runs.
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape

from ..analysis.flows import FlowCount, read_flow_counts
from ._common import error_console


def add_flows_option(parser: Any) -> None:
    parser.add_argument("--flows", required=True, action="append", metavar="FILE",
                        help="recorded flows (netwarden's JSON Lines or Hubble's export); "
                        "repeat for several files")


def read_flows_args(paths: list[str]) -> list[FlowCount]:
    """The flows of every ``--flows`` file, counted per connection; import notes on stderr."""
    err = error_console()
    flows: list[FlowCount] = []
    for path in paths:
        file = read_flow_counts(path)
        for note in file.notes:
            err.print(f"note: {escape(note)}")
        flows.extend(file.counted)
    return flows
