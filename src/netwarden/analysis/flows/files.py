"""Read a flow file of either kind: netwarden's records or Hubble's export (by its first line)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..._errors import Position, ValidationError
from .hubble import import_hubble, looks_like_hubble
from .jsonl import iter_flows
from .record import Flow

__all__ = ["FlowFile", "read_flow_file"]


@dataclass(frozen=True, slots=True)
class FlowFile:
    """The flows of one file, its kind (``netwarden`` or ``hubble``) and what was skipped."""

    path: str
    kind: str
    flows: tuple[Flow, ...]
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def notes(self) -> list[str]:
        """What to tell the user about the import (nothing for netwarden's own records)."""
        if not self.skipped:
            return []
        parts = ", ".join(f"{why} {n}" for why, n in sorted(self.skipped.items()))
        return [f"{self.path}: {self.kind} export: read {len(self.flows)} flows, skipped "
                f"{sum(self.skipped.values())} ({parts})"]


def read_flow_file(path: str | Path) -> FlowFile:
    """The flows of ``path``: Hubble's export when its first line is Hubble's, else records."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ValidationError(Position(name), "", f"cannot read: {exc.strerror or exc}") \
            from None
    lines = data.splitlines()
    first = next((line for line in lines if line.strip()), b"")
    if looks_like_hubble(first):
        result = import_hubble(lines, name)
        return FlowFile(name, "hubble", result.flows, result.skipped)
    return FlowFile(name, "netwarden", tuple(iter_flows(lines, name)))
