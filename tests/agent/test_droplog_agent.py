"""The agent's drop log names the pods, the port and the policy that decided."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from .manifests import namespace, pod, policy, text, write_atomic

pytestmark = pytest.mark.lab

DOCS = [
    namespace("prod"),
    pod("prod", "web", "10.244.1.20", app="web"),
    pod("prod", "db", "10.244.1.21", app="db"),
    policy("prod", "db-from-nobody", {"app": "db"}, None),
]


def test_a_denied_connection_is_logged_as_a_readable_line(
        make_lab, start_agent, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    lab = make_lab(DOCS)
    write_atomic(tmp_path / "cluster.yaml", text(*DOCS))
    caplog.set_level(logging.INFO, logger="netwarden.agent")
    start_agent(tmp_path, lab, log_drops=11)
    assert lab.probe([("prod/web", "prod/db")], "TCP", 80, timeout=0.5) == {
        ("prod/web", "prod/db"): False}
    deadline = time.monotonic() + 5
    lines: list[str] = []
    while time.monotonic() < deadline and not lines:
        lines = [r.getMessage() for r in caplog.records
                 if getattr(r, "event", None) == "drop"]
        time.sleep(0.1)
    assert lines, "no drop was logged within 5 s"
    assert lines[0].startswith("drop prod/web -> prod/db TCP/80: ")
    assert "prod/db" in lines[0].split(": ", 1)[1]  # the isolating endpoint/policy is named
