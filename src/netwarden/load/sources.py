"""Where manifests come from: files, directories (recursively) and standard input.

Reading is separate from parsing so that ``load_texts`` (tests, the agent)
and ``load_snapshot`` (the CLI) share every step after it. A path that cannot
be read is reported like any other manifest error, with the rest of them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from .._errors import Position, ValidationError

__all__ = ["MANIFEST_SUFFIXES", "STDIN_NAME", "read_sources"]

MANIFEST_SUFFIXES = frozenset((".yaml", ".yml", ".json"))
STDIN_NAME = "<stdin>"


def read_sources(
    paths: Sequence[str | os.PathLike[str]], stdin: TextIO | None = None
) -> tuple[list[tuple[str, str]], list[ValidationError]]:
    """(file name, text) of every manifest file under ``paths``, and read errors.

    ``-`` reads ``stdin`` (``sys.stdin`` by default). A directory contributes
    its ``.yaml``, ``.yml`` and ``.json`` files at any depth, in sorted order;
    a file named explicitly is read whatever its suffix.
    """
    texts: list[tuple[str, str]] = []
    errors: list[ValidationError] = []
    for raw in paths:
        if os.fspath(raw) == "-":
            texts.append((STDIN_NAME, (stdin or sys.stdin).read()))
            continue
        path = Path(raw)
        if path.is_dir():
            files = sorted(
                f for f in path.rglob("*") if f.is_file() and f.suffix.lower() in MANIFEST_SUFFIXES
            )
        else:
            files = [path]
        for file in files:
            try:
                texts.append((str(file), file.read_text(encoding="utf-8")))
            except FileNotFoundError:
                errors.append(ValidationError(Position(str(file)), "", "no such file or directory"))
            except UnicodeDecodeError:
                errors.append(ValidationError(Position(str(file)), "", "not UTF-8 text"))
            except OSError as exc:
                reason = (exc.strerror or str(exc)).lower()
                errors.append(ValidationError(Position(str(file)), "", f"cannot read: {reason}"))
    return texts, errors
