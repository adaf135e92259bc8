"""``kind: Node``: the labels and addresses that ``nodes`` peers of admin policies select.

Only ``metadata`` (name, labels) and ``status.addresses`` matter to policy;
an ``InternalIP`` or ``ExternalIP`` address is read as the API server reads a
pod IP, and the other address types (``Hostname``, ``InternalDNS``...) are
names, not addresses, and are left out. Node objects have no schema in
``schemas/``: their other fields are not checked.
"""

from __future__ import annotations

import dataclasses

from ..ir.endpoints import IPAddress
from ..resources.anp import ClusterNode
from . import validation as v
from ._common import Problems, parse_meta
from .registry import register
from .validation import quote
from .yamlpos import Node

__all__ = ["parse_node"]

_IP_TYPES = ("InternalIP", "ExternalIP")


@register("", "Node")
def parse_node(doc: Node) -> list[object]:
    """One ``ClusterNode`` (plus notes), or ``InvalidManifests``.

    >>> from netwarden.load.yamlpos import read_documents
    >>> docs, _ = read_documents('''
    ... kind: Node
    ... metadata: {name: n1, labels: {role: worker}}
    ... status: {addresses: [{type: InternalIP, address: 10.1.0.1}, {type: Hostname, address: n1}]}
    ... ''', "nodes.yaml")
    >>> parse_node(docs[0])[0].addresses
    (IPv4Address('10.1.0.1'),)
    """
    p = Problems(doc)
    meta = parse_meta(doc, p, namespaced=True)
    addresses: list[IPAddress] = []
    status = p.map_(doc.get("status")) or {}
    for item in p.list_(status.get("addresses")) or []:
        fields = p.map_(item)
        if fields is None:
            continue
        kind = p.str_(fields.get("type"))
        text = p.str_(fields.get("address"))
        if kind not in _IP_TYPES or text is None:
            continue
        try:
            ip, warning = v.parse_ip(text)
        except v.AddressError as exc:
            p.add(fields["address"], f"invalid address {quote(text)}: {exc}")
            continue
        if warning is not None:
            p.warn(fields["address"], warning)
        if ip not in addresses:
            addresses.append(ip)
    p.check()
    assert meta is not None
    return [ClusterNode(dataclasses.replace(meta, namespace=None), tuple(addresses)), *p.notes]
