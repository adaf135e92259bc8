"""What every command shares: inputs, formats, consoles, exit codes."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import orjson
import yaml
from rich.console import Console
from rich.markup import escape

from .._api import load_cluster, load_live_cluster
from .._errors import ValidationError
from ..ir import Cluster
from ..ir.services import PORT_PROTOCOLS, PROTOCOL_NAMES, protocol_name, protocol_number
from ..load.scalars import KubeDumper

EXIT_OK, EXIT_NEGATIVE, EXIT_INPUT, EXIT_ENV = 0, 1, 2, 3


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the hand-written examples in epilogs as they are."""


class Parser(argparse.ArgumentParser):
    """No prefix abbreviations: ``--prot 80`` is an error, not ``--protocol 80``.

    Subcommand parsers are made of the same class (argparse's default), so the
    rule holds for every command and lab subcommand.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        """Also: a ``--port`` given with a protocol that has no ports (``--protocol ICMP
        --port 80``) is a usage error, in every command that has both options."""
        parsed, extras = super().parse_known_args(args, namespace)
        if self._subparsers is not None:  # a command's own parser checks its options
            return parsed, extras
        port, protocol = getattr(parsed, "port", None), getattr(parsed, "protocol", None)
        if (isinstance(port, int) and isinstance(protocol, str)
                and port != self.get_default("port")
                and protocol_number(protocol) not in PORT_PROTOCOLS):
            self.error(f"argument --port: {protocol} has no ports (--port is for "
                       "TCP, UDP, SCTP and UDPLite)")
        if extras:
            # a command's own parser: its usage, and the option that was probably meant
            # (left to the top-level parser, the message shows `netwarden COMMAND ...`)
            self.error(f"unrecognized arguments: {' '.join(extras)}{self._did_you_mean(extras)}")
        return parsed, extras

    def _did_you_mean(self, extras: list[str]) -> str:
        options = [o for a in self._actions for o in a.option_strings if o.startswith("--")]
        word = extras[0].split("=", 1)[0]
        close = difflib.get_close_matches(word, options, n=2) if word.startswith("--") else []
        return f"; did you mean {' or '.join(close)}?" if close else ""


def port_number(text: str) -> int:
    """A destination port, 1-65535, for ``--port`` (argparse exits 2 with the message).

    >>> port_number("5432")
    5432
    >>> port_number("70000")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: invalid port 70000: must be between 1 and 65535
    """
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: not a number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {value}: must be between 1 and 65535")
    return value


def protocol_argument(text: str) -> str:
    """A protocol for ``--protocol``: a name in any case or an IP protocol number, written
    as netwarden writes it (argparse exits 2 with the message).

    >>> protocol_argument("udp"), protocol_argument("icmpv6"), protocol_argument("47")
    ('UDP', 'ICMPv6', '47')
    >>> protocol_argument("TPC")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: invalid protocol 'TPC': must be one of TCP, UDP, SCTP, ICMP, ...
    """
    try:
        number = protocol_number(text)
    except ValueError:
        number = -1
    if not 0 <= number <= 255:
        names = ", ".join(PROTOCOL_NAMES.values())
        raise argparse.ArgumentTypeError(
            f"invalid protocol {text!r}: must be one of {names}, or a protocol number 0-255")
    return protocol_name(number)


class _Console(Console):
    """rich's Console, but a reader that stops early (``| head``) changes no exit code."""

    def on_broken_pipe(self) -> None:
        # rich exits 1 here, the code of "denied" even for an allowed connection
        discard_rest(self.file)


