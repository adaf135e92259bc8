"""netwarden reads YAML as Kubernetes does: go-yaml v2 scalars, then sigs.k8s.io/yaml's JSON.

Each case is written as a manifest would write it, with the value the API
server ends up with (the JSON that sigs.k8s.io/yaml produces).
"""

from __future__ import annotations

import math

import pytest
import yaml

from netwarden.load.scalars import KubeDumper
from netwarden.load.yamlpos import read_documents


def value_of(text: str) -> object:
    (doc,), errors = read_documents(f"v: {text}\n", "v.yaml")
    assert errors == []
    return doc.get("v").value  # type: ignore[union-attr]


def errors_of(text: str, name: str = "x.yaml") -> list[str]:
    docs, errors = read_documents(text, name)
    assert docs == []
    return [str(e) for e in errors]


VALUES = [
    # booleans: YAML 1.1 words, three spellings each
    ("y", True), ("Y", True), ("yes", True), ("Yes", True), ("YES", True),
    ("on", True), ("On", True), ("ON", True), ("true", True), ("True", True), ("TRUE", True),
    ("n", False), ("N", False), ("no", False), ("off", False), ("OFF", False), ("false", False),
    ("tRUE", "tRUE"), ("yES", "yES"),  # other spellings are strings
    # null
    ("~", None), ("null", None), ("Null", None), ("NULL", None), ("", None), ("nULL", "nULL"),
    # integers
    ("80", 80), ("-80", -80), ("+80", 80), ("1_000", 1000), ("0", 0), ("-0", 0),
    ("0x1F", 31), ("-0x1f", -31), ("0o17", 15), ("0b101", 5), ("010", 8), ("0_10", 8),
    ("9223372036854775807", 9223372036854775807),
    ("18446744073709551615", 18446744073709551615),  # go-yaml's unsigned fallback
    ("0x", "0x"), ("0o8", "0o8"), ("1_", 1), ("_1", "_1"),
    # floats: an integral float is a JSON integer (port: 80.0 is port 80)
    ("1e3", 1000), ("80.0", 80), ("080", 80), ("1.5", 1.5), (".5", 0.5), ("-.5", -0.5),
    ("+1.5e-1", 0.15), ("1e21", 1e21), ("1.", 1), ("1e999", "1e999"),
    # strings that PyYAML would read otherwise
    ("1:20", "1:20"), ("190:20:30", "190:20:30"),  # no sexagesimal numbers
    ("2024-01-01", "2024-01-01"), ("2024-13-01", "2024-13-01"),  # timestamps stay strings
    ("2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"),
    ("0x1F_G", "0x1F_G"), ("1,000", "1,000"), ("infinity", "infinity"), (".nan.", ".nan."),
    ("<<", "<<"),
    # quoted and block scalars are strings whatever they hold
    ("'y'", "y"), ('"80"', "80"), ('"~"', "~"), ("|-\n  80", "80"),
    # explicit tags
    ("!!str 80", "80"), ("!!int '80'", 80), ("!!float 1", 1), ("!!float '1.5'", 1.5),
    ("!!bool yes", True), ("!!null ''", None), ("!!timestamp 2001-12-14", "2001-12-14"),
    ("!!binary aGVsbG8=", "hello"), ("!custom 80", "80"),
]


@pytest.mark.parametrize(("text", "expected"), VALUES, ids=[repr(t) for t, _ in VALUES])
def test_scalar_reads_as_kubernetes_reads_it(text: str, expected: object) -> None:
    value = value_of(text)
    assert value == expected
    assert type(value) is type(expected)


KEYS = [
    ("on", "true"), ("y", "true"), ("no", "false"), ("80", "80"), ("0x10", "16"),
    ("1e3", "1000"), ("1.5", "1.5"), ("3.14159265358979", "3.1415927"), ("1e6", "1e+06"),
    ("123456.0", "123456"), (".inf", ".inf"), ("-.inf", "-.inf"), ("2024-01-01", "2024-01-01"),
    ("'on'", "on"), ("!!str 80", "80"),
]


