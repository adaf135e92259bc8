"""Exceptions raised by netwarden.

Every error a user can cause derives from one root, so a caller (the CLI, the
agent) can catch ``NetwardenError`` and print it without a traceback::

    NetwardenError
    ├── ValidationError        a manifest is not a valid object (file, line, field);
    │   │                      also what the cluster's API refuses of valid objects
    │   │                      together (a Calico policy in an undeclared tier)
    │   ├── InvalidManifests   several ValidationErrors gathered from one load
    │   └── NoManifests        the paths given hold no manifest at all
    ├── SelectorError          a Calico selector does not parse (also a ValueError)
    ├── ScalarError            a YAML scalar Kubernetes' reader refuses (also a ValueError) *
    ├── DocumentAborted        a YAML document that cannot be read on (aliasing, depth) *
    ├── JsonStop               where a JSON text stops being readable (0-based offset) *
    ├── AddressError           why a string is not an IP address or CIDR (a ValueError) *
    ├── LookupFailed           an endpoint named on the command line does not exist
    ├── NftError               nft refused a ruleset; the previous one stays in force
    ├── ConntrackError         the conntrack tool failed (missing, no permission)
    ├── LabError               the lab cannot be built or used on this machine
    │   └── ProbeUnsupported   the kernel cannot carry a probe's protocol (SCTP)
    ├── NamespaceError         a network namespace cannot be entered (setns)
    └── SourceError            a live cluster cannot be read (kubeconfig, API server)
        └── ResourceVersionExpired  a list/watch version is too old (HTTP 410): relist

``*``: internal to the loader, which turns them into ``ValidationError``s; not in
``__all__``. Every exception class of netwarden is defined here (a test checks it).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = [
    "ConntrackError",
    "InvalidManifests",
    "LabError",
    "LookupFailed",
    "NamespaceError",
    "NetwardenError",
    "NftError",
    "NoManifests",
    "Position",
    "ProbeUnsupported",
    "ResourceVersionExpired",
    "SelectorError",
    "SourceError",
    "ValidationError",
]


# The manifest being read, so an unexpected internal error can still name it.
READING: ContextVar[str | None] = ContextVar("netwarden_reading", default=None)


@dataclass(frozen=True, slots=True)
class Position:
    """Where a value came from: a file (or ``<stdin>``) and a 1-based line."""

    file: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


class NetwardenError(Exception):
    """Root of every error netwarden raises on bad input or a failed operation."""


class ValidationError(NetwardenError):
    """One invalid field, reported as ``file:line: field.path: message``."""

    def __init__(self, position: Position | None, field: str, message: str) -> None:
        self.position = position
        self.field = field
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.position}: " if self.position else ""
        what = f"{self.field}: " if self.field else ""
        return f"{where}{what}{self.message}"


class InvalidManifests(ValidationError):
    """Every problem found in one load, so a user fixes them all in one pass."""

    def __init__(self, errors: Iterable[ValidationError]) -> None:
        self.errors = _in_reading_order(errors)
        first = self.errors[0]
        super().__init__(first.position, first.field, first.message)

    def __str__(self) -> str:
        return "\n".join(ValidationError.__str__(e) for e in self.errors)


def _in_reading_order(errors: Iterable[ValidationError]) -> tuple[ValidationError, ...]:
    """Files in the order they were read, each file's errors by line (checks run in
    passes, so they find them out of order); errors without a place first.

    >>> e = [ValidationError(Position("b", 3), "x", "m"), ValidationError(Position("a", 9),
    ...      "y", "m"), ValidationError(Position("b", 1), "z", "m")]
    >>> [str(x.position) for x in _in_reading_order(e)]
    ['b:1', 'b:3', 'a:9']
    """
    found = tuple(errors)
    files: dict[str, int] = {}
    for e in found:
        if e.position is not None:
            files.setdefault(e.position.file, len(files))
    return tuple(sorted(found, key=lambda e: (-1, 0) if e.position is None else (
        files[e.position.file], e.position.line)))


class NoManifests(ValidationError):
    """Nothing to analyse: the paths hold no manifest (an empty folder, a wrong path).

    An empty matrix would look like an answer; the CLI prints a warning and exits 2.
    """

    def __init__(self, paths: Iterable[str]) -> None:
        self.paths = tuple(paths)
        shown = ", ".join(self.paths) or "the input"
        super().__init__(None, "", f"no manifests found in {shown} "
                         "(read: .yaml, .yml and .json files, kustomizations, - for stdin)")


class SelectorError(NetwardenError, ValueError):
    """A Calico selector that does not parse; ``position`` is the 0-based offset."""

    def __init__(self, text: str, position: int, message: str) -> None:
        self.text = text
        self.position = position
        self.message = message
        super().__init__(f"invalid selector {_excerpt(text, position)} at position {position}: "
                         f"{message}")


def _excerpt(text: str, position: int, width: int = 60) -> str:
    """The selector quoted, or for a long one the part around ``position``.

    >>> _excerpt("0123456789" * 5, 25, width=8)
    "'7890123456789012' (characters 17-33 of 50)"
    """
    if len(text) <= 2 * width:
        return repr(text)
    start = max(0, position - width)
    end = min(len(text), position + width)
    return f"{text[start:end]!r} (characters {start}-{end} of {len(text)})"


class ScalarError(NetwardenError, ValueError):
    """A scalar that Kubernetes' YAML reader refuses; the message says why.

    The YAML reader turns it into a ``ValidationError`` at the scalar's place.
    """


class AddressError(NetwardenError, ValueError):
    """Why a string is not an address, as a phrase: ``invalid IP address "x": <reason>``.

    The loader reports it as a ``ValidationError`` at the field.
    """


class DocumentAborted(NetwardenError):
    """A problem that ends a YAML document (aliasing, depth); carries the error to report."""

    def __init__(self, error: ValidationError) -> None:
        self.error = error
        super().__init__(str(error))


class JsonStop(NetwardenError):
    """Where a JSON text stopped being readable: the JSON reader reports it with file and line."""

    def __init__(self, offset: int, message: str, field: str = "") -> None:
        self.offset = offset
        self.message = message
        self.field = field
        super().__init__(message)


class LookupFailed(NetwardenError):
    """An endpoint or address given by the user that the cluster does not have."""


class NftError(NetwardenError):
    """nft rejected a transaction; nothing of it was applied."""

    def __init__(self, message: str, stderr: str = "") -> None:
        self.stderr = stderr
        super().__init__(message + (f"\n{stderr.strip()}" if stderr.strip() else ""))

    @property
    def is_not_found(self) -> bool:
        return "No such file or directory" in self.stderr

    @property
    def already_exists(self) -> bool:
        return "File exists" in self.stderr


class ConntrackError(NetwardenError):
    """The conntrack tool failed (not installed, no permission, bad arguments)."""


class LabError(NetwardenError):
    """The lab cannot run here (no root, no nft) or was used wrongly."""


class NamespaceError(NetwardenError):
    """A network namespace does not exist or cannot be entered."""


class ProbeUnsupported(LabError):
    """The kernel cannot carry this protocol (SCTP here); tests skip on it."""


class SourceError(NetwardenError):
    """A live cluster could not be read: no kubeconfig, API server unreachable, denied."""


class ResourceVersionExpired(SourceError):
    """The resourceVersion a list or watch asked for is too old (HTTP 410): list again."""

    def __init__(self, message: str = "resourceVersion expired (HTTP 410 Gone)") -> None:
        super().__init__(message)


# Shown as ``netwarden.ValidationError`` (in tracebacks, reprs, docs): the public
# name, not this private module's.
for _name in __all__:
    globals()[_name].__module__ = "netwarden"
