"""A CLI that never contradicts itself: one test (or table) per friction point.

Check without a port answers per port range, and its sides agree with it;
replicas are one model in every command; one naming of endpoints; flags mean
the same everywhere; pure Kubernetes answers speak Kubernetes.
"""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

import pytest

from netwarden.cli import build_parser, main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

DB = """\
apiVersion: v1
kind: Namespace
metadata: {name: prod}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
status: {podIP: 10.244.1.2}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {role: db}}
status: {podIP: 10.244.1.3}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: prod}
spec:
  podSelector: {matchLabels: {role: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 7070}]
"""

# egress allows TCP 80 only, the destination's ingress TCP 443 only: each side allows
# something, the connection nothing.
DISJOINT = """\
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: default, labels: {app: a}}
status: {podIP: 10.244.1.2}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: default, labels: {app: b}}
status: {podIP: 10.244.1.3}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a-out, namespace: default}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress: [{ports: [{port: 80}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b-in, namespace: default}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{ports: [{port: 443}]}]
"""


def replicated(replicas: int, policy: bool = True) -> str:
    """A Deployment ``web`` whose pods accept TCP 7070 from each other only."""
    text = f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: default}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec: {{containers: [{{name: c, image: x}}]}}
"""
    if policy:
        text += """\
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
    return text


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's usage errors, as the shell would see them
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


# -- 1. check without --port: an answer per port range, sides that agree ----------------

@pytest.mark.parametrize(("manifest", "src", "dst", "protocol", "code", "answer", "sides"), [
    (DB, "prod/web", "prod/db", "TCP", 0, "allowed on TCP 7070 only",
     {"egress": "allowed on every TCP port", "ingress": "allowed on TCP 7070 only"}),
    (DB, "prod/db", "prod/web", "TCP", 0, "allowed on every TCP port",
     {"egress": "allowed on every TCP port", "ingress": "allowed on every TCP port"}),
    (DB, "prod/web", "prod/db", "UDP", 1, "denied on every UDP port",
     {"egress": "allowed on every UDP port", "ingress": "denied on every UDP port"}),
    (DISJOINT, "default/a", "default/b", "TCP", 1, "denied on every TCP port",
     {"egress": "allowed on TCP 80 only", "ingress": "allowed on TCP 443 only"}),
])
def test_check_without_port_answers_per_port_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], manifest: str, src: str, dst: str,
    protocol: str, code: int, answer: str, sides: dict[str, str],
) -> None:
    path = write(tmp_path, "m.yaml", manifest)
    got, out, _ = run(capsys, "check", path, "--from", src, "--to", dst,
                      "--protocol", protocol, "-o", "json")
    data = json.loads(out)
    assert (got, data["answer"], data["allowed"]) == (code, answer, code == 0)
    assert {side: data[side]["answer"] for side in sides} == sides
    for side in sides:  # a side's verdict is its own answer, never the other side's
        assert data[side]["allowed"] == sides[side].startswith("allowed")
    text_code, text, _ = run(capsys, "check", path, "--from", src, "--to", dst,
                             "--protocol", protocol)
    assert text_code == code
    assert text.splitlines()[0].endswith(answer)
    if code == 0:  # the trace shown is an allowed port's: no side denies it
        assert "denied" not in text


