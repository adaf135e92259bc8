"""Texts → ``Snapshot`` again and again, parsing only the texts that changed.

The agent sees the whole cluster after every event, but usually only one
object differs. Parsing 1,500 objects with positions per change would cost
most of the latency budget, so each (name, text) pair is parsed once, through
the loader's own ``SnapshotBuilder`` (the validation ``netwarden validate``
applies), and the parsed objects are handed back unchanged (the same Python
objects) while the text is. ``netwarden.compile.CompileMemo`` relies on that
to compile each object once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .._errors import InvalidManifests, ValidationError
from ..resources.snapshot import Snapshot
from .loader import SnapshotBuilder, Strictness

__all__ = ["ManifestCache", "Parsed"]


@dataclass(frozen=True, slots=True)
class Parsed:
    """One text and what the loader made of it (objects, notes, warnings, errors)."""

    text: str
    result: SnapshotBuilder


def _parse(name: str, text: str, strictness: Strictness) -> Parsed:
    builder = SnapshotBuilder(strictness)
    builder.add_text(name, text)
    return Parsed(text, builder)


class ManifestCache:
    """Remembers parsed texts between snapshots.

    By default (the directory source) the whole set is rejected when any text
    is invalid, so a half-edited file never weakens what is enforced. With
    ``skip_invalid`` (the Kubernetes source, whose objects the API server
    already validated) a text the loader refuses is left out, listed in
    ``skipped`` and named in the snapshot's warnings; and fields this schema
    does not know (a newer API server's, a newer Calico's) are warnings, not
    errors (``Strictness.LENIENT``). ``strictness`` sets how the directory
    source's texts are judged (``netwarden agent --lenient/--strict``).
    """

    def __init__(self, *, skip_invalid: bool = False,
                 strictness: Strictness = Strictness.DEFAULT) -> None:
        self.skip_invalid = skip_invalid
        self.strictness = Strictness.LENIENT if skip_invalid else strictness
        self._parsed: dict[str, Parsed] = {}
        self.skipped: list[ValidationError] = []

    def snapshot(self, items: Sequence[tuple[str, str]]) -> Snapshot:
        """A ``Snapshot`` of ``items``; raises ``InvalidManifests`` as the loader does."""
        parsed: dict[str, Parsed] = {}
        for name, text in items:
            old = self._parsed.get(name)
            parsed[name] = (old if old is not None and old.text == text
                            else _parse(name, text, self.strictness))
        self._parsed = parsed
        builder = SnapshotBuilder()
        skipped: list[ValidationError] = []
        for item in parsed.values():
            if item.result.errors:
                if not self.skip_invalid:
                    builder.errors.extend(item.result.errors)
                else:
                    skipped.extend(item.result.errors)
                    continue
            builder.extend(item.result)
        builder.warnings.extend(f"{error} (object left out)" for error in skipped)
        self.skipped = skipped
        if builder.errors:
            raise InvalidManifests(builder.errors)
        return builder.build()
