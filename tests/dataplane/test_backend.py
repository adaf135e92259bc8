from __future__ import annotations

from collections.abc import Sequence

import pytest

from netwarden._errors import NftError
from netwarden.dataplane.nft import Chain, SystemNft, Table, Transaction


class Recorder:
    def __init__(self, code: int = 0, out: str = "", err: str = "") -> None:
        self.calls: list[tuple[list[str], str]] = []
        self.result = (code, out, err)

    def __call__(self, argv: Sequence[str], stdin: str) -> tuple[int, str, str]:
        self.calls.append((list(argv), stdin))
        return self.result


def small_tx() -> Transaction:
    tx = Transaction(Table("nw"))
    tx.add(Table("nw"))
    tx.add(Chain("c"))
    return tx


def test_run_in_netns_passes_one_batch() -> None:
    rec = Recorder()
    SystemNft("nwt-x", execer=rec).run(small_tx())
    assert rec.calls == [(["ip", "netns", "exec", "nwt-x", "nft", "-f", "-"],
                          "add table inet nw\nadd chain inet nw c\n")]


def test_check_and_list() -> None:
    rec = Recorder(out="table inet nw {}\n")
    nft = SystemNft(execer=rec)
    nft.check(small_tx())
    assert nft.list_table(Table("nw")) == "table inet nw {}\n"
    nft.list_table(Table("nw"), as_json=True)
    assert [argv for argv, _ in rec.calls] == [
        ["nft", "--check", "-f", "-"],
        ["nft", "list", "table", "inet", "nw"],
        ["nft", "-j", "list", "table", "inet", "nw"],
    ]


def test_empty_transaction_runs_nothing() -> None:
    rec = Recorder()
    SystemNft(execer=rec).run(Transaction(Table("nw")))
    assert rec.calls == []


@pytest.mark.parametrize(("stderr", "not_found", "exists"), [
    ("Error: Could not process rule: No such file or directory\n", True, False),
    ("Error: Could not process rule: File exists\n", False, True),
    ("Error: syntax error, unexpected junk\n", False, False),
])
def test_failures_become_nft_errors(stderr: str, not_found: bool, exists: bool) -> None:
    with pytest.raises(NftError) as info:
        SystemNft(execer=Recorder(1, err=stderr)).run(small_tx())
    assert info.value.stderr == stderr
    assert (info.value.is_not_found, info.value.already_exists) == (not_found, exists)


def test_invalid_transaction_is_not_sent() -> None:
    rec = Recorder()
    tx = small_tx()
    tx.add(Chain("no good"))
    with pytest.raises(NftError, match="invalid transaction"):
        SystemNft(execer=rec).run(tx)
    assert rec.calls == []
