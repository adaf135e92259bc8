"""String rules of the Kubernetes API server: names, label keys and values, ports, CIDRs.

Each check returns ``None`` when the value is valid, or the first reason it is
not, as a phrase ready to follow ``invalid X "value": ``. Returning the reason
rather than raising keeps the checks free of positions; the parsers attach
file, line and field.

>>> dns1123_label("web"), dns1123_label("Web")
(None, "must consist of lowercase alphanumerics or '-', and start and end with an alphanumeric")
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from typing import Any

from ..ir.endpoints import IPNetwork
from .node import describe

__all__ = [
    "PORT_PROTOCOLS",
    "as_integer",
    "describe",
    "dns1123_label",
    "dns1123_subdomain",
    "iana_svc_name",
    "label_value",
    "parse_cidr",
    "port_number",
    "qualified_name",
    "quote",
]

PORT_PROTOCOLS = ("TCP", "UDP", "SCTP")

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_NAME_PART = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_SVC_CHARS = re.compile(r"[-a-z0-9]+")
_LETTER = re.compile(r"[a-z]")


def quote(value: str) -> str:
    """A value as messages show it: in double quotes, escaped, like the API server.

    >>> quote("tcp")
    '"tcp"'
    """
    return json.dumps(value)


def as_integer(value: Any) -> int | None:
    """``value`` as the API server's JSON decoder reads it into an integer field, or None.

    ``kubectl`` turns YAML into JSON by way of Go's float64, whose JSON form has
    no fraction when the value is integral and below 1e21: ``80.0`` arrives as
    ``80``, ``80.5`` stays ``80.5`` (rejected), ``1e21`` becomes ``1e+21``
    (rejected). Booleans and strings are never integers.

    >>> as_integer(80), as_integer(80.0), as_integer(1e3), as_integer(80.5), as_integer("80")
    (80, 80, 1000, None, None)
    """
    if value.__class__ is int:
        return value
    if value.__class__ is float and math.isfinite(value) and value.is_integer() and abs(
            value) < 1e21:
        return int(value)
    return None


def dns1123_label(value: str) -> str | None:
    """Namespace names: at most 63 lowercase alphanumerics or '-'."""
    if len(value) > 63:
        return "must be no more than 63 characters"
    if not _DNS_LABEL.fullmatch(value):
        return (
            "must consist of lowercase alphanumerics or '-', "
            "and start and end with an alphanumeric"
        )
    return None


def dns1123_subdomain(value: str) -> str | None:
    """Object names: dot-separated DNS labels, at most 253 characters."""
    if len(value) > 253:
        return "must be no more than 253 characters"
    if not _DNS_SUBDOMAIN.fullmatch(value):
        return (
            "must consist of lowercase alphanumerics, '-' or '.', "
            "and start and end with an alphanumeric"
        )
    return None


def qualified_name(value: str) -> str | None:
    """Label keys: ``[prefix/]name``, the prefix a DNS subdomain, the name ≤ 63."""
    prefix, sep, name = value.rpartition("/")
    if sep:
        if not prefix:
            return "prefix part must be non-empty"
        problem = dns1123_subdomain(prefix)
        if problem is not None:
            return f"prefix part {problem}"
    if not name:
        return "name part must be non-empty"
    if len(name) > 63:
        return "name part must be no more than 63 characters"
    if not _NAME_PART.fullmatch(name):
        return (
            "name part must consist of alphanumerics, '-', '_' or '.', "
            "and start and end with an alphanumeric"
        )
    return None


def label_value(value: str) -> str | None:
    """Label values: empty, or ≤ 63 characters shaped like a key's name part."""
    if len(value) > 63:
        return "must be no more than 63 characters"
    if value and not _NAME_PART.fullmatch(value):
        return (
            "must be empty or consist of alphanumerics, '-', '_' or '.', "
            "and start and end with an alphanumeric"
        )
    return None


def iana_svc_name(value: str) -> str | None:
    """Port names (RFC 6335): what a policy can use to name a container port."""
    if len(value) > 15:
        return "must be no more than 15 characters"
    if not _SVC_CHARS.fullmatch(value):
        return "must contain only lowercase alphanumerics and '-'"
    if "--" in value:
        return "must not contain '--'"
    if value.startswith("-") or value.endswith("-"):
        return "must not begin or end with '-'"
    if not _LETTER.search(value):
        return "must contain at least one letter"
    return None


def port_number(value: int) -> str | None:
    if not 1 <= value <= 65535:
        return "must be between 1 and 65535, inclusive"
    return None


def parse_cidr(text: str) -> tuple[IPNetwork | None, bool]:
    """The network of ``text`` and whether host bits were set, or (None, False).

    The API server still accepts a CIDR with host bits set such as
    ``10.0.0.1/24`` (it only warns; strict validation, KEP-4858, is behind the
    ``StrictIPCIDRValidation`` gate, off by default), and parses it as its
    network, ``10.0.0.0/24``. We do the same and let the caller note it.
    IPv4 octets with leading zeros are rejected: Python refuses them, and
    their meaning is ambiguous (decimal here, octal to libc).
    """
    if "/" not in text:
        return None, False
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None, False
    host_bits = network.network_address != ipaddress.ip_interface(text).ip
    return network, host_bits