def test_check_without_port_agrees_with_itself_on_a_real_policy_set(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every ordered pair of an example: an allowed answer has no denying side."""
    example = str(EXAMPLES / "seed-prod-dev")
    _, out, _ = run(capsys, "matrix", example, "-o", "json")
    pods = json.loads(out)["endpoints"]
    for src in pods:
        for dst in pods:
            code, out, _ = run(capsys, "check", example, "--from", src, "--to", dst, "-o", "json")
            data = json.loads(out)
            sides = [s for s in (data["egress"], data["ingress"]) if s is not None]
            assert code == (0 if data["allowed"] else 1)
            if data["allowed"]:
                assert all(s["allowed"] for s in sides), (src, dst, data)
            else:
                assert data["answer"].startswith("denied"), (src, dst, data)


# -- 2. replicas: one model in check, matrix, who-can-reach and diff ---------------------

@pytest.mark.parametrize(("replicas", "check_code", "note", "matrix_cell", "peers"), [
    (3, 1, "stands for 3 replicas", [{"protocol": "TCP", "ports": [[7070, 7070]]}],
     ["default/web"]),
    (1, 0, "goes over loopback", "all", []),
])
def test_replicas_have_a_policed_self_pair_and_one_pod_has_loopback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], replicas: int, check_code: int,
    note: str, matrix_cell: object, peers: list[str],
) -> None:
    path = write(tmp_path, "web.yaml", replicated(replicas))
    code, out, _ = run(capsys, "check", path, "--from", "web", "--to", "web", "--port", "80")
    assert code == check_code and note in out
    _, out, _ = run(capsys, "matrix", path, "-o", "json")
    assert json.loads(out)["connections"]["default/web"]["default/web"] == matrix_cell
    _, out, _ = run(capsys, "who-can-reach", path, "default/web", "-o", "json")
    assert [p["peer"] for p in json.loads(out)["peers"]] == peers


@pytest.mark.parametrize(("replicas", "changes"), [
    (3, [("lost", "* (every pod)", "* (every pod)"),
         ("lost", "any other address", "* (every pod)")]),
    (1, [("lost", "any other address", "* (every pod)")]),
])
def test_diff_compares_a_replicated_self_pair_and_never_loopback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], replicas: int,
    changes: list[tuple[str, str, str]],
) -> None:
    before = write(tmp_path, "a.yaml", replicated(replicas, policy=False))
    after = write(tmp_path, "b.yaml", replicated(replicas))
    _, out, _ = run(capsys, "diff", before, after, "-o", "json")
    assert [(c["change"], c["from"], c["to"]) for c in json.loads(out)["changes"]] == changes


# -- 3. names: every form in every command, the key in every answer ---------------------

@pytest.mark.parametrize("name", ["default/web", "web", "default/Deployment/web",
                                  "Deployment/web", "default/deployment/web"])
def test_every_command_takes_every_form_of_a_workload_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str,
) -> None:
    path = write(tmp_path, "web.yaml", replicated(3))
    code, out, _ = run(capsys, "check", path, "--from", name, "--to", name, "-o", "json")
    assert (code, json.loads(out)["from"]) == (0, "default/web")
    for command in ("who-can-reach", "reachable-from"):
        code, out, _ = run(capsys, command, path, name, "-o", "json")
        assert (code, json.loads(out)["subject"]) == (0, "default/web")


@pytest.mark.parametrize(("command", "name"), [
    ("check", "default/Deployment/wbe"), ("check", "prod/web"), ("who-can-reach", "wbe"),
])
def test_a_mistyped_name_gets_a_did_you_mean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, name: str,
) -> None:
    path = write(tmp_path, "web.yaml", replicated(3))
    argv = ["--from", name, "--to", "web"] if command == "check" else [name]
    code, _, err = run(capsys, command, path, *argv)
    assert code == 2
    assert f"error: no pod or endpoint named {name!r}; did you mean default/web?" in err


# -- 4. flags: no abbreviations, -o/-O alike everywhere, ports in range, plain inputs -------

def _parsers(parser: argparse.ArgumentParser, name: str = "netwarden"
             ) -> list[tuple[str, argparse.ArgumentParser]]:
    found = [(name, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                found += _parsers(sub, f"{name} {sub_name}")
    return found


PARSERS = _parsers(build_parser())


def test_no_parser_takes_prefix_abbreviations(capsys: pytest.CaptureFixture[str]) -> None:
    assert [name for name, p in PARSERS if p.allow_abbrev] == []
    code, _, err = run(capsys, "check", "x.yaml", "--from", "a", "--to", "b", "--prot", "80")
    assert code == 2 and "unrecognized arguments: --prot 80" in err


def test_short_options_mean_the_same_in_every_command() -> None:
    meaning: dict[str, set[str]] = {}
    for _, parser in PARSERS:
        for action in parser._actions:
            for flag in action.option_strings:
                if len(flag) == 2 and flag not in ("-h",):
                    meaning.setdefault(flag, set()).add(action.dest)
    assert meaning["-o"] == {"format"}
    assert meaning["-O"] == {"output"}
    assert all(len(dests) == 1 for dests in meaning.values()), meaning


def _examples(parser: argparse.ArgumentParser) -> list[str]:
    text = (parser.epilog or "").replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip().removeprefix("sudo ")
        if line.startswith("netwarden "):
            for stop in (" #", " |", " >"):
                line = line.split(stop)[0]
            out.append(line)
    return out


EXAMPLE_LINES = sorted({e for _, p in PARSERS for e in _examples(p)})


def test_every_command_has_a_help_example() -> None:
    assert [name for name, p in PARSERS if not _examples(p)] == []


@pytest.mark.parametrize("example", EXAMPLE_LINES)
def test_every_help_example_parses(example: str) -> None:
    args = build_parser().parse_args(shlex.split(example)[1:])
    assert getattr(args, "func", None) is not None


@pytest.mark.parametrize(("value", "message"), [
    ("70000", "argument --port: invalid port 70000: must be between 1 and 65535"),
    ("0", "argument --port: invalid port 0: must be between 1 and 65535"),
    ("8o", "argument --port: invalid port '8o': not a number"),
])
def test_an_impossible_port_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], value: str, message: str,
) -> None:
    for argv in (["check", "x.yaml", "--from", "a", "--to", "b"], ["matrix", "x.yaml"],
                 ["who-can-reach", "x.yaml", "prod/db"]):
        code, _, err = run(capsys, *argv, "--port", value)
        assert code == 2 and message in err


def test_an_unreachable_api_server_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("kubernetes")
    config = write(tmp_path, "kubeconfig", KUBECONFIG.format(server="https://127.0.0.1:9"))
    code, out, err = run(capsys, "matrix", "--kubeconfig", config)
    assert (code, out) == (3, "")
    assert err == (f"error: cannot read the cluster at {config} (API server "
                   "https://127.0.0.1:9): Connection refused\n")


KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: "{server}"}}}}]
users: [{{name: u, user: {{token: t}}}}]
contexts: [{{name: kind-dev, context: {{cluster: c, user: u}}}}]
current-context: kind-dev
"""

NO_INPUT = ("error: no input: give manifest paths (files or directories), - for standard "
            "input, -k DIR for a kustomization, or --kubeconfig FILE to read a live cluster")


@pytest.mark.parametrize("configured", [False, True])
def test_no_input_says_so_and_offers_the_current_context(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    configured: bool,
) -> None:
    config = tmp_path / "config"
    if configured:
        config.write_text(KUBECONFIG.format(server="https://127.0.0.1:9"))
    monkeypatch.setenv("KUBECONFIG", str(config))
    code, _, err = run(capsys, "matrix")
    offer = (f"; the kubeconfig {config} has current context 'kind-dev': add --kubeconfig "
             f"{config} to read that cluster") if configured else ""
    assert (code, err) == (2, NO_INPUT + offer + "\n")


# -- 5. vocabulary: Kubernetes words for Kubernetes input -------------------------------

def test_pure_kubernetes_answers_do_not_speak_calico(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = write(tmp_path, "m.yaml", DB)
    _, explained, _ = run(capsys, "explain", path)
    _, checked, _ = run(capsys, "check", path, "--from", "prod/web", "--to", "prod/db",
                        "--port", "80")
    assert explained.splitlines()[0].startswith('prod/db-from-web selects pods where role')
    assert "ingress[0] from[0] ports[0]: Allow from pods" in explained
    assert "ingress denied: prod/db is isolated for ingress by prod/db-from-web and no rule " \
        "there allows TCP/80" in checked
    for text in (explained, checked):
        assert "tier" not in text and "order 1000" not in text and " peer 0" not in text
    _, report, _ = run(capsys, "matrix", path, "-o", "html")
    assert "prod/db-from-web selects pods" in report and "(tier default" not in report


def test_calico_answers_keep_tiers_and_orders(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "explain", str(EXAMPLES / "calico-vpn"))
    assert "(tier felix:failsafe, order 0)" in out


def test_who_can_reach_names_its_column_ports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = write(tmp_path, "m.yaml", DB)
    _, out, _ = run(capsys, "who-can-reach", path, "prod/db")
    assert out.splitlines()[1].split() == ["peer", "pods", "ports"]


# -- 7. verdicts resting on an address netwarden invented -----------------------------

def by_range(web_status: str, peer: str = "{ipBlock: {cidr: 10.244.1.0/24}}") -> str:
    """prod/db accepts ``peer``; prod/web has ``web_status`` (empty: no status.podIP)."""
    return f"""\
apiVersion: v1
kind: Pod
metadata: {{name: web, namespace: prod, labels: {{app: web}}}}
{web_status}
---
apiVersion: v1
kind: Pod
metadata: {{name: db, namespace: prod, labels: {{role: db}}}}
status: {{podIP: 10.0.0.3}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: db-from-range, namespace: prod}}
spec:
  podSelector: {{matchLabels: {{role: db}}}}
  ingress:
  - from: [{peer}]
"""


INVENTED = ("prod/web has no status.podIP: address 10.244.1.2 assigned by netwarden, and the "
            "ipBlock of prod/db-from-range ingress[0] from[0] {how} this ingress verdict; the "
            "real address decides")


@pytest.mark.parametrize(("manifest", "code", "caveats"), [
    (by_range(""), 0, [INVENTED.format(how="decides")]),
    (by_range("", "{ipBlock: {cidr: 10.244.2.0/24}}"), 1,
     [INVENTED.format(how="does not match it, which decides")]),
    (by_range("status: {podIP: 10.244.1.9}"), 0, []),
    (by_range("", "{podSelector: {matchLabels: {app: web}}}"), 0, []),
])
def test_check_says_when_an_ipblock_decides_on_an_invented_address(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], manifest: str, code: int,
    caveats: list[str],
) -> None:
    path = write(tmp_path, "m.yaml", manifest)
    argv = ["check", path, "--from", "prod/web", "--to", "prod/db", "--port", "80"]
    got, out, _ = run(capsys, *argv, "-o", "json")
    assert (got, json.loads(out)["address_caveats"]) == (code, caveats)
    _, text, _ = run(capsys, *argv)
    assert [line.strip() for line in text.splitlines() if line.strip().startswith("!")] == [
        f"! {c}" for c in caveats]


@pytest.mark.parametrize(("manifest", "found"), [
    (by_range(""), True),
    (by_range("status: {podIP: 10.244.1.9}"), False),  # every pod declares its address
    (by_range("", "{ipBlock: {cidr: 10.0.0.0/8, except: [10.244.0.0/16]}}"), False),
    (by_range("", "{ipBlock: {cidr: 192.168.0.0/16}}"), False),  # outside the pod range
])
def test_lint_warns_of_ipblocks_over_invented_addresses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], manifest: str, found: bool,
) -> None:
    path = write(tmp_path, "m.yaml", manifest)
    _, out, _ = run(capsys, "lint", path, "-o", "json")
    nw022 = [f for f in json.loads(out) if f["id"] == "NW022"]
    assert [f["severity"] for f in nw022] == (["warning"] if found else [])
    if found:
        cidr = "10.244.1.0/24"
        assert nw022[0]["message"] == (
            f"prod/db-from-range ingress[0] from[0]: ipBlock {cidr} overlaps the default pod "
            "range 10.244.0.0/16, where netwarden assigned addresses to 1 pod(s) without "
            "status.podIP (prod/web): whether it matches them rests on invented addresses")
        assert nw022[0]["location"] == f"{path}:17"  # the from item


