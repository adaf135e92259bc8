"""``lab exec`` names pods as every command does, and a mistyped one gets a did-you-mean.

Tried as a new user would: ``lab exec prod/Deployment/web`` and ``lab exec prod/wbe``
were both "lab ... has no endpoint" with exit 3 (the machine cannot do it).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from netwarden import LookupFailed
from netwarden.cli.lab import endpoint_key

LAB = SimpleNamespace(id="ab12", topology=SimpleNamespace(
    by_key={"prod/web": object(), "admin/curl": object(), "default/tools": object()}))


@pytest.mark.parametrize(("name", "key"), [
    ("prod/web", "prod/web"),
    ("prod/Deployment/web", "prod/web"),
    ("prod/deployment/web", "prod/web"),
    ("tools", "default/tools"),
], ids=["ns/pod", "ns/Kind/workload", "kind-in-any-case", "pod-in-default"])
def test_lab_exec_takes_every_form_of_a_name(name: str, key: str) -> None:
    assert endpoint_key(LAB, name) == key


@pytest.mark.parametrize(("name", "meant"), [("prod/wbe", "prod/web"), ("curl", "admin/curl")],
                         ids=["typo", "other-namespace"])
def test_lab_exec_suggests_the_pod_probably_meant(name: str, meant: str) -> None:
    with pytest.raises(LookupFailed, match=f"no pod or endpoint named '{name}' in lab ab12; "
                                           f"did you mean {meant}\\?"):
        endpoint_key(LAB, name)
