"""Lab namespace plumbing: ``nw…`` names, ``ip -batch``, sysctls, deletion.

Entering a namespace (``inside``) lives in ``netwarden.netns``, shared with the
agent; this module only builds and removes the lab's own namespaces.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence

from .._errors import LabError
from ..netns import inside, list_netns

__all__ = [
    "LAB_NETNS_RE",
    "ip_batch",
    "list_netns",
    "netns_delete",
    "require_root_and_tools",
    "write_sysctls",
]

# Every namespace the lab creates is ``nw<4 hex id>-...``; nothing else is touched.
LAB_NETNS_RE = re.compile(r"^nw[0-9a-f]{4}-")


def write_sysctls(netns: str, values: dict[str, str]) -> None:
    """Set ``net.*`` sysctls inside ``netns`` (``/proc/sys/net`` follows the caller's netns)."""
    with inside(netns):
        for key, value in values.items():
            if not key.startswith("net."):
                raise LabError(f"refusing non-namespaced sysctl {key}")
            path = "/proc/sys/" + key.replace(".", "/")
            try:
                with open(path, "w") as f:
                    f.write(value)
            except OSError as e:
                raise LabError(f"sysctl {key}={value} in {netns}: {e.strerror}") from None


def ip_batch(lines: Sequence[str], netns: str | None = None) -> None:
    """Run ``ip [-n netns] -batch -``; one process for many commands keeps ``up`` fast."""
    if not lines:
        return
    argv = ["ip"] + (["-n", netns] if netns else []) + ["-batch", "-"]
    proc = subprocess.run(
        argv, input="\n".join(lines) + "\n", capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        where = f" in {netns}" if netns else ""
        raise LabError(f"ip -batch{where} failed: {proc.stderr.strip()}")


def ip_batches(batches: Iterable[tuple[str, Sequence[str]]], parallel: int = 8) -> None:
    """Run several per-namespace batches, ``parallel`` processes at a time."""
    pending = [(ns, lines) for ns, lines in batches if lines]
    errors: list[str] = []
    while pending:
        wave, pending = pending[:parallel], pending[parallel:]
        procs = []
        for ns, lines in wave:
            p = subprocess.Popen(
                ["ip", "-n", ns, "-batch", "-"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            procs.append((ns, p, "\n".join(lines) + "\n"))
        for ns, p, text in procs:
            _, err = p.communicate(text)
            if p.returncode != 0:
                errors.append(f"{ns}: {err.strip()}")
    if errors:
        raise LabError("ip -batch failed: " + "; ".join(errors))


def netns_delete(names: Iterable[str]) -> None:
    """Delete namespaces, ignoring ones already gone; never touches non-lab names."""
    existing = list_netns()
    doomed = sorted(n for n in set(names) if LAB_NETNS_RE.match(n) and n in existing)
    if not doomed:
        return
    proc = subprocess.run(
        ["ip", "-force", "-batch", "-"],
        input="".join(f"netns delete {n}\n" for n in doomed),
        capture_output=True,
        text=True,
        check=False,
    )
    left = list_netns() & set(doomed)
    if left:
        raise LabError(f"could not delete namespaces {sorted(left)}: {proc.stderr.strip()}")


def require_root_and_tools(*tools: str) -> None:
    """Fail early with a message a user can act on."""
    if os.geteuid() != 0:
        raise LabError("the lab needs root (network namespaces, veths): run it with sudo")
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        raise LabError(f"the lab needs {', '.join(missing)} on PATH (iproute2 / nftables)")
