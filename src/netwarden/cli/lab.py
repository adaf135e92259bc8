"""``netwarden lab``: pods as network namespaces, policies enforced with nftables.

Every subcommand but ``up``, ``run``, ``list`` and ``down --all`` works on the
current lab (``--lab ID``, else ``$NETWARDEN_LAB``, else the newest one).
"""

from __future__ import annotations

import argparse
import difflib
import subprocess
from typing import Any

from rich.markup import escape
from rich.table import Table

from .._errors import LabError, LookupFailed
from ._common import (
    EXIT_ENV,
    EXIT_NEGATIVE,
    EXIT_OK,
    Formatter,
    add_format,
    add_output,
    add_strictness,
    console,
    dump,
    error_console,
    plural,
    port_number,
    print_warnings,
    protocol_argument,
    text_output,
    write,
)
from ._counted import counter_rule
from .junit import observations_junit

EPILOG = """Examples:
  sudo netwarden lab up examples/seed-prod-dev/cluster.yaml \\
      examples/seed-prod-dev/policies/07-default-deny-all.yaml
  sudo netwarden lab probe --port 80
  sudo netwarden lab apply examples/seed-prod-dev/policies/08-allow-from-dev-namespace.yaml
  sudo netwarden lab exec prod/webserver-1 -- ip addr
  sudo netwarden lab stats
  sudo netwarden lab down
  sudo netwarden lab run examples/seed-prod-dev --port 80 --protocol TCP --format json
  sudo netwarden lab run examples/seed-prod-dev -o junit -O lab-results.xml

Exit codes: 0 ok (probe/run: no mismatch), 1 mismatches, 2 invalid input,
3 the machine cannot do it (no root, no nft, no such lab)."""


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "lab", help="run the cluster's pods as network namespaces and enforce its policies",
        description="A local lab: every pod is a network namespace, every node a router "
        "namespace running netwarden's nftables ruleset. Needs root, ip, nft and conntrack.",
        formatter_class=Formatter, epilog=EPILOG,
    )
    parser.set_defaults(func=lambda _args: (parser.print_help(), 2)[1])
    cmds = parser.add_subparsers(dest="lab_command", metavar="SUBCOMMAND")

    def cmd(name: str, help: str, example: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = cmds.add_parser(
            name, help=help, description=help, formatter_class=Formatter,
            epilog=f"Example:\n  {example}")
        return p

    p = cmd("up", "build a lab from manifests and enforce their policies",
            "sudo netwarden lab up k8s/ --nodes 2 --host backup=192.168.5.10")
    _paths(p)
    p.add_argument("--nodes", type=int, default=1, help="node namespaces (default 1)")
    p.add_argument("--host", action="append", default=[], metavar="NAME=IP[,IP]",
                   help="an external host (also: kind: LabHost manifests in PATHS)")
    p.add_argument("--serve", action="append", default=[], metavar="PORT[/PROTO]",
                   type=_serve_value,
                   help="extra port every pod serves (besides declared and default ports)")
    p.add_argument("--no-dns", action="store_true",
                   help="add no kube-dns of the lab's own when the manifests have Services "
                   "but none")
    add_format(p, "table", "json", "yaml")
    p.set_defaults(func=_up)

    p = cmd("exec", "run a command in a pod's namespace (like kubectl exec)",
            "sudo netwarden lab exec prod/web -- curl -s 10.244.1.12")
    _lab_opt(p)
    p.add_argument("pod", metavar="NS/POD")
    p.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- CMD...")
    p.set_defaults(func=_exec)

    p = cmd("probe", "connect every pod to every pod and compare with the engine",
            "sudo netwarden lab probe --port 5432 --protocol TCP --format json")
    _lab_opt(p)
    _service(p)
    add_format(p, "table", "json", "yaml", "junit")
    add_output(p)
    p.set_defaults(func=_probe)

    p = cmd("apply", "replace the lab's policies (pods stay) and revoke denied connections",
            "sudo netwarden lab apply policies/ --no-revoke")
    _lab_opt(p)
    _paths(p)
    p.add_argument("--no-revoke", action="store_true",
                   help="keep established connections the new policies deny")
    add_format(p, "table", "json", "yaml")
    p.set_defaults(func=_apply)

    p = cmd("stats", "packets per policy rule, from the nft counters",
            "sudo netwarden lab stats --format json")
    _lab_opt(p)
    p.add_argument("--all", action="store_true", help="also rules that matched nothing")
    add_format(p, "table", "json", "yaml")
    p.set_defaults(func=_stats)

    p = cmd("flows", "the lab's new connections (accepted and denied) since lab up, as flow "
            "records", "sudo netwarden lab flows -O flows.jsonl")
    _lab_opt(p)
    add_output(p)
    p.add_argument("--follow", action="store_true",
                   help="after what was recorded, keep writing new records as they come")
    p.add_argument("--seconds", type=float, default=None,
                   help="with --follow: stop after this many seconds (default: until "
                   "interrupted)")
    p.set_defaults(func=_flows)

    p = cmd("down", "remove the lab (namespaces, daemon, state)", "sudo netwarden lab down --all")
    _lab_opt(p)
    p.add_argument("--all", action="store_true", help="remove every lab on this machine")
    p.set_defaults(func=_down)

    p = cmd("list", "labs on this machine", "sudo netwarden lab list")
    add_format(p, "table", "json", "yaml")
    p.set_defaults(func=_list)

    p = cmd("run", "one shot: up, probe every pair, compare with the engine, down",
            "sudo netwarden lab run examples/seed-prod-dev --port 80 --protocol TCP --format json")
    _paths(p)
    _service(p)
    p.add_argument("--nodes", type=int, default=1, help="node namespaces (default 1)")
    add_format(p, "table", "json", "yaml", "junit")
    add_output(p)
    p.set_defaults(func=_run)


def _paths(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="manifest files or directories, or - for stdin")
    add_strictness(p)


def _lab_opt(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lab", metavar="ID", help="lab id (default: $NETWARDEN_LAB or the newest)")


def _service(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=port_number, default=80, help="destination port (default 80)")
    p.add_argument("--protocol", default="TCP", type=protocol_argument,
                   help="TCP, UDP or ICMP (SCTP: not in this kernel)")
    p.add_argument("--family", type=int, choices=(4, 6), help="address family (default: each "
                   "pod's first address)")


def _lab(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from ..lab import Lab

    return Lab.load(args.lab) if args.lab else Lab.current()


def _serve_value(text: str) -> str:
    """``--serve PORT[/PROTO]`` checked as ``--port`` and ``--protocol`` are (exit 2)."""
    port, _, proto = text.partition("/")
    port_number(port)
    if proto:
        protocol_argument(proto)
    return text


def _serve_ports(values: list[str]) -> list[tuple[int, int]]:
    from ..ir.services import TCP, UDP, protocol_number

    out: list[tuple[int, int]] = []
    for v in values:
        port, _, proto = v.partition("/")
        try:
            number = int(port)
        except ValueError:
            raise LabError(f"--serve wants PORT[/PROTO], not {v!r}") from None
        protos = [protocol_number(proto)] if proto else [TCP, UDP]
        out += [(number, p) for p in protos]
    return out


def _warn_tampered(lab: Any, cluster: Any) -> None:
    """A warning per node whose table is not what netwarden wrote (deleted, flushed...)."""
    from ..lab.enforcement import tampered

    for node, what in tampered(lab, cluster).items():
        error_console().print(f"warning: node {node}: {what}; `netwarden lab apply` restores it")


# -- subcommands ----------------------------------------------------------------
def _up(args: argparse.Namespace) -> int:
    from ..lab.enforcement import Enforcer
    from ..lab.lifecycle import up

    ports = _serve_ports(args.serve)
    lab, cluster = up(args.paths, Enforcer(), hosts=args.host, nodes=args.nodes, ports=ports,
                      keep=True, dns=not args.no_dns, strictness=args.strictness)
    print_warnings(cluster)
    rows: list[dict[str, Any]] = [
        {"endpoint": a.key, "kind": a.kind, "node": a.node, "netns": a.netns,
         "ips": [str(i) for i in a.ips]} for a in lab.topology.attachments]
    if args.format in ("json", "yaml"):
        write(dump({"lab": lab.id, "policies": len(cluster.policies), "endpoints": rows},
                   args.format))
        return EXIT_OK
    out = console()
    out.print(f"lab [bold]{lab.id}[/] is up: {len(rows)} endpoints on {len(lab.nodes)} node(s), "
              f"{len(cluster.policies)} policies enforced")
    table = Table(box=None, pad_edge=False, padding=(0, 2))
    for col in ("endpoint", "kind", "node", "IPs", "netns"):
        table.add_column(col, no_wrap=True)
    for r in rows:
        table.add_row(r["endpoint"], r["kind"], r["node"], ", ".join(r["ips"]), r["netns"])
    out.print(table)
    _print_services(lab, cluster)
    out.print(f"next: netwarden lab probe --port 80   (NETWARDEN_LAB={lab.id} picks this lab)")
    return EXIT_OK


def _print_services(lab: Any, cluster: Any) -> None:
    """One line per Service: its name, addresses and ready backends; where pods resolve."""
    if not cluster.services:
        return
    out = console()
    out.print(f"{len(cluster.services)} Service(s), load-balanced by table inet "
              "netwarden-services on every node:")
    for svc in cluster.services:
        where = ", ".join(str(f) for f in svc.frontends) or (
            "headless" if svc.headless else "no frontend")
        out.print(f"  {svc.namespace}/{svc.name}  {where}  "
                  f"({len(svc.ready_backends)} ready backend(s))")
    topo = lab.topology
    if topo.nameservers:
        out.print(f"cluster DNS: {', '.join(topo.nameservers)} "
                  f"({', '.join(topo.dns_servers) or 'no pod serves it'}); node addresses: "
                  + ", ".join(f"{n.name} {', '.join(map(str, n.ips))}" for n in topo.nodes))


def _exec(args: argparse.Namespace) -> int:
    argv = list(args.argv)
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        error_console().print("error: give a command after --")
        return 2
    lab = _lab(args)
    netns = lab.netns(endpoint_key(lab, args.pod))
    try:
        return subprocess.run(["ip", "netns", "exec", netns, *argv], check=False).returncode
    except FileNotFoundError:
        raise LabError("ip (iproute2) is not on PATH") from None


def endpoint_key(lab: Any, name: str) -> str:
    """The lab's key for a pod named as every command names one (``ns/pod``,
    ``ns/Kind/workload``, a pod name in ``default``); a mistyped one gets a did-you-mean."""
    keys = lab.topology.by_key
    parts = name.split("/")
    forms = [name, *([f"{parts[0]}/{parts[2]}"] if len(parts) == 3 else []),
             *([f"default/{name}"] if len(parts) == 1 else [])]
    for form in forms:
        if form in keys:
            return form
    close = ([k for k in keys if k.rsplit("/", 1)[-1] == parts[-1]]
             or difflib.get_close_matches(forms[-1], list(keys), n=1))
    raise LookupFailed(f"no pod or endpoint named {name!r} in lab {lab.id}"
                       + (f"; did you mean {close[0]}?" if close else ""))


def _observe(lab: Any, cluster: Any, args: argparse.Namespace) -> Any:
    from ..lab import ProbeUnsupported
    from ..lab.observe import observe, unserved

    proto = args.protocol.upper()
    port = None if proto in ("ICMP", "ICMPV6") else args.port
    missing = unserved(lab, proto, port)
    if missing:
        error_console().print(f"warning: {', '.join(missing)} do not serve {proto}/{port}: "
                              "those cells read blocked (lab up --serve PORT)")
    try:
        return observe(lab, cluster, proto, port, family=args.family)
    except ProbeUnsupported as e:
        error_console().print(f"skipped: {e}")
        return None


def _probe(args: argparse.Namespace) -> int:
    from ..lab.manifests import current_cluster

    lab = _lab(args)
    cluster = current_cluster(lab.id)
    _warn_tampered(lab, cluster)
    obs = _observe(lab, cluster, args)
    if obs is None:
        return EXIT_ENV
    return _report(obs, args.format, args.output)


def _report(obs: Any, fmt: str, output: str | None = None) -> int:
    if fmt in ("json", "yaml"):
        write(dump(obs.to_json(), fmt), output)
    elif fmt == "junit":
        write(observations_junit([obs]), output)
    else:
        with text_output(output):
            print_observation(obs)
    return EXIT_NEGATIVE if obs.mismatches else EXIT_OK


def print_observation(obs: Any) -> None:
    """Observed matrix; a cell differing from the engine is marked ``!``."""
    out = console()
    port = f"/{obs.port}" if obs.port is not None else ""
    out.print(f"{obs.protocol}{port} observed with real packets: ✓ connected  · blocked  "
              "[bold red]![/] differs from the engine")
    table = Table(box=None, pad_edge=False, padding=(0, 1))
    table.add_column("from \\ to", no_wrap=True)
    for i, _ in enumerate(obs.endpoints, 1):
        table.add_column(str(i), justify="center", no_wrap=True)
    for i, src in enumerate(obs.endpoints, 1):
        cells = []
        for dst in obs.endpoints:
            seen, want = obs.observed[src][dst], obs.expected[src][dst]
            mark = "✓" if seen else "·"
            cells.append(f"[green]{mark}[/]" if seen == want and seen else
                         f"[red]{mark}[/]" if seen == want else f"[bold red]{mark}![/]")
        table.add_row(f"{i:>2} {src}", *cells)
    out.print(table)
    if obs.mismatches:
        out.print(f"[bold red]{len(obs.mismatches)} mismatch(es)[/] with the engine:")
        for s, d, want, seen in obs.mismatches:
            out.print(f"  {s} -> {d}: engine {'allows' if want else 'denies'}, "
                      f"lab {'connected' if seen else 'blocked'}")
    else:
        out.print("lab and engine agree on every pair")


def _apply(args: argparse.Namespace) -> int:
    from ..lab.enforcement import Enforcer

    lab = _lab(args)
    report = Enforcer().apply_policies(lab, args.paths, revoke_flows=not args.no_revoke,
                                       strictness=args.strictness)
    for warning in report.warnings:
        error_console().print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    if args.format in ("json", "yaml"):
        write(dump(report.to_json(), args.format))
        return EXIT_OK
    out = console()
    for what, names in (("added", report.added), ("removed", report.removed),
                        ("changed", report.changed)):
        for name in names:
            out.print(f"  {what:<8} {name}")
    if not (report.added or report.removed or report.changed):
        out.print("  no policy changed")
    ops = ", ".join(f"{n}: {'full rewrite' if s.full else 'incremental'} "
                    f"({s.operations} operations)" for n, s in report.stats.items())
    out.print(f"applied atomically on {ops}")
    if args.no_revoke:
        out.print("established connections kept (--no-revoke)")
    else:
        out.print(f"revoked {plural(len(report.revoked), 'connection')} the new policies deny")
        for node, e in report.revoked:
            port = f":{e.dport}" if e.dport is not None else ""
            out.print(f"  {node}: {e.proto_name} {e.src} -> {e.dst}{port}")
    return EXIT_OK


def _stats(args: argparse.Namespace) -> int:
    from ..lab.counters import rule_counters
    from ..lab.manifests import current_cluster

    lab = _lab(args)
    cluster = current_cluster(lab.id)
    _warn_tampered(lab, cluster)
    counters = [c for c in rule_counters(lab, cluster) if args.all or c.packets]
    if args.format in ("json", "yaml"):
        write(dump([c.__dict__ for c in counters], args.format))
        return EXIT_OK
    table = Table(box=None, pad_edge=False, padding=(0, 2))
    for col, just in (("packets", "right"), ("bytes", "right"), ("verdict", "left"),
                      ("rule", "left")):
        table.add_column(col, justify=just, no_wrap=True)  # type: ignore[arg-type]
    for c in counters:
        table.add_row(str(c.packets), str(c.bytes), c.verdict, counter_rule(c.origin, cluster))
    out = console()
    out.print(table if counters else "no rule has counted a packet yet")
    return EXIT_OK


def _flows(args: argparse.Namespace) -> int:
    import sys
    import threading

    from ..lab.flows import follow, recorded, recorder_status
    from ..lab.recorder import running

    lab = _lab(args)
    status = recorder_status(lab.id)
    if status is None:
        raise LabError(f"lab {lab.id} records no flows (it was not made by `netwarden lab "
                       "up`)")
    stop = threading.Event()
    count = 0
    out = open(args.output, "wb") if args.output else sys.stdout.buffer  # noqa: SIM115
    timer = threading.Timer(args.seconds, stop.set) if args.follow and args.seconds else None
    if timer is not None:
        timer.start()
    try:
        for line in follow(lab.id, stop) if args.follow else recorded(lab.id):
            out.write(line)
            count += 1
            if args.follow:
                out.flush()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        if timer is not None:
            timer.cancel()
        if args.output:
            out.close()
        else:
            out.flush()
    status = recorder_status(lab.id) or status
    notes = [f"lab {lab.id}: {count} flow record(s)"]
    if status.get("sampled_out"):
        notes.append(f"{status['sampled_out']} left out of the log by sampling")
    rotations = status.get("rotations")
    if isinstance(rotations, int) and rotations > 1:  # it keeps its last two files
        notes.append(f"the log rotated {rotations} times: its oldest records are gone")
    if status.get("overruns"):
        notes.append(f"{status['overruns']} socket overrun(s): the recorder lost messages "
                     "(never packets)")
    if status.get("staged_denied"):
        notes.append(f"staged policies would deny {status['staged_denied']} (not enforced)")
    if not running(lab.id):
        notes.append("the recorder is not running" + (
            f" ({status['error']})" if status.get("error") else ""))
    error_console().print("; ".join(notes))
    return EXIT_OK


def _down(args: argparse.Namespace) -> int:
    from ..lab import Lab
    from ..lab.lifecycle import down, prune

    if args.all:
        gone = Lab.down_all()
        prune()
        console().print(f"removed {len(gone)} lab(s){': ' + ', '.join(gone) if gone else ''}")
        return EXIT_OK
    lab = _lab(args)
    down(lab)
    console().print(f"lab {lab.id} removed")
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    from ..lab import Lab
    from ..lab.manifests import sources_of

    rows: list[dict[str, Any]] = []
    for lab_id in Lab.ids():
        try:
            lab = Lab.load(lab_id)
        except (LabError, ValueError, KeyError):
            continue
        src = sources_of(lab_id)
        rows.append({"lab": lab_id, "nodes": len(lab.nodes), "endpoints": len(lab.keys),
                     "manifests": src.get("cluster", []), "policies": src.get("policies")})
    if args.format in ("json", "yaml"):
        write(dump(rows, args.format))
        return EXIT_OK
    out = console()
    if not rows:
        out.print("no lab is up")
    for r in rows:
        pol = r["policies"] if r["policies"] is not None else "as in the manifests"
        out.print(f"{r['lab']}  {r['nodes']} node(s), {r['endpoints']} endpoints  "
                  f"manifests: {' '.join(r['manifests'])}  policies: {pol}")
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from ..ir.services import protocol_number
    from ..lab.enforcement import Enforcer
    from ..lab.lifecycle import down, up

    proto = args.protocol.upper()
    extra = [(args.port, protocol_number(proto))] if proto in ("TCP", "UDP") else []
    enforcer = Enforcer()
    lab, cluster = up(args.paths, enforcer, nodes=args.nodes, ports=extra,
                      strictness=args.strictness, record_flows=False)  # one probe, no flows
    print_warnings(cluster)
    try:
        obs = _observe(lab, cluster, args)
    finally:
        down(lab, enforcer)
    if obs is None:
        return EXIT_ENV
    return _report(obs, args.format, args.output)
