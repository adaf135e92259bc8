"""Start-up imports only what the command needs (timings live in benchmarks/bench_cli.py)."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
import netwarden
after_package = sorted(m for m in sys.modules if m.startswith("netwarden."))
from netwarden.cli import main
main(sys.argv[1:])
print(json.dumps({"package": after_package,
                  "all": sorted(m for m in sys.modules if m.startswith("netwarden."))}))
"""


def imported(*argv: str) -> dict[str, list[str]]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True,
                          check=True)
    return json.loads(proc.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def test_import_netwarden_loads_only_the_errors_until_a_name_is_used() -> None:
    assert imported("--version")["package"] == ["netwarden._errors"]


def test_version_imports_no_command() -> None:
    assert imported("--version")["all"] == ["netwarden._errors", "netwarden.cli"]


def test_a_command_imports_its_module_and_no_other_command() -> None:
    modules = imported("validate", "examples/seed-prod-dev")["all"]
    commands = {m for m in modules
                if m.startswith("netwarden.cli.") and m != "netwarden.cli._common"}
    assert commands == {"netwarden.cli.validate"}
    assert not any(m.startswith(("netwarden.dataplane", "netwarden.lab", "netwarden.agent"))
                   for m in modules)


def test_lazy_names_are_the_public_objects() -> None:
    import netwarden
    from netwarden.engine import Engine

    assert netwarden.Engine is Engine
    assert set(netwarden.__all__) <= set(dir(netwarden))
