"""Entering a network namespace from Python: the one place netwarden calls setns.

The lab (building nodes, serving and probing pods) and the agent (reading
NFLOG drops inside a node's namespace) both need it, and neither may import
the other, so it sits at the bottom of the package beside ``_errors``: it
knows nothing of policies, nftables or labs, only of ``/run/netns``.

Python 3.11 has no ``os.setns``, so the switch goes through libc. Every switch
is scoped (``inside``) and checked by inode, so a failed switch can never
leave a socket, a sysctl write or a route in the machine's root namespace.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterator
from contextlib import contextmanager

from ._errors import NamespaceError

__all__ = ["NETNS_DIR", "inside", "list_netns"]

NETNS_DIR = "/run/netns"
CLONE_NEWNET = 0x40000000

_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise NamespaceError(f"setns failed: {os.strerror(err)}")


def _self_ino() -> int:
    return os.stat("/proc/thread-self/ns/net").st_ino


@contextmanager
def inside(netns: str) -> Iterator[None]:
    """Run the body in named namespace ``netns`` (this thread only), then come back.

    Sockets created in the body stay in ``netns`` after the block ends.
    Raises ``NamespaceError`` if the namespace does not exist or cannot be entered.
    """
    path = os.path.join(NETNS_DIR, netns)
    try:
        target = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise NamespaceError(f"network namespace {netns} does not exist") from None
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        _setns(target)
        if _self_ino() != os.fstat(target).st_ino:  # paranoia: never act in the wrong ns
            _setns(home)
            raise NamespaceError(f"could not enter network namespace {netns}")
        try:
            yield
        finally:
            _setns(home)
    finally:
        os.close(target)
        os.close(home)


def list_netns() -> set[str]:
    """Names of the namespaces under ``/run/netns`` (``ip netns list``)."""
    try:
        return set(os.listdir(NETNS_DIR))
    except FileNotFoundError:
        return set()