# -- 6. diff: outside addresses always named, one line per change on real policy sets ----

def spread(policy: bool) -> str:
    """c/client and c/other, and one pod in each of n1..n6; with ``policy`` the client may
    open connections to 192.168.0.0/16 only."""
    docs = [f"""\
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: {ns}, labels: {{app: {name}}}}}
""" for ns, name in [("c", "client"), ("c", "other"), *((f"n{i}", "p") for i in range(1, 7))]]
    if policy:
        docs.append("""\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: client-out, namespace: c}
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 192.168.0.0/16}}]}]
""")
    return "---\n".join(docs)


def test_diff_never_hides_outside_addresses_behind_a_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    before, after = write(tmp_path, "a.yaml", spread(False)), write(tmp_path, "b.yaml",
                                                                      spread(True))
    _, out, _ = run(capsys, "diff", before, after)
    assert out.splitlines() == [
        "c/client-out (added):",
        "  - lost   c/client → c/other, n1/p, n2/p, n3/p, +3 more pods, any other address : all",
        "0 gained, 1 lost (one line per change; --format json lists every member)",
    ]
    _, out, _ = run(capsys, "diff", before, after, "-o", "json")
    (change,) = json.loads(out)["changes"]
    assert change["to_members"] == ["any other address", "c/other", "n1/p", "n2/p", "n3/p",
                                    "n4/p", "n5/p", "n6/p"]
    assert change["policies"] == ["c/client-out (added)"]


def test_diff_of_a_real_policy_set_is_one_line_per_change(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """seed-prod-dev: eight policies added to an open cluster."""
    example = EXAMPLES / "seed-prod-dev"
    _, out, _ = run(capsys, "diff", str(example / "cluster.yaml"), str(example), "-o", "json")
    changes = [(c["from"], c["to"], c["text"]) for c in json.loads(out)["changes"]]
    assert changes == [
        ("prod/webserver-1", "dev/testserver-2, prod/webserver-2, prod/webserver-3, "
         "any other address", "all"),
        ("prod/webserver-2, prod/webserver-3", "* (every pod), any other address", "all"),
        ("any other address", "prod/*", "all"),
    ]
