"""The README's transcripts (``$ netwarden ...`` and what it printed) are what netwarden prints.

A transcript whose command names only bundled files runs here and its output must
be the lines under it (a line ``...`` ends the comparison: the rest is left out in
the README). Transcripts over placeholder inputs (``a/``, ``shop/``) are skipped
with that reason. Found by reading the README as a new user: its ``check``
transcript still spoke of "tier default" for Kubernetes-only input, which
netwarden no longer prints.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from netwarden.cli import main

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def transcripts(text: str) -> list[tuple[int, str, list[str]]]:
    """``(line number, command, expected output lines)`` of every ``$ netwarden`` in a
    fenced block; the output runs to the block's end, a blank line or the next command.

    >>> transcripts("```\\n$ netwarden a \\\\\\n    --b\\nout\\n```\\n")
    [(2, 'netwarden a --b', ['out'])]
    """
    found: list[tuple[int, str, list[str]]] = []
    lines = text.splitlines()
    fenced = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            fenced = not fenced
        elif fenced and line.startswith("$ netwarden"):
            start, command = i + 1, line[2:]
            while command.endswith("\\"):
                i += 1
                command = command[:-1].rstrip() + " " + lines[i].strip()
            output: list[str] = []
            while i + 1 < len(lines) and lines[i + 1].strip() and not re.match(
                    r"^(```|\$ |netwarden )", lines[i + 1]):
                i += 1
                output.append(lines[i])
            found.append((start, command, output))
        i += 1
    return found


TRANSCRIPTS = transcripts(README.read_text())


def test_the_readme_has_transcripts() -> None:
    assert len(TRANSCRIPTS) >= 2


@pytest.mark.parametrize(("line", "command", "expected"), TRANSCRIPTS,
                         ids=[f"README.md:{n}" for n, _, _ in TRANSCRIPTS])
def test_a_readme_transcript_is_what_netwarden_prints(
        line: int, command: str, expected: list[str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    argv = shlex.split(command)[1:]
    paths = [a for a in argv if "/" in a and (a.endswith(("/", ".yaml")) or
                                             a.startswith("examples/"))]
    missing = [p for p in paths if not (ROOT / p).exists()]
    if missing:
        pytest.skip(f"README.md:{line} reads {', '.join(missing)}: placeholders, not bundled")
    monkeypatch.chdir(ROOT)
    main(argv)
    printed = capsys.readouterr().out.splitlines()
    if "  ..." in expected or "..." in expected:
        cut = next(i for i, e in enumerate(expected) if e.strip() == "...")
        assert printed[:cut] == expected[:cut]
    else:
        assert printed == expected
