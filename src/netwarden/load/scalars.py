"""YAML scalars read as Kubernetes reads them.

kubectl and the API server read YAML with sigs.k8s.io/yaml: go-yaml v2
resolves each scalar, the result is turned into JSON, and the JSON is decoded
into typed fields. These functions give the value that JSON holds, so the
validators see what the cluster would see:

* plain ``y``, ``Yes``, ``on``, ``TRUE`` ... are booleans; ``~``, ``null``
  and an empty value are null; there are no sexagesimal numbers (``1:20`` is
  the string ``"1:20"``);
* integers may have a sign, underscores and a ``0x``/``0o``/``0b`` prefix, and
  a leading ``0`` means octal (``010`` is 8, ``080`` is not octal and reads as
  the float 80);
* ``1e3``, ``80.0`` and ``.5`` are floats; a float with an integral value
  becomes a JSON integer (``port: 80.0`` is port 80), ``.inf`` and ``.nan``
  cannot be written as JSON and are rejected;
* timestamp-looking values (``2024-01-01``) stay strings;
* map keys become JSON strings: ``on:`` is the key ``"true"``, ``80:`` is
  ``"80"``; a null key is rejected.

>>> plain("1:20"), plain("y"), plain("0o17"), plain("080"), plain("1e3")
('1:20', True, 15, 80, 1000)
>>> key_text(plain("on"))
'true'
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import struct
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import yaml

from .._errors import ScalarError

__all__ = [
    "BINARY_TAG",
    "NOT_JSON",
    "NUMBER_START",
    "WORDS",
    "KubeDumper",
    "ScalarError",
    "clip",
    "json_number",
    "key_text",
    "plain",
    "plain_key",
    "shorten",
    "tagged",
]

_PREFIX = "tag:yaml.org,2002:"
BINARY_TAG = _PREFIX + "binary"
_STR, _BOOL, _INT, _FLOAT = _PREFIX + "str", _PREFIX + "bool", _PREFIX + "int", _PREFIX + "float"
_NULL, _TIMESTAMP = _PREFIX + "null", _PREFIX + "timestamp"


class _NotJson:
    """Marks a float JSON cannot hold (infinite or NaN) until it is placed."""

    def __repr__(self) -> str:
        return "NOT_JSON"


NOT_JSON: Any = _NotJson()


# The words go-yaml v2 looks up whole (its resolve table); case variants not
# listed (``tRUE``) are strings.
_WORDS: dict[str, Any] = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE",
                     "on", "On", "ON"), True),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE",
                     "off", "Off", "OFF"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}
WORDS = frozenset(_WORDS)
# A plain scalar is a number only if it starts with one of these (go-yaml's hint table);
# text not in WORDS and not starting so is a string: the readers' fast path.
NUMBER_START = frozenset("+-.0123456789")
_INT_RE = re.compile(
    r"[-+]?(?:0[xX](?P<hex>[0-9a-fA-F]+)|0[oO](?P<oct>[0-7]+)|0[bB](?P<bin>[01]+)"
    r"|0(?P<old>[0-7]+)|(?P<dec>[0-9]+))"
)
_FLOAT_RE = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_DOT_FLOAT_RE = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?")
_TIMESTAMP_RE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d{1,9})?(?:Z|[-+]\d{2}:\d{2}))"
    r"|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d{1,9})?))?"
)
_INT64 = 1 << 63
_UINT64 = 1 << 64


def plain(text: str) -> Any:
    """The JSON value of an untagged plain scalar (go-yaml v2's resolve rules)."""
    kind, value = _resolve(text)
    return json_number(value) if kind == "float" else value


def _resolve(text: str) -> tuple[str, Any]:
    """(kind, value) as go-yaml v2 resolves ``text``: str, bool, null, int or float."""
    if text in _WORDS:
        value = _WORDS[text]
        kind = "null" if value is None else "bool" if isinstance(value, bool) else "float"
        return kind, value
    first = text[0]
    if first == "." and _DOT_FLOAT_RE.fullmatch(text):
        return "float", float(text)
    if first in "+-" or "0" <= first <= "9":
        digits = text.replace("_", "")
        match = _INT_RE.fullmatch(digits)
        if match is not None:
            group = match.lastgroup or "dec"
            value = int(match.group(group), _BASES[group])
            negative = digits.startswith("-")
            value = -value if negative else value
            if -_INT64 <= value < _INT64:
                return "int", value
            if not negative and not digits.startswith("+") and value < _UINT64:
                return "int", value  # go-yaml falls back to an unsigned 64-bit integer
        if _FLOAT_RE.fullmatch(digits):
            number = float(digits)
            if not math.isinf(number):  # beyond float64 go-yaml keeps the string
                return "float", number
    return "str", text


_BASES = {"hex": 16, "oct": 8, "bin": 2, "old": 8, "dec": 10}


def json_number(value: float) -> Any:
    """A float as the JSON sigs.k8s.io/yaml writes: integral values are integers.

    Go writes a float64 without a fraction as integer digits below 1e21
    (``80.0`` → ``80``), which then decodes into an integer field;
    infinities and NaN cannot be written at all (``NOT_JSON``).
    """
    if math.isinf(value) or math.isnan(value):
        return NOT_JSON
    if value.is_integer() and abs(value) < 1e21:
        # Go writes the shortest digits that read back (2**64 as 18446744073709552000)
        return int(value) if abs(value) < 2**53 else int(Decimal(repr(value)))
    return value


_RESOLVED = {_NULL: ("null",), _BOOL: ("bool",), _INT: ("int",), _FLOAT: ("int", "float")}


def tagged(tag: str, text: str) -> Any:
    """The value of a scalar with an explicit tag (``!!int "12"``, ``!!bool yes``).

    Raises ``ScalarError`` when the text is not of the tag's type, as go-yaml
    does (``!!bool maybe``, ``!!int 0x``, ``!!float ''``). Tags go-yaml does
    not resolve (``!custom``, ``!!set``) leave the text a string.

    >>> tagged("tag:yaml.org,2002:int", "12"), tagged("tag:yaml.org,2002:str", "12")
    (12, '12')
    """
    if tag == _STR:
        return text
    if tag == BINARY_TAG:
        try:
            data = base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            raise ScalarError(f"{shorten(text)} is not valid base64 (!!binary)") from None
        return data.decode("utf-8", "replace")
    if tag == _TIMESTAMP:
        if _timestamp(text):
            return text  # into JSON a timestamp goes as the text written
    elif tag in _RESOLVED:
        kind, value = _resolve(text)
        if kind in _RESOLVED[tag]:
            return json_number(float(value)) if tag == _FLOAT else value
    else:
        return text
    what = shorten(text) if text else "an empty value"
    raise ScalarError(f"cannot read {what} as !!{tag.removeprefix(_PREFIX)}")


def _timestamp(text: str) -> bool:
    match = _TIMESTAMP_RE.fullmatch(text)
    if match is None:
        return False
    year, month, day = (int(g) for g in match.group(1, 2, 3))
    clock = match.group(4, 5, 6) if match.group(4) else match.group(7, 8, 9)
    try:
        date(year, month, day)
        if clock[0] is not None:
            hour, minute, second = (int(c) for c in clock)
            datetime(year, month, day, hour, minute, second)
    except ValueError:
        return False
    return True


def plain_key(text: str) -> str:
    """The JSON key of an untagged plain scalar key: ``on`` → ``"true"``, ``1e3`` → ``"1000"``."""
    return key_text(_resolve(text)[1])


def key_text(value: Any) -> str:
    """A map key as the JSON key sigs.k8s.io/yaml writes.

    Raises ``ScalarError`` for keys JSON cannot have (null, NaN, big unsigned).
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if value >= _INT64:
            raise ScalarError(f"unsupported map key {value} (an unsigned 64-bit integer)")
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return _go_float32(value)
    if value is None:
        raise ScalarError("a null key is not supported (JSON keys are strings)")
    raise ScalarError("an infinite or NaN key is not supported")


def _f32(value: float) -> float:
    return float(struct.unpack("f", struct.pack("f", value))[0])


def _go_float32(value: float) -> str:
    """Go's ``strconv.FormatFloat(v, 'g', -1, 32)``: the key text of a float key."""
    single = _f32(value)
    text = f"{single:.8e}"
    for precision in range(9):  # the shortest text that reads back as the same float32
        text = f"{single:.{precision}e}"
        if _f32(float(text)) == single:
            break
    mantissa, exponent_text = text.split("e")
    exponent = int(exponent_text)
    sign = "-" if mantissa.startswith("-") else ""
    digits = mantissa.lstrip("-").replace(".", "").rstrip("0") or "0"
    if exponent < -4 or exponent >= 6:  # shortest 'g' uses an exponent from 1e6 on
        head = digits[0] + (f".{digits[1:]}" if len(digits) > 1 else "")
        return f"{sign}{head}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    if exponent >= 0:
        whole, fraction = digits[: exponent + 1].ljust(exponent + 1, "0"), digits[exponent + 1:]
    else:
        whole, fraction = "0", "0" * (-exponent - 1) + digits
    return sign + whole + (f".{fraction}" if fraction else "")


def shorten(text: str, limit: int = 60) -> str:
    """``text`` quoted, cut to ``limit`` characters so a 20 MB value gives a short message.

    >>> shorten("x" * 100, 5)
    "'xxxxx'... (100 characters)"
    """
    if len(text) <= limit:
        return repr(text)
    return repr(text[:limit]) + f"... ({len(text):,} characters)"


def clip(text: str, limit: int = 60) -> str:
    """Like ``shorten``, unquoted."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"... ({len(text):,} characters)"


class KubeDumper(yaml.SafeDumper):
    """Writes YAML that Kubernetes reads back as written.

    PyYAML quotes by YAML 1.1 as PyYAML reads it, so it leaves ``y``, ``n``,
    ``0o17`` or ``1e3`` bare, and kubectl then reads a boolean or a number;
    this dumper quotes every string that ``plain`` would not read back as the
    same string.

    >>> yaml.dump({"name": "y", "port": "080", "app": "web"}, Dumper=KubeDumper)
    "app: web\\nname: 'y'\\nport: '080'\\n"
    """


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "'" if data and plain(data) != data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


KubeDumper.add_representer(str, _represent_str)
