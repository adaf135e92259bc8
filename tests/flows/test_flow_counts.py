"""Flows counted per connection: what suggest and replay read (every line still validated)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from netwarden._errors import ValidationError
from netwarden.analysis.flows import (
    FlowCount,
    FlowVerdict,
    count_flows,
    dump_flow,
    iter_flows,
    read_flow_counts,
    read_flow_file,
    tally,
)

from .test_flow_records import ERRORS, FULL, OUTSIDE

HUBBLE = Path(__file__).parent / "data" / "hubble-observe.json"


def _again(second: int, port: int) -> bytes:
    """FULL made again: another time and another source port."""
    return dump_flow(replace(FULL, time=f"2026-12-01T12:00:{second:02d}Z",
                             source=replace(FULL.source, port=port)))


def test_lines_that_differ_only_by_time_and_source_port_are_one_count() -> None:
    lines = [dump_flow(FULL), dump_flow(OUTSIDE), _again(5, 40200), _again(6, 40300)]
    assert count_flows(lines, "flows.jsonl") == (FlowCount(FULL, 3), FlowCount(OUTSIDE, 1))


@pytest.mark.parametrize("other", [
    replace(FULL, destination=replace(FULL.destination, port=5433)),
    replace(FULL, verdict=FlowVerdict.ALLOWED),
    replace(FULL, protocol="UDP"),
    replace(FULL, source=replace(FULL.source, pod="web-7d9f-fghij")),
], ids=["destination port", "verdict", "protocol", "source pod"])
def test_a_flow_that_differs_in_anything_else_is_another_connection(other: object) -> None:
    assert isinstance(other, type(FULL))
    counted = count_flows([dump_flow(FULL), dump_flow(other)], "flows.jsonl")
    assert counted == (FlowCount(FULL, 1), FlowCount(other, 1))


# OUTSIDE's source with the rest of FULL: each part seen before, the connection new
MIXED = replace(FULL, source=replace(OUTSIDE.source, port=41000))


def test_counting_a_file_gives_the_tally_of_its_flows(tmp_path: Path) -> None:
    path = tmp_path / "flows.jsonl"
    path.write_bytes(b"".join([dump_flow(OUTSIDE), _again(1, 1), dump_flow(FULL), _again(2, 2),
                               dump_flow(OUTSIDE), dump_flow(MIXED)]))
    counts = read_flow_counts(path)
    assert counts.counted == tally(read_flow_file(path).flows)
    assert counts.counted[-1] == FlowCount(MIXED, 1)
    assert (counts.kind, counts.total, counts.notes) == ("netwarden", 6, [])


def test_a_file_with_crlf_line_ends_reads_as_with_lf(tmp_path: Path) -> None:
    lf, crlf = tmp_path / "lf.jsonl", tmp_path / "crlf.jsonl"
    lf.write_bytes(dump_flow(FULL) + dump_flow(OUTSIDE))
    crlf.write_bytes(lf.read_bytes().replace(b"\n", b"\r\n"))
    assert read_flow_counts(crlf).counted == read_flow_counts(lf).counted
    assert read_flow_file(crlf).flows == (FULL, OUTSIDE)


def test_a_truncated_line_is_an_error_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "flows.jsonl"
    path.write_bytes(dump_flow(OUTSIDE) + b"{\n")
    with pytest.raises(ValidationError, match=r"^.*flows.jsonl:2: not JSON: unexpected end of "
                       r"data: line 1 column 2"):
        read_flow_counts(path)


def test_a_hubble_export_is_counted_as_it_is_read() -> None:
    counts = read_flow_counts(HUBBLE)
    file = read_flow_file(HUBBLE)
    assert (counts.kind, counts.counted, counts.total, counts.notes) == (
        "hubble", tally(file.flows), len(file.flows), file.notes)


@pytest.mark.parametrize(("line", "message"), ERRORS, ids=[m.split(": ")[1] for _, m in ERRORS])
def test_a_bad_record_is_an_error_at_file_line_and_field_when_counted(
        line: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        count_flows([dump_flow(OUTSIDE), line.encode()], "flows.jsonl")
    assert str(caught.value).startswith(message)


REPEATS = [
    (b'"time": "noon"', "flows.jsonl:2: time: expected an RFC 3339 time "
     "(2026-12-01T12:00:00Z), got 'noon'"),
    (b'"time": 12', "flows.jsonl:2: time: expected an RFC 3339 time "
     "(2026-12-01T12:00:00Z), got 12"),
    (b'"port": -1', "flows.jsonl:2: source.port: expected an integer from 0 to 65535, got -1"),
    (b'"port": true',
     "flows.jsonl:2: source.port: expected an integer from 0 to 65535, got True"),
]


@pytest.mark.parametrize(("bad", "message"), REPEATS, ids=[m for _, m in REPEATS])
@pytest.mark.parametrize("reader", [count_flows, lambda lines, name: list(iter_flows(lines, name))],
                         ids=["counted", "read"])
def test_a_repeated_connection_with_a_bad_time_or_source_port_is_still_an_error(
        bad: bytes, message: str, reader: Callable[[list[bytes], str], object]) -> None:
    """The repeat is checked for what differs from the line it repeats."""
    first = dump_flow(FULL)
    field = b'"time": ' if bad.startswith(b'"time"') else b'"port": '
    good = b'"time":"2026-12-01T12:00:00.123456789Z"' if field == b'"time": ' \
        else b'"port":40112'
    assert good in first
    with pytest.raises(ValidationError) as caught:
        reader([first, first.replace(good, bad)], "flows.jsonl")
    assert str(caught.value).startswith(message)


def test_a_new_connection_of_known_parts_with_a_bad_source_port_is_an_error() -> None:
    lines = [dump_flow(OUTSIDE), dump_flow(FULL),
             dump_flow(MIXED).replace(b'"port":41000', b'"port":"41000"')]
    with pytest.raises(ValidationError, match=r"^flows.jsonl:3: source.port: expected an "
                       r"integer from 0 to 65535, got '41000'"):
        count_flows(lines, "flows.jsonl")


def test_a_repeated_connection_without_a_time_is_an_error() -> None:
    first = dump_flow(FULL)
    repeat = first.replace(b'"time":"2026-12-01T12:00:00.123456789Z",', b"")
    with pytest.raises(ValidationError, match=r"^flows.jsonl:2: time: required"):
        count_flows([first, repeat], "flows.jsonl")


def test_counts_add_up_across_tallies() -> None:
    assert tally([FlowCount(FULL, 2), FULL, FlowCount(OUTSIDE, 4)]) == (
        FlowCount(FULL, 3), FlowCount(OUTSIDE, 4))

