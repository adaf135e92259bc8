"""Every example that ``netwarden COMMAND --help`` prints runs, and gives an answer.

The examples are read out of the help texts themselves (the lines after
``Example:``/``Examples:``), so help and code cannot drift apart: a renamed
option, a removed format or a name the bundled example lacks fails here. The
placeholder paths they use (``k8s/``, ``app/``, ``policies/``, ``flows.jsonl``...)
stand for bundled files: ``examples/quickstart`` has the names the help texts use
(``prod/web``, ``prod/db``, ``admin/curl``, ``staging/svc/backend``...), and
``data/quickstart-flows.jsonl`` is a flow log recorded in a lab of it
(``lab up``, connections with ``lab exec``, ``lab flows``), and
``data/quickstart-hubble.json`` the same flows as ``hubble observe -o json``
writes them. Paths under ``examples/`` are the repository's. Each example runs in a
temporary directory, so the files it writes (``-O report.html``) land there.

An example must end with an answer, exit 0 or 1 (the README's table: success or
a negative answer), never 2 (its own usage or names are wrong), 3 or 4. Examples
that need root and a lab (``sudo``), or a live cluster, are listed and skipped
with the reason.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

import pytest

from netwarden.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart"
FLOWS = Path(__file__).parent / "data" / "quickstart-flows.jsonl"
HUBBLE = Path(__file__).parent / "data" / "quickstart-hubble.json"  # the same, as Hubble's

# a path the examples name -> the bundled files that stand for it
PLACEHOLDERS: dict[str, list[Path]] = {
    "k8s/": [QUICKSTART],
    "cluster/": [QUICKSTART],
    "app/": [QUICKSTART / "cluster.yaml", QUICKSTART / "services.yaml"],  # no policies
    "policies/": [QUICKSTART / "policies"],
    "main/k8s/": [QUICKSTART / "cluster.yaml"],   # diff: before the policies ...
    "pr/k8s/": [QUICKSTART],                      # ... and after
    "old.yaml": [QUICKSTART / "cluster.yaml"],
    "new.yaml": [QUICKSTART],
    "flows.jsonl": [FLOWS],
    "hubble.json": [HUBBLE],
}
OUTPUT_OPTIONS = {"-O", "--output"}  # their value is a file to write: never substituted
SKIPS = {  # why an example cannot run in the test suite, by what it needs
    "sudo": "needs root and a network-namespace lab (the lab tests run these paths)",
    "agent": "needs a lab or a live cluster to enforce in",
    "--kubeconfig": "needs a live cluster (kubeconfig)",
}


def _parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    """Every command's parser with its name (``lab up`` for subcommands), in help order."""
    found: list[tuple[str, argparse.ArgumentParser]] = []

    def walk(name: str, parser: argparse.ArgumentParser) -> None:
        found.append((name, parser))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    walk(f"{name} {sub_name}".strip(), sub)

    walk("", build_parser())
    return found


def help_examples(epilog: str) -> list[str]:
    """The example command lines of a help epilog (continued lines joined).

    >>> help_examples("Example:\\n  netwarden a k8s/ \\\\\\n      --x\\n\\nExit codes: ...")
    ['netwarden a k8s/ --x']
    """
    lines = epilog.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() in ("Example:", "Examples:")]
    examples: list[str] = []
    for start in starts:
        pending = ""
        for line in lines[start + 1:]:
            if not line.strip():
                break
            pending += line.strip()
            if pending.endswith("\\"):
                pending = pending[:-1].rstrip() + " "
                continue
            examples.append(pending)
            pending = ""
    return examples


EXAMPLES = [(name or "netwarden", line) for name, parser in _parsers()
            for line in help_examples(parser.epilog or "")]


def argv_of(line: str) -> list[str]:
    """The arguments of an example after ``netwarden``: comments, redirections and pipes
    cut off, placeholder paths replaced by bundled files."""
    words = shlex.split(line, comments=True)
    for stop in (">", "|"):
        if stop in words:
            words = words[:words.index(stop)]
    assert words[0] == "netwarden", line
    argv: list[str] = []
    for i, word in enumerate(words[1:], start=1):
        if words[i - 1] in OUTPUT_OPTIONS:
            argv.append(word)
        elif word in PLACEHOLDERS:
            argv += [str(p) for p in PLACEHOLDERS[word]]
        elif word.startswith("examples/"):
            argv.append(str(ROOT / word))
        else:
            argv.append(word)
    return argv


def test_every_command_has_help_examples() -> None:
    commands = {name for name, parser in _parsers() if name and not _has_subcommands(parser)}
    with_examples = {name for name, _ in EXAMPLES}
    assert commands - with_examples == set()


def _has_subcommands(parser: argparse.ArgumentParser) -> bool:
    return any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)


@pytest.mark.parametrize(("command", "line"), EXAMPLES,
                         ids=[f"{c}: {line}"[:90] for c, line in EXAMPLES])
def test_a_help_example_is_a_netwarden_command(command: str, line: str) -> None:
    words = shlex.split(line, comments=True)
    assert words[words[0] == "sudo":][0] == "netwarden", f"{command} --help: {line}"


@pytest.mark.parametrize(("command", "line"), EXAMPLES,
                         ids=[f"{c}: {line}"[:90] for c, line in EXAMPLES])
def test_a_help_example_runs_and_answers(
        command: str, line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    words = shlex.split(line, comments=True)
    for need, reason in SKIPS.items():
        if need in words[:2] or need in words:
            pytest.skip(f"{command} --help: {reason}")
    monkeypatch.chdir(tmp_path)
    try:
        code = main(argv_of(line))
    except SystemExit as exc:  # argparse refusing the example's own options
        code = int(exc.code or 0)
    _, err = capsys.readouterr()
    assert code in (0, 1), f"{command} --help: `{line}` exited {code}: {err}"
    assert "error:" not in err and "Traceback" not in err, err
