"""Ruleset events: ``nft monitor`` in a namespace, so tampering is noticed as it happens.

Deleting the table, a chain or a set by hand, or flushing rules, opens every
pod until someone puts the rules back. Polling the table finds that only at
the next resync; the kernel announces every change of the ruleset to whoever
listens (``NFNLGRP_NFTABLES``), and ``nft monitor ruleset`` prints each as a
line (``delete table inet netwarden``, ``delete rule inet netwarden ep-… handle
7``, …). ``RulesetMonitor`` follows those lines and calls back for every event
about one table; the caller decides, by comparing shapes
(``shape.kernel_shape``), whether it was its own write or tampering.

>>> RulesetMonitor(Table("netwarden"), None, lambda: None).concerns(
...     "delete chain inet netwarden ep-prod/db-ingress")
True
"""

from __future__ import annotations

import logging
import select
import subprocess
import threading
from collections.abc import Callable

from .nft.objects import Table

__all__ = ["RulesetMonitor"]

log = logging.getLogger("netwarden.dataplane.monitor")


class RulesetMonitor:
    """Follows ``nft monitor ruleset`` in ``netns`` (None: the current one) for ``table``.

    ``on_change`` runs in the monitor's thread for every event line about the
    table. The ``nft`` process is restarted (after ``backoff`` seconds) should
    it exit.
    """

    def __init__(self, table: Table, netns: str | None, on_change: Callable[[], None], *,
                 nft: str = "nft", backoff: float = 1.0) -> None:
        self.table = table
        self.netns = netns
        self.on_change = on_change
        self.nft = nft
        self.backoff = backoff
        self.started = threading.Event()  # set once nft is listening

    def concerns(self, line: str) -> bool:
        """Whether an event line is about our table."""
        words = line.split()
        try:
            at = words.index(self.table.family)
        except ValueError:
            return False
        return at + 1 < len(words) and words[at + 1] == self.table.name

    def argv(self) -> list[str]:
        prefix = ["ip", "netns", "exec", self.netns] if self.netns else []
        return [*prefix, self.nft, "monitor", "ruleset"]

    def run(self, stop: threading.Event) -> None:
        """Follow events until ``stop`` is set."""
        while not stop.is_set():
            try:
                proc = subprocess.Popen(self.argv(), stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                        text=True)
            except OSError as exc:
                log.warning("cannot run nft monitor: %s", exc)
                stop.wait(self.backoff)
                continue
            with proc:  # closes the pipe and waits for nft
                try:
                    self._follow(proc, stop)
                finally:
                    proc.kill()
            if not stop.is_set():
                log.warning("nft monitor exited; restarting it")
                stop.wait(self.backoff)

    def _follow(self, proc: subprocess.Popen[str], stop: threading.Event) -> None:
        assert proc.stdout is not None
        self.started.set()
        while not stop.is_set():
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    return
                continue
            line = proc.stdout.readline()
            if not line:
                return
            if self.concerns(line):
                self.on_change()
