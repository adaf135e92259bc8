"""Running transactions: the ``NftBackend`` seam and the real ``nft`` binary.

Failures of the subprocess are translated into ``NftError`` here and nowhere
else. ``SystemNft`` runs ``nft -f -`` once per transaction, so the kernel
applies the whole batch or none of it; with ``netns`` it runs inside that
network namespace through ``ip netns exec``.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..._errors import NftError
from .objects import Table
from .transaction import Transaction

__all__ = ["Execer", "NftBackend", "SystemNft", "run_process"]

# argv, stdin → (returncode, stdout, stderr); tests inject their own.
Execer = Callable[[Sequence[str], str], tuple[int, str, str]]


def run_process(argv: Sequence[str], stdin: str) -> tuple[int, str, str]:
    try:
        proc = subprocess.run(
            list(argv), input=stdin, capture_output=True, text=True, check=False, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NftError(f"cannot run {argv[0]}: {exc}") from exc
    return proc.returncode, proc.stdout, proc.stderr


class NftBackend(Protocol):
    """What the writer needs: apply a batch, dry-run it, and read the table back."""

    def run(self, tx: Transaction) -> None: ...

    def check(self, tx: Transaction) -> None: ...

    def list_table(self, table: Table, *, as_json: bool = False) -> str: ...


@dataclass
class SystemNft:
    """The ``nft`` binary, optionally inside network namespace ``netns``."""

    netns: str | None = None
    nft: str = "nft"
    execer: Execer = run_process

    def _argv(self, *args: str) -> list[str]:
        prefix = ["ip", "netns", "exec", self.netns] if self.netns else []
        return [*prefix, self.nft, *args]

    def _call(self, args: Sequence[str], stdin: str, what: str) -> str:
        code, out, err = self.execer(self._argv(*args), stdin)
        if code != 0:
            raise NftError(f"nft {what} failed (exit {code})", err)
        return out

    def _batch(self, tx: Transaction, *flags: str) -> None:
        if tx.error is not None:
            raise NftError(f"invalid transaction: {tx.error}")
        if not tx.operations:
            return
        self._call([*flags, "-f", "-"], str(tx), "check" if flags else "run")

    def run(self, tx: Transaction) -> None:
        self._batch(tx)

    def check(self, tx: Transaction) -> None:
        self._batch(tx, "--check")

    def list_table(self, table: Table, *, as_json: bool = False) -> str:
        args = ["-j"] if as_json else []
        return self._call([*args, "list", "table", table.family, table.name], "", "list")

    def list_json(self, table: Table) -> list[dict[str, Any]]:
        """The ``nftables`` array of ``nft -j list table`` (objects keyed by kind)."""
        data = json.loads(self.list_table(table, as_json=True))
        return list(data.get("nftables", []))
