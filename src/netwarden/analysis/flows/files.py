"""Read a flow file of either kind: netwarden's records or Hubble's export (by its first line)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..._errors import Position, ValidationError
from .hubble import import_hubble, looks_like_hubble
from .jsonl import count_flows, iter_flows
from .record import Flow
from .tally import FlowCount, tally

__all__ = ["FlowCounts", "FlowFile", "read_flow_counts", "read_flow_file"]


def _notes(path: str, kind: str, flows: int, skipped: dict[str, int]) -> list[str]:
    if not skipped:
        return []
    parts = ", ".join(f"{why} {n}" for why, n in sorted(skipped.items()))
    return [f"{path}: {kind} export: read {flows} flows, skipped "
            f"{sum(skipped.values())} ({parts})"]


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
        return _notes(self.path, self.kind, len(self.flows), self.skipped)


@dataclass(frozen=True, slots=True)
class FlowCounts:
    """The same as ``FlowFile``, counted per connection (``tally.FlowCount``)."""

    path: str
    kind: str
    counted: tuple[FlowCount, ...]
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(c.count for c in self.counted)

    @property
    def notes(self) -> list[str]:
        return _notes(self.path, self.kind, self.total, self.skipped)


@contextmanager
def _opened(path: str | Path) -> Iterator[tuple[Iterator[bytes], bool]]:
    """The file's lines (read as they come, without their line end), and whether it is
    Hubble's export (its first line says)."""
    try:
        with open(path, "rb") as stream:
            first = next((line for line in stream if line.strip()), b"")
            stream.seek(0)
            yield (line.rstrip(b"\r\n") for line in stream), looks_like_hubble(first)
    except OSError as exc:
        raise ValidationError(Position(str(path)), "", f"cannot read: {exc.strerror or exc}") \
            from None


def read_flow_file(path: str | Path) -> FlowFile:
    """The flows of ``path``: Hubble's export when its first line is Hubble's, else records."""
    name = str(path)
    with _opened(path) as (stream, hubble):
        if hubble:
            result = import_hubble(stream, name)
            return FlowFile(name, "hubble", result.flows, result.skipped)
        return FlowFile(name, "netwarden", tuple(iter_flows(stream, name)))


def read_flow_counts(path: str | Path) -> FlowCounts:
    """``read_flow_file`` counted per connection, for commands that decide connections."""
    name = str(path)
    with _opened(path) as (stream, hubble):
        if hubble:
            result = import_hubble(stream, name)
            return FlowCounts(name, "hubble", tally(result.flows), result.skipped)
        return FlowCounts(name, "netwarden", count_flows(stream, name))
