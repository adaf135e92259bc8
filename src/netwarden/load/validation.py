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

from .._errors import AddressError
from ..ir.endpoints import IPAddress, IPNetwork
from ..ir.services import SCTP, TCP, UDP, protocol_name
from .node import describe

__all__ = [
    "PORT_NAME_PROTOCOLS",
    "REQUIRED",
    "AddressError",
    "as_integer",
    "describe",
    "dns1035_label",
    "dns1123_label",
    "dns1123_subdomain",
    "duplicate",
    "iana_svc_name",
    "label_value",
    "out_of_range",
    "parse_cidr",
    "parse_ip",
    "port_number",
    "qualified_name",
    "quote",
    "unsupported",
    "unsupported_value",
]

# The protocols a Kubernetes port (and a Calico host endpoint port) may name. Which
# protocols have ports at all is ``netwarden.ir.services.PORT_PROTOCOLS``.
PORT_NAME_PROTOCOLS = tuple(protocol_name(p) for p in (TCP, UDP, SCTP))

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
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


REQUIRED = "is required"


def unsupported(value: object, choices: tuple[str, ...]) -> str:
    """The message for a value outside an enumeration, one style for every loader.

    >>> unsupported("tcp", ("TCP", "UDP", "SCTP"))
    'unsupported value "tcp": must be one of "TCP", "UDP", "SCTP"'
    >>> unsupported("ingress", ("Ingress", "Egress"))
    'unsupported value "ingress": must be "Ingress" or "Egress"'
    """
    shown = _shown(value)
    if len(choices) == 2:
        return f'unsupported value {shown}: must be "{choices[0]}" or "{choices[1]}"'
    listed = ", ".join(f'"{c}"' for c in choices)
    return f"unsupported value {shown}: must be one of {listed}"


def _shown(value: object) -> str:
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return describe(value)


def unsupported_value(value: object, expected: str) -> str:
    """Like ``unsupported`` when the choices are a phrase: ``must be 4 or 6``."""
    return f"unsupported value {_shown(value)}: must be {expected}"


def out_of_range(what: str, value: int, low: int, high: int) -> str | None:
    """``invalid port 0: must be between 1 and 65535, inclusive``, or None when in range."""
    if low <= value <= high:
        return None
    return f"invalid {what} {value}: must be between {low} and {high}, inclusive"


def duplicate(value: str) -> str:
    return f"duplicate value {quote(value)}"


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


def dns1035_label(value: str) -> str | None:
    """Service names: a DNS label that starts with a letter (RFC 1035).

    >>> dns1035_label("web"), dns1035_label("1web")
    (None, "must consist of lowercase alphanumerics or '-', start with a letter and end with \
an alphanumeric")
    """
    if len(value) > 63:
        return "must be no more than 63 characters"
    if not _DNS1035_LABEL.fullmatch(value):
        return ("must consist of lowercase alphanumerics or '-', "
                "start with a letter and end with an alphanumeric")
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


_SLOPPY_V4 = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_IP_EXAMPLE = "must be a valid IP address (e.g. 10.9.8.7 or 2001:db8::ffff)"
_CIDR_EXAMPLE = "must be a valid CIDR value (e.g. 10.9.8.0/24 or 2001:db8::/64)"
_FUTURE = "the API server accepts it with a warning; a future Kubernetes rejects it"


def parse_ip(text: str, *, legacy: bool = True) -> tuple[IPAddress, str | None]:
    """An IP address as the API server reads it, and a warning if its form is non-standard.

    ``legacy`` follows the pod and ipBlock fields, which predate strict IP
    validation (KEP-4858; its ``StrictIPCIDRValidation`` gate is off by
    default): IPv4 octets with leading zeros are decimal (``010.1.1.1`` is
    10.1.1.1) and an IPv4-mapped IPv6 address is the IPv4 address, both with a
    warning. Without ``legacy`` (Calico, which parses with Go's ``net``),
    leading zeros are an error. A zone index (``fe80::1%eth0``) is never part of
    an address: Go rejects it, so does the API server. Raises ``AddressError``.

    >>> parse_ip("10.0.0.1"), parse_ip("010.0.0.1")[1]
    ((IPv4Address('10.0.0.1'), None), 'non-standard IP address "010.0.0.1" is read as 10.0.0.1 \
(the API server accepts it with a warning; a future Kubernetes rejects it)')
    """
    if "%" in text:
        raise AddressError(f"must not have a zone index ({quote(text[text.index('%'):])})")
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        if not (legacy and _SLOPPY_V4.fullmatch(text)):
            raise AddressError(_IP_EXAMPLE) from None
        octets = [int(part) for part in text.split(".")]
        if any(octet > 255 for octet in octets):
            raise AddressError(_IP_EXAMPLE) from None
        ip = ipaddress.IPv4Address(".".join(map(str, octets)))
        return ip, f"non-standard IP address {quote(text)} is read as {ip} ({_FUTURE})"
    if legacy and isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        mapped = ip.ipv4_mapped
        return mapped, f"IPv4-mapped IPv6 address {quote(text)} is read as {mapped} ({_FUTURE})"
    return ip, None


def parse_cidr(text: str, *, legacy: bool = True) -> tuple[IPNetwork, str | None]:
    """A CIDR as the API server reads it (``parse_ip`` rules), and a warning if non-standard.

    Host bits set (``10.0.0.1/24``) are accepted and masked off, as Kubernetes
    and Calico both do, with a warning: the value is ambiguous (``10.0.0.0/24``
    or ``10.0.0.1/32``?). The prefix length may have leading zeros. Raises
    ``AddressError``.

    >>> parse_cidr("10.0.0.0/8")
    (IPv4Network('10.0.0.0/8'), None)
    >>> parse_cidr("10.0.0.1/24")[1]
    'CIDR value "10.0.0.1/24" has bits set beyond the prefix length; read as 10.0.0.0/24 \
(the API server accepts it with a warning: 10.0.0.0/24 or 10.0.0.1/32?)'
    """
    address, sep, length = text.rpartition("/")
    if not sep or not length.isascii() or not length.isdigit():
        raise AddressError(_CIDR_EXAMPLE)
    try:
        ip, warning = parse_ip(address, legacy=legacy)
    except AddressError as exc:
        if "zone" in str(exc):
            raise
        raise AddressError(_CIDR_EXAMPLE) from None
    prefix = int(length)
    if ip.version == 4 and ":" in address:  # IPv4-mapped: its prefix counts 96 bits more
        prefix -= 96
    if not 0 <= prefix <= ip.max_prefixlen:
        raise AddressError(_CIDR_EXAMPLE)
    network = ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
    if network.network_address != ip:
        warning = (f"CIDR value {quote(text)} has bits set beyond the prefix length; read as "
                   f"{network} (the API server accepts it with a warning: {network} or "
                   f"{ip}/{ip.max_prefixlen}?)")
    elif warning is not None:
        warning = f"non-standard CIDR value {quote(text)} is read as {network} ({_FUTURE})"
    return network, warning