def discard_rest(stream: Any) -> None:
    """The reader of ``stream`` went away (``| head``): send the rest of the output to
    /dev/null, so the command ends normally with the exit code of its answer."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, stream.fileno())
    os.close(devnull)


def plural(count: int, word: str) -> str:
    """``count`` and ``word``, in the plural unless the count is one.

    >>> plural(1, "policy"), plural(2, "policy"), plural(0, "namespace")
    ('1 policy', '2 policies', '0 namespaces')
    """
    if count == 1:
        return f"{count} {word}"
    return f"{count} {word[:-1] + 'ies' if word.endswith('y') else word + 's'}"


def console(file: Any = None) -> Console:
    """Colour only on a TTY (rich checks), never when NO_COLOR is set."""
    stream = file or sys.stdout
    # Off a terminal nothing should wrap: lines are read by tools and people alike
    # (COLUMNS still wins, so a caller can ask for a width).
    width = None if stream.isatty() or "COLUMNS" in os.environ else 1000
    # emoji=False: rich would print "x.yaml:100: ..." as "x.yaml💯 ..."
    return _Console(file=stream, no_color="NO_COLOR" in os.environ, highlight=False, emoji=False,
                   soft_wrap=not stream.isatty(), width=width)


def error_console() -> Console:
    return console(sys.stderr)


def add_command(
    sub: Any, name: str, *, help: str, example: str, description: str | None = None
) -> argparse.ArgumentParser:
    return sub.add_parser(  # type: ignore[no-any-return]
        name, help=help, description=description or help, formatter_class=Formatter,
        epilog=f"Example:\n  {example}",
    )


def add_inputs(parser: argparse.ArgumentParser) -> None:
    """Manifest paths, or a live cluster with --kubeconfig/--context (one of them)."""
    parser.add_argument(
        "paths", nargs="*", metavar="PATH",
        help="manifest files or directories (recursive .yaml/.yml/.json), or - for stdin",
    )
    parser.add_argument("-k", "--kustomize", action="append", default=[], metavar="DIR",
                        help="render a kustomization directory, as kubectl apply -k does")
    parser.add_argument("--kubeconfig", help="read a live cluster instead of files")
    parser.add_argument("--context", help="kubeconfig context (with --kubeconfig)")
    add_strictness(parser)


def add_strictness(parser: argparse.ArgumentParser) -> None:
    """``--lenient`` / ``--strict``: how the loader judges what it does not know."""
    strictness = parser.add_mutually_exclusive_group()
    strictness.add_argument("--lenient", dest="strictness", action="store_const",
                            const="lenient", default="default",
                            help="unknown fields are warnings, not errors (CRD fields mixed in)")
    strictness.add_argument("--strict", dest="strictness", action="store_const", const="strict",
                            help="kinds netwarden cannot read yet (AdminNetworkPolicy...) "
                            "are errors, not warnings")


# The words for "the text for a person": commands call it table or text, after what they
# print; either word is accepted wherever one of them is a choice.
_TEXT_FORMATS = ("table", "text")


def add_format(parser: argparse.ArgumentParser, *choices: str, default: str = "table") -> None:
    """``-o``/``--format`` in every command, as kubectl's ``-o``: the format, never a file.

    ``table`` and ``text`` name the same (the default text output) in every command.
    """
    def format_name(text: str) -> str:
        if text in _TEXT_FORMATS and text not in choices:
            return next((c for c in choices if c in _TEXT_FORMATS), text)
        return text

    parser.add_argument("-o", "--format", choices=choices, default=default, type=format_name,
                        help=f"output format (default: {default}; table and text are the same)"
                        if any(c in _TEXT_FORMATS for c in choices)
                        else f"output format (default: {default})")


def add_output(parser: argparse.ArgumentParser) -> None:
    """``-O``/``--output``: the file to write, in every command that can write one."""
    parser.add_argument("-O", "--output", metavar="FILE",
                        help="write to this file instead of standard output")


def load_inputs(args: argparse.Namespace) -> Cluster:
    """The cluster the command works on; its warnings are printed to stderr here, so
    every command that reads manifests shows them."""
    kubeconfig, context = getattr(args, "kubeconfig", None), getattr(args, "context", None)
    if (kubeconfig or context) and (args.paths or getattr(args, "kustomize", None)):
        # one of them would be ignored: never answer for an input the user did not mean
        given = " and ".join(f"--{o}" for o, v in (("kubeconfig", kubeconfig),
                                                  ("context", context)) if v)
        raise ValidationError(None, "", f"{given} reads a live cluster: give it or manifest "
                              "paths, not both")
    if kubeconfig and not os.path.isfile(kubeconfig):
        # a path the user typed, as a missing manifest is: exit 2, not "cannot read the cluster"
        raise ValidationError(None, "", f"--kubeconfig {kubeconfig}: no such file")
    if kubeconfig or context:
        cluster = load_live_cluster(kubeconfig, context)
    elif not args.paths and not getattr(args, "kustomize", None):
        raise ValidationError(None, "", no_input_message())
    else:
        cluster = load_cluster(args.paths, stdin=sys.stdin,
                               strictness=getattr(args, "strictness", "default"),
                               kustomize=getattr(args, "kustomize", None) or ())
    print_warnings(cluster)
    return cluster


def no_input_message(environ: Mapping[str, str] | None = None) -> str:
    """What to say when a command got neither manifests nor ``--kubeconfig``: the ways to
    give input, and the kubeconfig's current context when one is configured."""
    env = os.environ if environ is None else environ
    text = ("no input: give manifest paths (files or directories), - for standard input, "
            "-k DIR for a kustomization, or --kubeconfig FILE to read a live cluster")
    path = env.get("KUBECONFIG", "").split(os.pathsep)[0] or os.path.join(
        env.get("HOME", os.path.expanduser("~")), ".kube", "config")
    context = _current_context(path)
    if context:
        text += (f"; the kubeconfig {path} has current context {context!r}: "
                 f"add --kubeconfig {path} to read that cluster")
    return text


