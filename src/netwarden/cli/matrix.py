"""``netwarden matrix``: who can reach whom, for one port or for every port."""

from __future__ import annotations

import argparse
from typing import Any

from rich.table import Table

from .._errors import LookupFailed, ValidationError
from ..analysis.exposure import exposure
from ..analysis.exposure_text import markdown, text_lines
from ..analysis.matrix import full_matrix, port_matrix
from ..analysis.render import service_matrix_text
from ..analysis.service_matrix import service_matrix
from ..engine import Connectivity, Engine
from ._common import (
    EXIT_OK,
    add_command,
    add_format,
    add_inputs,
    add_output,
    console,
    dump,
    load_inputs,
    protocol_argument,
    text_output,
    write,
)
from .exposure import add_controller_option, controllers, controllers_for_exposure
from .service_target import port_argument

# Above this many pods the text table groups pods with identical connectivity.
TEXT_GROUP_THRESHOLD = 30
FORMATS = ("table", "json", "yaml", "csv", "md", "dot", "html")
EXPOSURE_FORMATS = ("table", "json", "yaml", "md")


def register(sub: Any) -> None:
    parser = add_command(
        sub, "matrix", help="connectivity matrix, for one port or for every port",
        example="netwarden matrix k8s/ --port 80 --protocol TCP\n"
        "  netwarden matrix k8s/ --format json --grouped\n"
        "  netwarden matrix k8s/ --external    # with the ranges ipBlocks name\n"
        "  netwarden matrix k8s/ --services    # Services, and pods that back none\n"
        "  netwarden matrix k8s/ -o html -O report.html",
    )
    add_inputs(parser)
    parser.add_argument("--port", type=port_argument,
                        help="one destination port (default: every port); with --services, "
                        "a Service port's name too")
    parser.add_argument("--protocol", default="TCP", type=protocol_argument,
                        help="with --port: TCP, UDP, SCTP, ICMP…")
    parser.add_argument("--grouped", action="store_true",
                        help="group pods whose connectivity is identical")
    parser.add_argument("--external", action="store_true",
                        help="also show the address ranges outside the cluster that the "
                        "policies name (ipBlocks, Calico nets), plus 'any other address'")
    parser.add_argument("--services", action="store_true",
                        help="rows and columns are Services (their ready backends, on each "
                        "Service port's targetPort) and the pods that back none")
    parser.add_argument("--exposure", action="store_true",
                        help="also list what each workload is open to in selector terms "
                        "(as `netwarden exposure`), with table, json, yaml or md")
    add_controller_option(parser)
    add_format(parser, *FORMATS)
    add_output(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    controllers_for_exposure(args, shown=args.format == "html")  # the report has exposure
    cluster = load_inputs(args)
    conn: Connectivity
    if args.external:
        from ..analysis.external import ExternalConnectivity

        conn = ExternalConnectivity(cluster)
    else:
        conn = Engine(cluster).connectivity
    if args.exposure and args.format not in EXPOSURE_FORMATS:
        raise ValidationError(None, "--exposure", "goes with --format table, json, yaml or md, "
                              f"not {args.format}")
    if args.services:
        ignored = [o for o, given in (("--grouped", args.grouped), ("--exposure", args.exposure))
                   if given]
        if ignored:  # they were silently left out of the Service matrix
            raise ValidationError(None, ignored[0], "does not go with --services (rows and "
                                  "columns are Services there)")
        return _run_services(args, conn)
    if isinstance(args.port, str):
        raise LookupFailed(f"--port {args.port}: a port name is a Service port's name "
                           "(use --services)")
    single = args.port is not None or args.protocol.upper() in ("ICMP", "ICMPV6")
    if args.format in ("json", "yaml"):
        data = (port_matrix(conn, args.protocol, args.port, grouped=args.grouped) if single
                else full_matrix(conn, grouped=args.grouped))
        if args.exposure:
            found = exposure(cluster, controllers=controllers(args))
            data["exposure"] = found.to_data()["workloads"]
        write(dump(data, args.format), args.output)
        return EXIT_OK
    if args.format != "table":
        from ..analysis import render  # formats for people: csv, md, dot, html

        text = render.matrix(cluster, conn, args.format, protocol=args.protocol,
                             port=args.port if single else None, grouped=args.grouped,
                             controllers=controllers(args))
        if args.exposure:  # md
            found = exposure(cluster, controllers=controllers(args))
            text = text.rstrip("\n") + "\n\n" + markdown(found)
        write(text, args.output)
        return EXIT_OK
    with text_output(args.output):
        _run_table(args, cluster, conn, single)
    return EXIT_OK


def _run_table(args: argparse.Namespace, cluster: Any, conn: Connectivity, single: bool) -> None:
    grouped = args.grouped or len(conn.endpoints) > TEXT_GROUP_THRESHOLD
    if single:
        data = port_matrix(conn, args.protocol, args.port, grouped=grouped)
        _print_bool(data, grouped)
    else:
        data = full_matrix(conn, grouped=grouped)
        _print_full(data, grouped)
    if args.exposure:
        out = console()
        out.print("\nExposure (peers the policies admit, existing or not):", highlight=False)
        for line in text_lines(exposure(cluster, controllers=controllers(args)), indent="  "):
            out.print(line, markup=False, highlight=False)


def _run_services(args: argparse.Namespace, conn: Connectivity) -> int:
    explicit = args.port is not None or args.protocol.upper() != "TCP"
    data = service_matrix(conn, args.protocol if explicit else None, args.port)
    if args.format in ("json", "yaml"):
        write(dump(data, args.format), args.output)
        return EXIT_OK
    if args.format in ("csv", "md"):
        write(service_matrix_text(data, args.format), args.output)
        return EXIT_OK
    if args.format != "table":
        raise ValidationError(None, "--format", f"matrix --services writes table, json, yaml, "
                              f"csv or md, not {args.format}")
    with text_output(args.output):
        _services_table(args, data)
    return EXIT_OK


def _services_table(args: argparse.Namespace, data: dict[str, Any]) -> None:
    names = data["nodes"]
    legend: dict[str, str] = {}
    what = (f"{data['protocol'] or 'every protocol'}" + (f" port {data['port']}"
                                                          if data["port"] is not None else ""))
    table = _table(f"Services and pods that back none, {what}: ● all backends  ◐ some  "
                   "· none  (a,b… see legend)", names, data, False)
    for i, src in enumerate(names, 1):
        cells = []
        for dst in names:
            entries = data["connections"][src][dst]
            marks = [entry["allowed"] for entry in entries]
            if not marks or all(m == "none" for m in marks):
                cells.append("[red]·[/]")
            elif len(entries) == 1 and args.port is not None:
                cells.append("[green]●[/]" if marks[0] == "all" else "[yellow]◐[/]")
            else:
                text = "; ".join(f"{e['port']}: {e['allowed']}" for e in entries
                                 if e["allowed"] != "none")
                code = legend.setdefault(text, chr(ord("a") + len(legend) % 26))
                cells.append(f"[yellow]{code}[/]")
        table.add_row(f"{i:>2} {_shorten(src, _room(len(names)))} ", *cells)
    out = console()
    out.print(table)
    for text, code in legend.items():
        out.print(f"  [yellow]{code}[/] = {text}", markup=True, highlight=False)


def _rows(data: dict[str, Any], grouped: bool) -> list[str]:
    return list(data["groups"]) if grouped else list(data["endpoints"])


def _label(name: str, data: dict[str, Any], grouped: bool, room: int) -> str:
    if grouped:
        members = data["groups"][name]
        shown = ", ".join(members[:3]) + (f" +{len(members) - 3}" if len(members) > 3 else "")
        name = f"{name} ({shown})"
    return _shorten(name, room)


def _shorten(text: str, room: int) -> str:
    """Cut the middle, keeping the namespace and the distinguishing suffix."""
    if len(text) <= room or room < 8:
        return text
    head = (room - 1) // 2
    return text[:head] + "…" + text[len(text) - (room - 1 - head):]


def _room(count: int) -> int:
    return console().width - 3 * count - 4


def _table(title: str, names: list[str], data: dict[str, Any], grouped: bool) -> Table:
    console().print(title)
    # Three characters a column: 30 pods fit a 120-column terminal with their names.
    table = Table(show_lines=False, pad_edge=False, box=None, padding=(0, 0))
    table.add_column("from \\ to", no_wrap=True)
    for i, _ in enumerate(names, 1):
        table.add_column(str(i), justify="center", no_wrap=True, min_width=3)
    return table


def _print_bool(data: dict[str, Any], grouped: bool) -> None:
    names = _rows(data, grouped)
    port = f"/{data['port']}" if data["port"] is not None else ""
    table = _table(f"{data['protocol']}{port}: ✓ allowed  · denied", names, data, grouped)
    for i, src in enumerate(names, 1):
        cells = ["[green]✓[/]" if data["allowed"][src][dst] else "[red]·[/]" for dst in names]
        table.add_row(f"{i:>2} {_label(src, data, grouped, _room(len(names)))} ", *cells)
    console().print(table)


def _print_full(data: dict[str, Any], grouped: bool) -> None:
    names = _rows(data, grouped)
    legend: dict[str, str] = {}
    table = _table("all ports: ● everything  · nothing  a,b… see legend", names, data, grouped)
    for i, src in enumerate(names, 1):
        cells = []
        for dst in names:
            value = data["connections"][src][dst]
            if value == "all":
                cells.append("[green]●[/]")
            elif not value:
                cells.append("[red]·[/]")
            else:
                text = _services_text(value)
                code = legend.setdefault(text, chr(ord("a") + len(legend) % 26))
                cells.append(f"[yellow]{code}[/]")
        table.add_row(f"{i:>2} {_label(src, data, grouped, _room(len(names)))} ", *cells)
    out = console()
    out.print(table)
    for text, code in legend.items():
        out.print(f"  [yellow]{code}[/] = {text}")


def _services_text(value: list[dict[str, Any]]) -> str:
    parts = []
    for entry in value:
        ports = entry.get("ports") or entry.get("types")
        if ports is None:
            parts.append(entry["protocol"])
        else:
            spans = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in ports)
            parts.append(f"{entry['protocol']} {spans}")
    return "; ".join(parts)
