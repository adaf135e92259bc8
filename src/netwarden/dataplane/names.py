"""Names in the table: content digests, chain names and log prefixes.

Everything here is a pure function of its arguments, so a name changes
exactly when what it names does, and two renders of one cluster agree.

>>> endpoint_chain("prod/web-0", Direction.INGRESS)
'ep-prod/web-0-ingress'
"""

from __future__ import annotations

import hashlib
import re

from ..ir import Direction, Policy

__all__ = [
    "LOG_PREFIX_MAX",
    "digest",
    "endpoint_chain",
    "log_prefix",
    "policy_chain_name",
    "slug",
]

LOG_PREFIX_MAX = 127  # NF_LOG_PREFIXLEN is 128 including the trailing NUL
_UNSAFE = re.compile(r"[^A-Za-z0-9_./\-]")


def digest(*parts: object, size: int = 10) -> str:
    """A short stable hash of ``parts`` (their ``repr``), for content-derived names."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:size]


def slug(text: str, limit: int = 60) -> str:
    """``text`` as a chain-name part: itself when safe and short, else cut plus a digest.

    >>> slug("prod/web"), slug("a b")
    ('prod/web', 'a_b_4b3d64')
    """
    clean = _UNSAFE.sub("_", text)
    if clean != text or len(clean) > limit or not clean[:1].isalpha():
        clean = f"{clean[:limit]}_{digest(text, size=6)}"
    return clean


def endpoint_chain(key: str, direction: Direction) -> str:
    """Name of an endpoint's chain: ``ep-<ns/pod>-ingress`` (stable per key)."""
    return f"ep-{slug(key)}-{direction.lower}"


def policy_chain_name(policy: Policy, direction: Direction, content: object) -> str:
    """``pol-<policy>-<i|e>-<hash of the rules>``: equal content, equal name."""
    return f"pol-{slug(policy.id, 40)}-{direction.lower[0]}-{digest(content, size=8)}"


def log_prefix(text: str) -> str:
    """``nw <text>`` within nft's 127 bytes; a long text loses its start, not its verdict.

    >>> len(log_prefix("x" * 300).encode()), log_prefix("prod/db ingress[0]")
    (127, 'nw prod/db ingress[0]')
    """
    full = f"nw {text}"
    if len(full.encode()) <= LOG_PREFIX_MAX:
        return full
    tail = text.encode()[-(LOG_PREFIX_MAX - 5):].decode(errors="ignore")
    return f"nw ..{tail}"
