"""The parser registry: how kinds are dispatched, and where other producers' results go."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from netwarden.load.registry import Note, api_group, lookup, register, unregister
from netwarden.load.yamlpos import Node

from .load_helpers import errors, load


@dataclass(frozen=True)
class Widget:
    name: str


@pytest.fixture
def widgets() -> Iterator[None]:
    @register("example.com", "Widget", "Gadget")
    def parse(node: Node) -> list[object]:
        name = node.get("metadata").get("name")  # type: ignore[union-attr]
        assert name is not None
        if name.value == "bad":
            raise name.error("bad widget")
        return [Widget(name.value), Note(node.position, "a widget")]

    yield
    unregister("example.com", "Widget", "Gadget")


@pytest.mark.parametrize(
    ("api_version", "group"),
    [("v1", ""), ("apps/v1", "apps"), ("projectcalico.org/v3", "projectcalico.org")],
    ids=["core", "apps", "calico"],
)
def test_the_group_is_the_api_version_without_version(api_version: str, group: str) -> None:
    assert api_group(api_version) == group


def test_kubernetes_kinds_are_registered_by_group() -> None:
    assert lookup("networking.k8s.io", "NetworkPolicy") is not None
    assert lookup("batch", "CronJob") is not None
    assert lookup("extensions", "NetworkPolicy") is None


def test_registering_a_kind_twice_is_refused(widgets: None) -> None:
    with pytest.raises(ValueError, match="already registered"):
        register("example.com", "Widget")(lambda node: None)


def test_other_resources_go_to_calico_in_load_order_and_notes_to_notes(widgets: None) -> None:
    snap = load("""\
    apiVersion: example.com/v1
    kind: Widget
    metadata: {name: one}
    ---
    apiVersion: example.com/v2
    kind: Gadget
    metadata: {name: two}
    """)
    assert snap.calico == (Widget("one"), Widget("two"))
    assert snap.notes == ("test.yaml:1: a widget", "test.yaml:5: a widget")


def test_a_parser_error_is_gathered_with_the_others(widgets: None) -> None:
    assert errors("""\
    apiVersion: example.com/v1
    kind: Widget
    metadata: {name: bad}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: Bad}
    """)[0] == "test.yaml:3: metadata.name: bad widget"
