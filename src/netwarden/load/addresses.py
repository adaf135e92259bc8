"""Addresses for pods whose manifest declares none.

Manifests written by hand, and workload templates, have no ``status.podIP``,
yet the analysis and the lab need an address for every pod. The rule is
deterministic, so a report or an nft ruleset does not change between runs:

1. The pods are grouped by node (``spec.nodeName``); a pod without one counts
   as being on node ``node-1``. Node names, of every loaded pod, are sorted;
   the N-th (counting from 1) gets the subnet ``10.244.N.0/24`` of the default
   pod CIDR ``10.244.0.0/16``.
2. In each subnet, pods without an address take hosts ``.2``, ``.3``, ... in
   order of (namespace, name) (``.1`` is left for the node's gateway).
3. A node whose subnet is full continues in the next /24 that no node owns
   (after the last node's), as an IPAM hands a node another block.
4. An address that some pod declared is never given out again.

Pods that declare addresses keep all of them (dual-stack pods keep both).

>>> from netwarden.resources.k8s import Meta, Pod
>>> pods, errors = assign_addresses([Pod(Meta("b", "default")), Pod(Meta("a", "default"))])
>>> [str(p.ips[0]) for p in pods], errors
(['10.244.1.3', '10.244.1.2'], [])
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterator, Sequence

from .._errors import ValidationError
from ..ir.endpoints import IPAddress
from ..resources.k8s import Pod

__all__ = ["DEFAULT_NODE", "POD_CIDR", "assign_addresses"]

POD_CIDR = ipaddress.IPv4Network("10.244.0.0/16")
DEFAULT_NODE = "node-1"
_FIRST_HOST = 2


def assign_addresses(pods: Sequence[Pod]) -> tuple[list[Pod], list[ValidationError]]:
    """``pods`` in the same order, each with at least one address.

    Errors (the /16 exhausted) come back instead of being raised, so the loader
    reports them with the rest.
    """
    nodes = sorted({p.node or DEFAULT_NODE for p in pods})
    taken: set[IPAddress] = {ip for p in pods for ip in p.ips}
    waiting = sorted(
        (i for i, p in enumerate(pods) if not p.ips),
        key=lambda i: (pods[i].meta.namespace or "", pods[i].meta.name, i),
    )
    out = list(pods)
    errors: list[ValidationError] = []
    blocks: dict[str, list[int]] = {n: [i + 1] for i, n in enumerate(nodes)}
    spare = iter(range(len(nodes) + 1, 256))
    next_host: dict[str, int] = {}
    for i in waiting:
        pod = pods[i]
        node = pod.node or DEFAULT_NODE
        address = _next_free(node, blocks, next_host, taken, spare)
        if address is None:
            errors.append(_error(pod, f"no free address left in {POD_CIDR}; declare status.podIP"))
            continue
        taken.add(address)
        out[i] = dataclasses.replace(pod, ips=(address,), address_assigned=True)
    return out, errors


def _next_free(
    node: str,
    blocks: dict[str, list[int]],
    next_host: dict[str, int],
    taken: set[IPAddress],
    spare: Iterator[int],
) -> ipaddress.IPv4Address | None:
    while True:
        index = blocks[node][-1]
        if index > 255:
            return None
        subnet = ipaddress.IPv4Network(f"10.244.{index}.0/24")
        host = next_host.get(node, _FIRST_HOST)
        while host < 255 and subnet[host] in taken:
            host += 1
        if host < 255:
            next_host[node] = host + 1
            return subnet[host]
        blocks[node].append(next(spare, 256))
        next_host[node] = _FIRST_HOST


def _error(pod: Pod, message: str) -> ValidationError:
    return ValidationError(pod.meta.position, "status.podIP", message)
