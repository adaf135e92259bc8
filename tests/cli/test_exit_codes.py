"""Which exit code an error escaping a command gives (the README's "Exit codes" table).

Input the user can fix is 2; a machine that cannot do the job (a tool that is
missing or fails: nft, conntrack, a namespace, the API server) is 3. Either way
the error is one ``error:`` line, never a traceback.
"""

from __future__ import annotations

import argparse

import pytest

from netwarden import (
    ConntrackError,
    LabError,
    LookupFailed,
    NamespaceError,
    NetwardenError,
    NftError,
    Position,
    SourceError,
    ValidationError,
)
from netwarden.cli import explain, main

ERRORS = [
    (ConntrackError("conntrack -L failed (exit 1): Operation not permitted"), 3),
    (NftError("nft refused the ruleset", "Error: syntax error"), 3),
    (LabError("no lab is up (netwarden lab up)"), 3),
    (NamespaceError("cannot enter nw1234-n1"), 3),
    (SourceError("cannot read the cluster at kubeconfig"), 3),
    (ValidationError(Position("p.yaml", 3), "spec.podSelector", "must be an object"), 2),
    (LookupFailed("no endpoint prod/wbe; did you mean prod/web?"), 2),
]


@pytest.mark.parametrize(("error", "code"), ERRORS, ids=[type(e).__name__ for e, _ in ERRORS])
def test_an_error_escaping_a_command_exits_with_its_class_code(
        error: NetwardenError, code: int, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    def failing(_args: argparse.Namespace) -> int:
        raise error

    monkeypatch.setattr(explain, "run", failing)  # registered as the command's func on use
    assert main(["explain", "any/"]) == code
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(error).splitlines()[0] in err
    assert "Traceback" not in err