def _current_context(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as fh:
            config = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return None
    context = config.get("current-context") if isinstance(config, dict) else None
    return context if isinstance(context, str) and context else None


def print_warnings(cluster: Cluster) -> None:
    """``warning: file:line: field: ...`` on stderr, one line each."""
    if cluster.warnings:
        err = error_console()
        for warning in cluster.warnings:
            err.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)


def dump(data: Any, fmt: str, *, pretty: bool | None = None) -> str:
    """JSON is indented for a person at a terminal, compact for programs and files.

    JSON is written by orjson (a matrix of 10,000 pods is megabytes of it);
    YAML quotes every string Kubernetes would read as something else.
    """
    if fmt == "json":
        if pretty is None:
            pretty = sys.stdout.isatty()
        option = orjson.OPT_NON_STR_KEYS | (orjson.OPT_INDENT_2 if pretty else 0)
        return orjson.dumps(data, option=option).decode()
    if fmt == "yaml":
        return yaml.dump(data, Dumper=KubeDumper, sort_keys=False, default_flow_style=False)
    raise ValueError(fmt)


@contextlib.contextmanager
def text_output(output: str | None) -> Iterator[None]:
    """What a command prints for people (tables, text) goes to ``-O FILE`` when one is
    given, without colour, as every other format does; standard output otherwise.

    Everything written to ``sys.stdout`` inside goes there, so the consoles made by
    ``console()`` inside write to the file too.
    """
    if not output or output == "-":
        yield
        return
    with _opened(output) as fh, contextlib.redirect_stdout(fh):
        yield


@contextlib.contextmanager
def _opened(output: str) -> Iterator[Any]:
    """``output`` open for writing; a path that cannot be written is the user's input."""
    try:
        fh = open(output, "w", encoding="utf-8")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise ValidationError(None, "", f"{output}: cannot write: {exc.strerror}") from None
    with fh:
        yield fh


def write(text: str, output: str | None = None) -> None:
    if output and output != "-":
        with _opened(output) as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
    else:
        try:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
            sys.stdout.flush()
        except BrokenPipeError:
            discard_rest(sys.stdout)

