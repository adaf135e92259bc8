"""``lab run --format junit``: real packets as a JUnit report, one testcase per pair."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from netwarden.cli import main

pytestmark = pytest.mark.lab

# A Deployment of three replicas (policed among themselves on TCP 7070 only) and a pod.
MANIFESTS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: default, labels: {app: client}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: default}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 7070}]
"""


def test_lab_run_writes_junit_with_a_testcase_per_pair(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    manifests = tmp_path / "m.yaml"
    manifests.write_text(MANIFESTS)
    report = tmp_path / "lab.xml"
    code = main(["lab", "run", str(manifests), "--port", "80", "-o", "junit",
                 "-O", str(report)])
    assert code == 0 and capsys.readouterr().out == ""
    root = ET.parse(report).getroot()
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert (root.get("tests"), root.get("failures")) == ("4", "0")
    assert sorted(cases) == [f"{s} -> {d} TCP/80" for s in ("default/client", "default/web")
                             for d in ("default/client", "default/web")]
    # client -> web: denied by the policy, and the lab drops it
    assert cases["default/client -> default/web TCP/80"].findtext("system-out") == (
        "blocked, as the engine predicts")
