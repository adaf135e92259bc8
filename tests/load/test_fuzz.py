"""A bounded run of the seeded mutation fuzzer (``fuzz.py``): exit 0 or a clean exit 2 each.

``make fuzz`` runs 10,000 mutants; this runs 1,000 in a subprocess (about 10 s)
with the fuzzer's own time limit per case and memory limit, so a hang or a
memory blow-up fails the test instead of the suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FUZZ = Path(__file__).with_name("fuzz.py")


def test_mutants_of_the_examples_are_accepted_or_rejected_cleanly() -> None:
    proc = subprocess.run([sys.executable, str(FUZZ), "--cases", "1000", "--seed", "11", "--json"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.stdout, proc.stderr[-2000:]
    summary = json.loads(proc.stdout)
    assert summary["failures"] == []
    assert summary["outcomes"].keys() <= {"ok", "rejected-field", "rejected-text",
                                          "no-manifests"}
    # every kind of mutation ran, and most mutants were refused with a field named
    assert all(sum(counts.values()) > 0 for counts in summary["by_mutator"].values())
    assert summary["outcomes"]["rejected-field"] > summary["cases"] / 3
