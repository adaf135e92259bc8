"""Lab servers answer plain HTTP too, so `lab exec POD -- curl http://IP` works."""

from __future__ import annotations

import ipaddress
import shutil
from collections.abc import Iterator

import pytest

from netwarden.ir import Cluster, Endpoint, EndpointKind
from netwarden.lab import Lab

pytestmark = pytest.mark.lab


def _pod(name: str, ip: str) -> Endpoint:
    return Endpoint(f"web/{name}", EndpointKind.POD, name, "web",
                    ips=(ipaddress.ip_address(ip),))


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab.up(Cluster(endpoints=(_pod("a", "10.30.0.1"), _pod("b", "10.30.0.2")))) as built:
        yield built


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_an_http_request_gets_an_http_reply_naming_the_pod(lab: Lab) -> None:
    done = lab.exec("web/a", ["curl", "-s", "-i", "-m", "3", "http://10.30.0.2/"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("HTTP/1.0 200 OK")
    assert done.stdout.endswith("nw web/b\n")


def test_a_silent_client_still_gets_the_greeting(lab: Lab) -> None:
    assert lab.probe([("web/a", "web/b")], "TCP", 80) == {("web/a", "web/b"): True}