@pytest.mark.parametrize(("text", "expected"), KEYS, ids=[repr(t) for t, _ in KEYS])
def test_key_becomes_the_json_key_kubernetes_writes(text: str, expected: str) -> None:
    (doc,), errors = read_documents(f"m:\n  {text}: x\n", "k.yaml")
    assert errors == []
    assert list(doc.get("m").value) == [expected]  # type: ignore[union-attr]


def test_selector_key_on_is_the_label_true() -> None:
    (doc,), _ = read_documents("matchLabels: {on: x}\n", "s.yaml")
    assert doc.plain() == {"matchLabels": {"true": "x"}}


ERRORS = [
    ("a: 1\nb: 2\na: 3\n", ["x.yaml:3: a: duplicate key (first at line 1)"]),
    ("metadata:\n  name: a\n  labels: {}\n  name: b\n",
     ["x.yaml:4: metadata.name: duplicate key (first at line 2)"]),
    ("m:\n  on: 1\n  true: 2\n", ["x.yaml:3: m.true: duplicate key (first at line 2)"]),
    ("m:\n  ~: 1\n", ["x.yaml:2: m: key '~': a null key is not supported (JSON keys are strings)"]),
    ("m:\n  null: 1\n",
     ["x.yaml:2: m: key 'null': a null key is not supported (JSON keys are strings)"]),
    ("a: !!bool maybe\n", ["x.yaml:1: a: cannot read 'maybe' as !!bool"]),
    ("a: !!float ''\n", ["x.yaml:1: a: cannot read an empty value as !!float"]),
    ("a: !!int 0x\n", ["x.yaml:1: a: cannot read '0x' as !!int"]),
    ("a: !!int 1.5\n", ["x.yaml:1: a: cannot read '1.5' as !!int"]),
    ("a: !!timestamp x\n", ["x.yaml:1: a: cannot read 'x' as !!timestamp"]),
    ("a: !!timestamp 2024-13-01\n", ["x.yaml:1: a: cannot read '2024-13-01' as !!timestamp"]),
    ("a: !!binary '%%'\n", ["x.yaml:1: a: '%%' is not valid base64 (!!binary)"]),
    ("a: .inf\n",
     ["x.yaml:1: a: '.inf' is not a number JSON can hold (Kubernetes rejects infinite and "
      "NaN values)"]),
    ("a: &r {b: [*r]}\n", ["x.yaml:1: a.b[0]: an anchor's value contains an alias to itself"]),
    ("m:\n  ? [a]\n  : 1\n", ["x.yaml:2: m: a map or a list cannot be a key"]),
    ("m:\n  <<: [1]\n", ["x.yaml:2: m: << merges a map or a list of maps"]),
    ("b: &b {x: 1}\nm:\n  x: 2\n  <<: *b\n",
     ["x.yaml:1: m.x: << merges a key already written at line 3; Kubernetes would take the "
      "merged value: put << first"]),
    ("a: b: c\n", ["x.yaml:1: invalid YAML: mapping values are not allowed in this context"]),
    ("a: \x07\n", ["x.yaml:1: character U+0007 is not allowed in YAML (only tab, line breaks "
                   "and printable characters are)"]),
    ("# \x1b comment\na: 1\n", ["x.yaml:1: character U+001B is not allowed in YAML (only tab, "
                                "line breaks and printable characters are)"]),
]


@pytest.mark.parametrize(("text", "expected"), ERRORS, ids=[repr(t)[:40] for t, _ in ERRORS])
def test_rejected_with_file_line_and_field(text: str, expected: list[str]) -> None:
    assert errors_of(text) == expected


def test_merge_keys_written_keys_win_then_earlier_maps() -> None:
    text = "a: &a {x: 1, z: 1}\nb: &b {x: 2, w: 2}\nm:\n  <<: [*a, *b]\n  z: 3\n"
    (doc,), errors = read_documents(text, "m.yaml")
    assert errors == []
    assert doc.plain()["m"] == {"z": 3, "x": 1, "w": 2}
    assert doc.get("m").get("x").path == "m.x"  # type: ignore[union-attr]


