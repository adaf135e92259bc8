"""Where manifests come from: files, directories (recursively), kustomizations and standard input.

Reading is separate from parsing so that ``load_texts`` (tests, the agent)
and ``load_snapshot`` (the CLI) share every step after it. A path that cannot
be read is reported like any other manifest error, with the rest of them:
missing files, symlink loops, files over ``MAX_BYTES``, text that is not
UTF-8 (or UTF-16 with a byte-order mark), each with its file and, where the
bytes go wrong, the line.

A directory holding a ``kustomization.yaml`` is rendered as kubectl renders
it (``kubectl kustomize`` or ``kustomize build``, whichever is on PATH); a
directory holding a ``Chart.yaml`` is refused with the ``helm template``
command to run, since its templates are not manifests.
"""

from __future__ import annotations

import codecs
import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, TextIO

from .._errors import Position, ValidationError
from .scalars import clip

__all__ = [
    "KUSTOMIZATION_FILES",
    "MANIFEST_SUFFIXES",
    "MAX_BYTES",
    "STDIN_NAME",
    "decode",
    "read_sources",
]

MANIFEST_SUFFIXES = frozenset((".yaml", ".yml", ".json"))
STDIN_NAME = "<stdin>"
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# The API server takes request bodies up to 3 MB; a manifest file ten times
# that is a mistake (a log, a dump), and would take gigabytes to hold.
MAX_BYTES = 32 * 1024 * 1024
KUSTOMIZE_TIMEOUT = 120.0


def read_sources(
    paths: Sequence[str | os.PathLike[str]], stdin: TextIO | None = None,
    *, kustomize: Sequence[str | os.PathLike[str]] = (),
) -> tuple[list[tuple[str, str]], list[ValidationError]]:
    """(file name, text) of every manifest under ``paths``, and read errors.

    ``-`` reads ``stdin`` (``sys.stdin`` by default). A directory contributes
    its ``.yaml``, ``.yml`` and ``.json`` files at any depth, in sorted order,
    or its kustomize output when it holds a kustomization; a file named
    explicitly is read whatever its suffix. ``kustomize`` directories (``-k``)
    must hold a kustomization.
    """
    texts: list[tuple[str, str]] = []
    errors: list[ValidationError] = []
    for raw in paths:
        if os.fspath(raw) == "-":
            _read_stdin(stdin or sys.stdin, texts, errors)
            continue
        path = Path(raw)
        if path.is_dir():
            if _kustomization(path) is not None:
                _render(path, texts, errors)
                continue
            files = _walk(path, errors)
        else:
            files = [path]
        for file in files:
            _read_file(file, texts, errors)
    for raw in kustomize:
        path = Path(raw)
        if not path.is_dir() or _kustomization(path) is None:
            errors.append(ValidationError(Position(str(path)), "",
                                          "-k needs a directory holding a kustomization.yaml"))
        else:
            _render(path, texts, errors)
    return texts, errors


def _walk(root: Path, errors: list[ValidationError]) -> list[Path]:
    """Manifest files under ``root``, following symlinked directories once each."""
    found: list[Path] = []
    stack = [(root, frozenset({_identity(root)}))]
    while stack:
        folder, ancestors = stack.pop()
        if folder != root and _refused_folder(folder, errors):
            continue
        if (folder / "Chart.yaml").is_file():
            errors.append(_chart_error(folder))
            continue
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            errors.append(_os_error(folder, exc))
            continue
        for entry in entries:
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()
            except OSError as exc:
                errors.append(_os_error(path, exc))
                continue
            if is_dir:
                ident = _identity(path)
                if ident in ancestors:
                    errors.append(ValidationError(
                        Position(str(path)), "",
                        f"symlink loop: {path} leads back to {os.path.realpath(path)}"))
                    continue
                stack.append((path, ancestors | {ident}))
            elif path.suffix.lower() in MANIFEST_SUFFIXES:
                if entry.is_symlink() and not path.exists():
                    errors.append(_dangling(path))
                else:
                    found.append(path)
    return sorted(found)


def _refused_folder(folder: Path, errors: list[ValidationError]) -> bool:
    """A kustomization below the named directory: its raw files are not what is deployed."""
    if _kustomization(folder) is None:
        return False
    errors.append(ValidationError(
        Position(str(folder)), "",
        f"holds a kustomization: its files are not the manifests kustomize renders; "
        f"name the overlay you deploy with -k {folder} (or pass its directory)"))
    return True


