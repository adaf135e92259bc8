"""Tracked connections: list them and delete them (``revocation`` decides which).

With the kernel default ``nf_conntrack_tcp_loose=1`` a
deleted TCP entry is re-created from the next mid-stream segment, so the flow
survives; ``set_tcp_loose(netns, False)`` plus ``ct state invalid drop`` is
what makes a revocation stick (measured in the lab).
"""

from __future__ import annotations

import ipaddress
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from .._errors import ConntrackError, NetwardenError
from ..ir import IPAddress
from .nft.backend import Execer, run_process

__all__ = [
    "Conntrack",
    "ConntrackEntry",
    "ConntrackError",
    "parse_conntrack",
    "set_tcp_loose",
]

_ORIGINAL_KEYS = ("src", "dst", "sport", "dport", "type", "code", "id")


@dataclass(frozen=True, slots=True)
class ConntrackEntry:
    """One tracked connection in its original direction (and the reply addresses)."""

    family: int
    protocol: int
    src: IPAddress
    dst: IPAddress
    sport: int | None = None
    dport: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None
    icmp_id: int | None = None
    state: str | None = None
    reply_src: IPAddress | None = None
    reply_dst: IPAddress | None = None
    timeout: int = 0
    proto_name: str = ""
    reply_sport: int | None = None  # differs from ``dport`` after DNAT (a Service's target)

    def delete_args(self) -> list[str]:
        """``conntrack -D`` filter arguments that select exactly this entry."""
        args = ["-f", "ipv4" if self.family == 4 else "ipv6", "-p", self.proto_name or str(
            self.protocol
        ), "-s", str(self.src), "-d", str(self.dst)]
        if self.sport is not None:
            args += ["--sport", str(self.sport)]
        if self.dport is not None:
            args += ["--dport", str(self.dport)]
        prefix = "--icmpv6" if self.protocol == 58 else "--icmp"
        for name, value in (("type", self.icmp_type), ("code", self.icmp_code),
                            ("id", self.icmp_id)):
            if value is not None:
                args += [f"{prefix}-{name}", str(value)]
        return args


def _parse_line(line: str) -> ConntrackEntry | None:
    tokens = line.split()
    if len(tokens) < 6 or tokens[0] not in ("ipv4", "ipv6"):
        return None
    family = 4 if tokens[0] == "ipv4" else 6
    proto_name, protocol, timeout = tokens[2], int(tokens[3]), int(tokens[4])
    state = None
    original: dict[str, str] = {}
    reply: dict[str, str] = {}
    for token in tokens[5:]:
        if "=" not in token:
            if not token.startswith("[") and state is None and not original:
                state = token
            continue
        key, _, value = token.partition("=")
        if key in _ORIGINAL_KEYS:
            (reply if key in original else original)[key] = value
    if "src" not in original or "dst" not in original:
        return None

    def num(key: str) -> int | None:
        return int(original[key]) if key in original else None

    return ConntrackEntry(
        family=family,
        protocol=protocol,
        src=ipaddress.ip_address(original["src"]),
        dst=ipaddress.ip_address(original["dst"]),
        sport=num("sport"),
        dport=num("dport"),
        icmp_type=num("type"),
        icmp_code=num("code"),
        icmp_id=num("id"),
        state=state,
        reply_src=ipaddress.ip_address(reply["src"]) if "src" in reply else None,
        reply_dst=ipaddress.ip_address(reply["dst"]) if "dst" in reply else None,
        timeout=timeout,
        proto_name=proto_name,
        reply_sport=int(reply["sport"]) if "sport" in reply else None,
    )


def parse_conntrack(text: str) -> list[ConntrackEntry]:
    """Entries of ``conntrack -L -o extended`` output; other lines are ignored.

    >>> parse_conntrack("ipv4 2 tcp 6 30 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 "
    ...     "sport=40000 dport=80 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000")[0].dport
    80
    """
    out = []
    for line in text.splitlines():
        entry = _parse_line(line)
        if entry is not None:
            out.append(entry)
    return out


@dataclass
class Conntrack:
    """The conntrack tool, optionally inside network namespace ``netns``."""

    netns: str | None = None
    execer: Execer = run_process

    def _run(self, *args: str, ok_codes: tuple[int, ...] = (0,)) -> str:
        prefix = ["ip", "netns", "exec", self.netns] if self.netns else []
        try:
            code, out, err = self.execer([*prefix, "conntrack", *args], "")
        except NetwardenError as exc:
            raise ConntrackError(str(exc)) from exc
        if code not in ok_codes:
            raise ConntrackError(f"conntrack {' '.join(args)} failed (exit {code}): {err.strip()}")
        return out

    def list(self) -> list[ConntrackEntry]:
        entries: list[ConntrackEntry] = []
        for family in ("ipv4", "ipv6"):
            entries += parse_conntrack(self._run("-L", "-f", family, "-o", "extended"))
        return entries

    def delete(self, entry: ConntrackEntry) -> None:
        # exit 1 means "0 flow entries deleted": the entry expired meanwhile.
        self._run("-D", *entry.delete_args(), ok_codes=(0, 1))

    def delete_all(self, entries: Sequence[ConntrackEntry]) -> None:
        """``conntrack -D`` for each entry, back to back in one shell in the namespace.

        One ``ip netns exec`` per entry costs ~10 ms each; one shell running
        them all costs a fraction. Exit status 1 of one deletion ("0 flow
        entries deleted": the entry expired meanwhile) is fine.
        """
        if not entries:
            return
        script = "; ".join(
            f"{shlex.join(['conntrack', '-D', *e.delete_args()])} 2>/dev/null"
            f" || [ $? -eq 1 ] || failed=1" for e in entries)
        argv = ["sh", "-c", f"failed=0; {script}; exit $failed"]
        if self.netns:
            argv = ["ip", "netns", "exec", self.netns, *argv]
        try:
            code, _, err = self.execer(argv, "")
        except NetwardenError as exc:
            raise ConntrackError(str(exc)) from exc
        if code != 0:
            raise ConntrackError(f"conntrack -D failed for some of {len(entries)} entries"
                                 f"{': ' + err.strip() if err.strip() else ''}")


def set_tcp_loose(netns: str | None, loose: bool = False, execer: Execer = run_process) -> None:
    """Set ``net.netfilter.nf_conntrack_tcp_loose`` (per network namespace).

    With 0, a mid-stream TCP segment without an entry is ``ct state invalid``
    instead of a new connection, so deleting an entry really cuts the flow.
    """
    prefix = ["ip", "netns", "exec", netns] if netns else []
    argv = [*prefix, "sysctl", "-qw", f"net.netfilter.nf_conntrack_tcp_loose={int(loose)}"]
    code, _, err = execer(argv, "")
    if code != 0:
        raise ConntrackError(f"cannot set nf_conntrack_tcp_loose: {err.strip()}")