def test_alias_bomb_stops_with_excessive_aliasing() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        name, prev = chr(97 + i), chr(96 + i)
        lines.append(f"{name}: &{name} [{','.join(['*' + prev] * 9)}]")
    (message,) = errors_of("\n".join(lines) + "\n")
    assert message.endswith("excessive aliasing: the aliases of this document expand to most "
                            "of its nodes")


def test_small_aliases_are_expanded() -> None:
    (doc,), errors = read_documents("a: &l {app: web}\nb: *l\n", "a.yaml")
    assert errors == [] and doc.plain() == {"a": {"app": "web"}, "b": {"app": "web"}}
    assert doc.get("b").get("app").path == "b.app"  # type: ignore[union-attr]


def test_deep_nesting_is_an_error_not_a_recursion_error() -> None:
    (message,) = errors_of("[" * 150 + "]" * 150)
    assert message.startswith("x.yaml:1: [0][0]") and "…: " in message and message.endswith(
        "nested deeper than 100 levels")
    (message,) = errors_of("[" * 5000 + "]" * 5000)
    assert message == "x.yaml:1: invalid YAML: nested too deep for the YAML parser"


def test_a_bad_document_does_not_hide_the_next_one() -> None:
    docs, errors = read_documents("a: !!int x\n---\nb: 1\n", "two.yaml")
    assert [d.plain() for d in docs] == [{"b": 1}]
    assert [str(e) for e in errors] == ["two.yaml:1: a: cannot read 'x' as !!int"]


def test_long_values_are_cut_in_messages() -> None:
    (message,) = errors_of(f"a: !!int {'9' * 100_000}x\n")
    assert len(message) < 200 and "(100,001 characters)" in message


@pytest.mark.parametrize("text", ["y", "n", "on", "0o17", "080", "1e3", "1:20", "~", "0x1F",
                                  "0012345678", "2024-01-01", "-.5", "<<"])
def test_kube_dumper_writes_strings_kubernetes_reads_back(text: str) -> None:
    written = yaml.dump({"v": text}, Dumper=KubeDumper)
    assert value_of(written.removeprefix("v: ").rstrip("\n")) == text


JSON_ERRORS = [
    ('{"a": 1,}', "invalid JSON: a trailing comma before }"),
    ('[1, 2,]', "invalid JSON: a trailing comma before ]"),
    ('{"a": 1, // c\n"b": 2}', "invalid JSON: expected a key in quotes, found '/' (JSON has no "
     "comments)"),
    ('{"a": NaN}', "a: invalid JSON: expected a value, found 'N' (JSON has no NaN or Infinity)"),
    ("{'a': 1}", "invalid JSON: expected a key in quotes, found \"'\" (JSON strings take double "
     "quotes)"),
    ('{"a": 1e999}', "a: number 1e999 is out of range"),
    ('{"a": "x\ty"}', "invalid JSON: invalid control character at"),
]


@pytest.mark.parametrize(("text", "expected"), JSON_ERRORS, ids=[t for t, _ in JSON_ERRORS])
def test_json_is_read_strictly(text: str, expected: str) -> None:
    (message,) = errors_of(text, "p.json")
    assert message.removeprefix("p.json:1: ") == expected


def test_json_numbers_keep_their_kind_and_lines() -> None:
    (doc,), errors = read_documents('{"spec":\n {"port": 80,\n  "f": 80.0, "e": 9100e0}}',
                                    "p.json")
    spec = doc.get("spec")
    assert errors == [] and spec is not None
    assert [(k, type(v.value).__name__, v.line) for k, v in spec.value.items()] == [
        ("port", "int", 2), ("f", "float", 3), ("e", "float", 3)]


def test_json_duplicate_key_names_both_lines() -> None:
    assert errors_of('{"kind": "Pod",\n "kind": "Service"}', "p.json") == [
        "p.json:2: kind: duplicate key (first at line 1)"]


def test_json_on_stdin_is_detected_and_several_documents_are_read() -> None:
    docs, errors = read_documents('{"a": 1}\n{"b": [true, null]}', "<stdin>")
    assert errors == [] and [d.plain() for d in docs] == [{"a": 1}, {"b": [True, None]}]
    assert math.isfinite(1.0)
