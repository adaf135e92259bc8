"""``-o``/``--format`` offers the same words in every command.

The README: every command has ``--format`` with ``table``/``text``, ``json``,
``yaml``. Tried as a new user would: ``check -o table`` was refused (check calls
its text ``text``), ``matrix -o text`` too, and ``nft`` and the ``lab``
subcommands wrote JSON but no YAML.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import yaml

from netwarden.cli import build_parser, main

QUICKSTART = str(Path(__file__).resolve().parents[2] / "examples" / "quickstart")


def _format_choices() -> dict[str, tuple[str, ...]]:
    """``-o`` choices of every command (``lab probe`` for subcommands)."""
    found: dict[str, tuple[str, ...]] = {}

    def walk(name: str, parser: argparse.ArgumentParser) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    walk(f"{name} {sub_name}".strip(), sub)
            elif "--format" in action.option_strings and action.choices:
                found[name] = tuple(action.choices)

    walk("", build_parser())
    return found


FORMATS = _format_choices()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


@pytest.mark.parametrize("command", [c for c, f in FORMATS.items() if "json" in f])
def test_a_command_that_writes_json_writes_yaml_too(command: str) -> None:
    assert "yaml" in FORMATS[command]


@pytest.mark.parametrize(("argv", "word"), [
    (["check", QUICKSTART, "--from", "prod/web", "--to", "prod/db", "--port", "5432"], "table"),
    (["explain", QUICKSTART], "table"),
    (["matrix", QUICKSTART, "--port", "5432"], "text"),
    (["lint", QUICKSTART], "text"),
], ids=["check-table", "explain-table", "matrix-text", "lint-text"])
def test_table_and_text_name_the_same_output(
        argv: list[str], word: str, capsys: pytest.CaptureFixture[str]) -> None:
    default = run(capsys, *argv)
    assert run(capsys, *argv, "-o", word) == default


def test_nft_yaml_holds_what_its_json_holds(capsys: pytest.CaptureFixture[str]) -> None:
    code, as_json = run(capsys, "nft", QUICKSTART, "-o", "json")
    assert code == 0
    code, as_yaml = run(capsys, "nft", QUICKSTART, "-o", "yaml")
    assert code == 0
    assert yaml.safe_load(as_yaml) == json.loads(as_json)


FLOWS = str(Path(__file__).parent / "data" / "quickstart-flows.jsonl")
TEXT_TO_FILE = {
    "matrix": ["matrix", QUICKSTART],
    "matrix --port": ["matrix", QUICKSTART, "--port", "5432"],
    "matrix --services": ["matrix", QUICKSTART, "--services"],
    "lint": ["lint", QUICKSTART],
    "diff": ["diff", str(Path(QUICKSTART) / "cluster.yaml"), QUICKSTART],
    "exposure": ["exposure", QUICKSTART],
    "flows": ["flows", FLOWS],
    "replay": ["replay", str(Path(QUICKSTART) / "cluster.yaml"), str(Path(QUICKSTART) / "policies"),
               "--flows", FLOWS],
}


@pytest.mark.parametrize("argv", TEXT_TO_FILE.values(), ids=TEXT_TO_FILE.keys())
def test_output_file_takes_the_text_output_too(
        argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # before, -O was ignored unless a format was named: the table went to the terminal
    code, printed = run(capsys, *argv)
    assert run(capsys, *argv, "-O", str(tmp_path / "out.txt")) == (code, "")
    assert (tmp_path / "out.txt").read_text() == printed


def test_an_output_file_that_cannot_be_written_is_an_input_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "missing-dir" / "m.json"
    code = main(["matrix", QUICKSTART, "-o", "json", "-O", str(target)])
    assert code == 2
    assert capsys.readouterr().err == (f"error: {target}: cannot write: No such file or "
                                       "directory\n")


def test_validate_counts_in_good_english(capsys: pytest.CaptureFixture[str]) -> None:
    seed = Path(QUICKSTART).parent / "seed-prod-dev"
    code, out = run(capsys, "validate", str(seed / "cluster.yaml"),
                    str(seed / "policies" / "03-default-deny-ingress.yaml"))
    assert code == 0
    assert out == "valid: 1 policy, 5 endpoints, 2 namespaces\n"  # was "1 policies"
