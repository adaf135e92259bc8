"""Mistyped options are usage errors (exit 2, one line naming the option), in every command.

Found by using netwarden as a new user would: ``--protocol FOO`` was an "internal
error" (exit 4), ``--protocol ICMP --port 80`` was read as ICMP type 0 code 80,
``nft --node`` with an unknown node and a missing ``--kubeconfig`` file were "the
machine cannot do it" (exit 3), and ``lab up --serve abc`` was exit 3 too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from netwarden.cli import build_parser, main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SHOP = str(EXAMPLES / "shop-twelve")

PROTOCOL_COMMANDS = {
    "check": ["check", SHOP, "--from", "shop/checkout", "--to", "data/postgres"],
    "matrix": ["matrix", SHOP],
    "who-can-reach": ["who-can-reach", SHOP, "data/postgres"],
    "reachable-from": ["reachable-from", SHOP, "shop/checkout"],
    "lab probe": ["lab", "probe"],
    "lab run": ["lab", "run", SHOP],
    "demo": ["demo", SHOP],
}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv", PROTOCOL_COMMANDS.values(), ids=PROTOCOL_COMMANDS.keys())
def test_an_unknown_protocol_is_a_usage_error_naming_the_protocols(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, *argv, "--protocol", "TPC")
    assert code == 2
    assert ("argument --protocol: invalid protocol 'TPC': must be one of TCP, UDP, SCTP, ICMP, "
            "ICMPv6, UDPLite, or a protocol number 0-255") in err
    assert "internal error" not in err


def test_a_protocol_is_read_in_any_case(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", SHOP, "--from", "shop/checkout", "--to", "data/postgres",
                       "--protocol", "tcp", "--port", "5432")
    assert code == 0
    assert out.startswith("ALLOWED  shop/checkout → data/postgres  TCP/5432")


@pytest.mark.parametrize("argv", [PROTOCOL_COMMANDS["check"], PROTOCOL_COMMANDS["matrix"]],
                         ids=["check", "matrix"])
def test_a_port_with_a_protocol_that_has_none_is_a_usage_error(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *argv, "--protocol", "ICMP", "--port", "80")
    assert code == 2 and out == ""
    assert ("argument --port: ICMP has no ports (--port is for TCP, UDP, SCTP and UDPLite)"
            in err)


@pytest.mark.parametrize(("value", "message"), [
    ("abc", "argument --serve: invalid port 'abc': not a number"),
    ("70000", "argument --serve: invalid port 70000: must be between 1 and 65535"),
    ("80/FOO", "argument --serve: invalid protocol 'FOO'"),
], ids=["not-a-number", "out-of-range", "bad-protocol"])
def test_lab_up_serve_is_checked_as_port_and_protocol_are(
        value: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "lab", "up", SHOP, "--serve", value)
    assert code == 2
    assert message in err


def test_nft_with_an_unknown_node_is_an_input_error_listing_the_nodes(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "nft", SHOP, "--node", "worker-1")
    assert code == 2 and out == ""
    assert err.startswith("error: --node worker-1: no such node; the nodes are node-1 ")
    assert "lab 0000" not in err  # nft builds no lab: its placeholder id is no answer


def test_a_missing_kubeconfig_file_is_an_input_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yaml"
    code, _, err = run(capsys, "matrix", "--kubeconfig", str(missing))
    assert code == 2
    assert err == f"error: --kubeconfig {missing}: no such file\n"


def test_a_reader_that_stops_early_does_not_change_the_exit_code(tmp_path: Path) -> None:
    # explain of 1,000 policies writes far more than a pipe holds; the reader takes one line
    policy = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
              "metadata: {{name: p{0}, namespace: prod}}\n"
              "spec: {{podSelector: {{matchLabels: {{app: a{0}}}}}, ingress: [{{}}]}}\n")
    (tmp_path / "p.yaml").write_text("---\n".join(policy.format(i) for i in range(1000)))
    with subprocess.Popen(
            [sys.executable, "-c", "import sys; from netwarden.cli import main; sys.exit(main())",
             "explain", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read()
        code = proc.wait(timeout=120)
    assert code == 0  # rich's own handler exits 1, the code of "denied"
    assert b"Traceback" not in err


@pytest.mark.parametrize("option", ["--kubeconfig", "--context"])
def test_manifest_paths_and_a_live_cluster_together_are_a_usage_error(
        option: str, capsys: pytest.CaptureFixture[str]) -> None:
    # before, the paths (or the --context) were silently ignored
    code, out, err = run(capsys, "matrix", SHOP, option, "somewhere")
    assert code == 2 and out == ""
    assert err == (f"error: {option} reads a live cluster: give it or manifest paths, "
                   "not both\n")


def test_a_mistyped_option_is_reported_by_its_command_with_the_options_meant(
        capsys: pytest.CaptureFixture[str]) -> None:
    # before, the top-level parser reported it: `usage: netwarden [-h] ... COMMAND ...`
    code, _, err = run(capsys, "lint", SHOP, "--min-sev", "error")
    assert code == 2
    assert err.startswith("usage: netwarden lint ")
    assert err.endswith("netwarden lint: error: unrecognized arguments: --min-sev error; "
                        "did you mean --min-severity?\n")


def test_a_lab_subcommand_reports_its_own_unknown_option(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "lab", "probe", "--prt", "80")
    assert code == 2
    assert err.startswith("usage: netwarden lab probe ")
    assert "unrecognized arguments: --prt 80; did you mean --port" in err


def test_who_can_reach_a_service_refuses_exposure_rather_than_leaving_it_out(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "who-can-reach", str(EXAMPLES / "quickstart"),
                         "staging/svc/backend", "--exposure")
    assert code == 2 and out == ""
    assert err.startswith("error: --exposure: staging/svc/backend is a Service; exposure is "
                          "per workload: ask who-can-reach one of its backends")


@pytest.mark.parametrize("option", ["--grouped", "--exposure"])
def test_matrix_services_refuses_options_it_would_ignore(
        option: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "matrix", SHOP, "--services", option)
    assert code == 2 and out == ""
    assert err == (f"error: {option}: does not go with --services (rows and columns are "
                   "Services there)\n")


def test_nft_nodes_without_node_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "nft", SHOP, "--nodes", "3")
    assert code == 2 and out == ""
    assert err.startswith("error: --nodes spreads pods over nodes for --node NODE")


def test_a_protocol_without_ports_is_fine_where_port_has_a_default() -> None:
    # lab probe's --port defaults to 80: --protocol ICMP alone asks for ping, no port
    args = build_parser().parse_args(["lab", "probe", "--protocol", "icmp"])
    assert args.protocol == "ICMP"


@pytest.mark.parametrize(("argv", "message"), [
    (["--source", "foo"], "argument --source: invalid source 'foo': dir:PATH or kubernetes"),
    (["--source", "dir:x", "--log-level", "loud"], "argument --log-level: invalid choice: "
     "'loud'"),
], ids=["source", "log-level"])
def test_agent_options_are_checked_before_it_starts(
        argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    # --log-level loud was an internal error; --source foo failed only after other checks
    code, _, err = run(capsys, "agent", "--node", "n1", "--lab", "nolab", *argv)
    assert code == 2
    assert message in err



INGRESS_SHOP = str(EXAMPLES / "ingress-shop")


@pytest.mark.parametrize("argv", [
    ["matrix", INGRESS_SHOP],
    ["who-can-reach", INGRESS_SHOP, "shop/web"],
    ["diff", INGRESS_SHOP, INGRESS_SHOP],
], ids=lambda argv: argv[0])
def test_an_ingress_controller_without_exposure_is_a_usage_error(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*argv, "--ingress-controller", "ingress-nginx"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: --ingress-controller: only changes the exposure part of the answer: "
        "add --exposure")


def test_an_ingress_controller_with_exposure_is_taken(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["matrix", INGRESS_SHOP, "--exposure",
                 "--ingress-controller", "ingress-nginx"]) == 0
    assert "through Ingress shop/ingress/shop" in capsys.readouterr().out


def test_an_ingress_controller_for_the_html_report_is_taken(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["matrix", INGRESS_SHOP, "-o", "html",
                 "--ingress-controller", "ingress-nginx"]) == 0
    assert "through Ingress shop/ingress/shop" in capsys.readouterr().out