def _identity(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_dev, stat.st_ino


def _kustomization(folder: Path) -> Path | None:
    for name in KUSTOMIZATION_FILES:
        if (folder / name).is_file():
            return folder / name
    return None


def _chart_error(folder: Path) -> ValidationError:
    return ValidationError(
        Position(str(folder)), "",
        f"is a Helm chart: its templates are not manifests; render them first: "
        f"helm template RELEASE {folder} | netwarden COMMAND -")


def _render(folder: Path, texts: list[tuple[str, str]], errors: list[ValidationError]) -> None:
    """kustomize's output for ``folder``, named ``folder (kustomize)`` (lines are the output's)."""
    name = f"{folder} (kustomize)"
    if shutil.which("kubectl"):
        argv = ["kubectl", "kustomize", str(folder)]
    elif shutil.which("kustomize"):
        argv = ["kustomize", "build", str(folder)]
    else:
        errors.append(ValidationError(
            Position(str(folder)), "",
            "holds a kustomization, and neither kubectl nor kustomize is on PATH to render "
            f"it: install kubectl (Debian: kubernetes-client), or run "
            f"kustomize build {folder} | netwarden COMMAND -"))
        return
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=KUSTOMIZE_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        errors.append(ValidationError(Position(str(folder)), "",
                                      f"{' '.join(argv[:2])} failed: {clip(str(exc), 200)}"))
        return
    if proc.returncode != 0:
        reason = proc.stderr.decode("utf-8", "replace").strip() or f"exit {proc.returncode}"
        errors.append(ValidationError(Position(str(folder)), "",
                                      f"{' '.join(argv[:2])} failed: {clip(reason, 400)}"))
        return
    text, error = decode(proc.stdout, name)
    if error is not None:
        errors.append(error)
    else:
        texts.append((name, text))


def _read_stdin(stream: TextIO, texts: list[tuple[str, str]],
                errors: list[ValidationError]) -> None:
    buffer: BinaryIO | None = getattr(stream, "buffer", None)
    if buffer is None:  # an in-memory text stream (tests, the API)
        text = stream.read(MAX_BYTES + 1)
        if len(text) > MAX_BYTES:
            errors.append(_too_big(STDIN_NAME, None))
        else:
            texts.append((STDIN_NAME, text))
        return
    data = buffer.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        errors.append(_too_big(STDIN_NAME, None))
        return
    decoded, error = decode(data, STDIN_NAME)
    if error is not None:
        errors.append(error)
    else:
        texts.append((STDIN_NAME, decoded))


def _read_file(file: Path, texts: list[tuple[str, str]], errors: list[ValidationError]) -> None:
    try:
        size = file.stat().st_size
        if size > MAX_BYTES:
            errors.append(_too_big(str(file), size))
            return
        with file.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        errors.append(_dangling(file) if file.is_symlink() else
                      ValidationError(Position(str(file)), "", "no such file or directory"))
        return
    except OSError as exc:
        errors.append(_os_error(file, exc))
        return
    if len(data) > MAX_BYTES:  # grew while we read it, or a device
        errors.append(_too_big(str(file), None))
        return
    text, error = decode(data, str(file))
    if error is not None:
        errors.append(error)
    else:
        texts.append((str(file), text))


def decode(data: bytes, name: str) -> tuple[str, ValidationError | None]:
    """The text of a manifest: UTF-8 (a BOM is dropped), or UTF-16 with a BOM, as go-yaml reads.

    >>> decode(b"a: 1\\n\\xff", "x.yaml")[1]
    ValidationError('x.yaml:2: not UTF-8 text: byte 0xff')
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError as exc:
            return "", ValidationError(Position(name, _line(data, exc.start)), "",
                                       "not valid UTF-16 text")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    if b"\x00" in data[:64]:  # YAML has no NUL: this is text in a wider encoding
        return "", ValidationError(
            Position(name, 1), "",
            "looks like UTF-16 or UTF-32 text without a byte-order mark; save it as UTF-8")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        byte = data[exc.start]
        return "", ValidationError(Position(name, _line(data, exc.start)), "",
                                   f"not UTF-8 text: byte 0x{byte:02x}")


def _line(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _too_big(name: str, size: int | None) -> ValidationError:
    what = f"{size / 1e6:.1f} MB" if size is not None else "larger than that"
    return ValidationError(Position(name), "",
                           f"too large: {what}; netwarden reads manifests up to "
                           f"{MAX_BYTES // (1024 * 1024)} MiB (the API server takes 3 MB)")


def _dangling(path: Path) -> ValidationError:
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    return ValidationError(Position(str(path)), "", f"dangling symlink to {target}")


def _os_error(path: Path, exc: OSError) -> ValidationError:
    if exc.errno == errno.ELOOP:
        return ValidationError(Position(str(path)), "", "symlink loop")
    reason = (exc.strerror or str(exc)).lower()
    return ValidationError(Position(str(path)), "", f"cannot read: {reason}")
