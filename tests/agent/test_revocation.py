"""One revocation for lab and agent: the same change cuts the same connections.

Both turn a conntrack entry into the packet that opened it with
``netwarden.dataplane.revocation.entry_packet`` and judge it with the
engine; this test gives ``lab apply``'s revocation and the agent's the same
tracked connections and the same policy change, and compares the
``conntrack -D`` calls each makes.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Sequence

from netwarden.agent import Reconciler, StaticInterfaces
from netwarden.dataplane import Conntrack, entry_packet, parse_conntrack
from netwarden.dataplane.nft import FakeNft
from netwarden.lab import Lab
from netwarden.lab.enforcement import revoke_lab
from netwarden.lab.topology import plan

from .manifests import cluster_of, namespace, pod, policy, text

NS = [namespace("prod", env="prod"), namespace("dev", env="dev")]
PODS = [pod("prod", "db", "10.244.1.11", app="db"), pod("prod", "web", "10.244.1.10", app="web"),
        pod("dev", "client", "10.244.1.12", app="client")]
# The change: db admits web (any protocol) and pings from the client (ICMP type 8 only).
FROM_WEB_ANY = policy("prod", "db-in", {"app": "db"},
                      [{"podSelector": {"matchLabels": {"app": "web"}}}], port=None)
PING_FROM_CLIENT = {
    "apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
    "metadata": {"name": "ping-from-client", "namespace": "prod"},
    "spec": {"selector": "app == 'db'", "types": ["Ingress"],
             "ingress": [{"action": "Allow", "protocol": "ICMP", "icmp": {"type": 8},
                          "source": {"selector": "app == 'client'",
                                     "namespaceSelector": "env == 'dev'"}}]}}

TRACKED = """\
ipv4 2 tcp 6 431999 ESTABLISHED src=10.244.1.12 dst=10.244.1.11 sport=40000 dport=80 \
src=10.244.1.11 dst=10.244.1.12 sport=80 dport=40000 [ASSURED] mark=0 use=1
ipv4 2 tcp 6 431999 ESTABLISHED src=10.244.1.10 dst=10.244.1.11 sport=40001 dport=80 \
src=10.244.1.11 dst=10.244.1.10 sport=80 dport=40001 [ASSURED] mark=0 use=1
ipv4 2 tcp 6 100 TIME_WAIT src=10.244.1.12 dst=10.244.1.11 sport=40002 dport=80 \
src=10.244.1.11 dst=10.244.1.12 sport=80 dport=40002 [ASSURED] mark=0 use=1
ipv4 2 icmp 1 29 src=10.244.1.12 dst=10.244.1.11 type=8 code=0 id=7 \
src=10.244.1.11 dst=10.244.1.12 type=0 code=0 id=7 mark=0 use=1
ipv4 2 icmp 1 29 src=10.244.1.12 dst=10.244.1.11 id=9 \
src=10.244.1.11 dst=10.244.1.12 id=9 mark=0 use=1
ipv4 2 icmp 1 29 src=10.244.1.10 dst=10.244.1.11 id=8 \
src=10.244.1.11 dst=10.244.1.10 id=8 mark=0 use=1
ipv4 2 udp 17 20 src=192.0.2.1 dst=192.0.2.2 sport=53 dport=53 \
src=192.0.2.2 dst=192.0.2.1 sport=53 dport=53 mark=0 use=1
"""


class FakeConntrack:
    """``conntrack`` in a namespace: lists ``TRACKED``, records every ``-D``."""

    def __init__(self) -> None:
        self.deleted: list[tuple[str, ...]] = []

    def __call__(self, argv: Sequence[str], stdin: str) -> tuple[int, str, str]:
        args = list(argv)
        if "-L" in args:
            family = args[args.index("-f") + 1]
            return 0, "\n".join(line for line in TRACKED.splitlines()
                                if line.startswith(family + " ")), ""
        words = shlex.split(args[-1]) if "sh" in args else args
        for i, word in enumerate(words):
            if word == "-D":
                end = next(j for j in range(i, len(words)) if words[j].startswith("2>"))
                self.deleted.append(tuple(words[i + 1:end]))
        return 0, "", ""


def lab_revocation(docs: list[dict[str, object]]) -> list[tuple[str, ...]]:
    cluster = cluster_of(*docs)
    lab = Lab(plan(cluster, (), 1, "abcd"), None)
    fake = FakeConntrack()
    revoke_lab(lab, cluster, lambda netns: Conntrack(netns, fake))
    return sorted(fake.deleted)


def agent_revocation(docs: list[dict[str, object]]) -> list[tuple[str, ...]]:
    fake = FakeConntrack()
    interfaces = {"prod/db": "v-db", "prod/web": "v-web", "dev/client": "v-client"}
    rec = Reconciler(FakeNft(), "node-1", StaticInterfaces(interfaces),
                     conntrack=Conntrack("nwabcd-n1", fake))
    rec.reconcile([("all.yaml", text(*docs))], time.monotonic())  # revokes after the apply
    return sorted(fake.deleted)


def flows(deleted: list[tuple[str, ...]]) -> list[tuple[str, str, str]]:
    """(source, protocol, source port or ICMP id) of each deleted entry."""
    out = []
    for args in deleted:
        opt = dict(zip(args[::2], args[1::2], strict=True))
        out.append((opt["-s"], opt["-p"], opt.get("--sport") or opt.get("--icmp-id", "")))
    return sorted(out)


def test_lab_and_agent_revoke_the_same_connections_icmp_included() -> None:
    docs = [*NS, *PODS, FROM_WEB_ANY, PING_FROM_CLIENT]
    lab, agent = lab_revocation(docs), agent_revocation(docs)
    assert lab == agent
    # only the client's TCP connection is cut: its pings (typed or not: an echo
    # request) stay allowed, a closing connection and non-pod traffic are not judged
    assert flows(lab) == [("10.244.1.12", "tcp", "40000")]


def test_an_icmp_entry_without_a_type_is_read_as_an_echo_request() -> None:
    untyped = parse_conntrack(TRACKED)[4]
    assert untyped.icmp_type is None
    assert entry_packet(untyped).port == 8 << 8  # type 8 (echo request), code 0
