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
    "COMMENT_MAX",
    "LOG_PREFIX_MAX",
    "anti_spoofing_comment",
    "default_deny_comment",
    "digest",
    "endpoint_chain",
    "log_prefix",
    "policy_chain_name",
    "rule_comment",
    "short_comment",
    "slug",
]

LOG_PREFIX_MAX = 127  # NF_LOG_PREFIXLEN is 128 including the trailing NUL
# nft 1.0.6 refuses a rule or element comment over 128 bytes ("comment too long,
# 128 characters maximum allowed": measured, 128 bytes pass, 129 fail, counted in
# bytes: 64 "é" pass, 65 fail); one byte is kept spare for the NUL the kernel stores.
COMMENT_MAX = 127
_DIGEST = 12  # hex digits of the short form's digest: 48 bits
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


def short_comment(text: str) -> str:
    """``text`` as an nft comment: itself when it fits in ``COMMENT_MAX`` bytes, else a short form.

    The short form is the longest start of ``text`` that fits, cut at a
    character boundary, then ``~`` and a digest of the whole text: stable (a
    pure function), unique (the digest) and reversible through the full texts
    netwarden keeps (``counters.comment_origins``). Pod names may be 253
    characters and Calico names non-ASCII, so an origin can be far longer.

    >>> short_comment("prod/db-in ingress[0]")
    'prod/db-in ingress[0]'
    >>> long = short_comment("é" * 100)
    >>> len(long.encode()) <= COMMENT_MAX, long.endswith("~" + digest("é" * 100, size=12))
    (True, True)
    """
    if len(text.encode()) <= COMMENT_MAX:
        return text
    tail = "~" + digest(text, size=_DIGEST)
    head = text.encode()[: COMMENT_MAX - len(tail)].decode(errors="ignore")
    return head + tail


def rule_comment(origin: object) -> str:
    """The comment of a rule (or fast-path element) rendered from the IR rule of ``origin``."""
    return short_comment(str(origin))


def default_deny_comment(endpoint_key: str, direction: Direction, tier: str) -> str:
    """The comment of a tier's end-of-tier drop for one endpoint and direction."""
    return short_comment(f"{endpoint_key} {direction.lower} tier {tier} default deny")


def anti_spoofing_comment(endpoint_key: str) -> str:
    """The comment of a pod's anti-spoofing drops."""
    return short_comment(f"{endpoint_key} anti-spoofing")
