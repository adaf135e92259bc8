"""JUnit XML for ``lab run`` and ``lab probe``: one testcase per probed pair.

CI systems (GitLab, Jenkins, GitHub test reporters) show a JUnit file as a
list of tests; here each ordered pair of pods is one test, passed when the
real packets did what the engine predicted and failed (with both answers)
when they did not.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Protocol

__all__ = ["observations_junit"]


class Observed(Protocol):
    """What ``netwarden.lab.observe.Observation`` holds, as far as this report reads it."""

    protocol: str
    port: int | None
    endpoints: list[str]
    observed: dict[str, dict[str, bool]]
    expected: dict[str, dict[str, bool]]


def observations_junit(observations: Sequence[Observed], name: str = "netwarden lab") -> str:
    """``<testsuites>`` with one ``<testsuite>`` per protocol/port probed.

    >>> from types import SimpleNamespace as O
    >>> obs = O(protocol="TCP", port=80, endpoints=["a", "b"],
    ...         observed={"a": {"a": True, "b": True}, "b": {"a": False, "b": True}},
    ...         expected={"a": {"a": True, "b": False}, "b": {"a": False, "b": True}})
    >>> print(observations_junit([obs]).splitlines()[1])
    <testsuites name="netwarden lab" tests="4" failures="1">
    """
    root = ET.Element("testsuites", name=name)
    total = failed = 0
    for obs in observations:
        service = f"{obs.protocol}/{obs.port}" if obs.port is not None else obs.protocol
        suite = ET.SubElement(root, "testsuite", name=f"{name} {service}")
        tests = failures = 0
        for src in obs.endpoints:
            for dst in obs.endpoints:
                want, seen = obs.expected[src][dst], obs.observed[src][dst]
                case = ET.SubElement(suite, "testcase", classname=src,
                                     name=f"{src} -> {dst} {service}")
                tests += 1
                if want != seen:
                    failures += 1
                    verdict = (f"engine {'allows' if want else 'denies'}, lab "
                               f"{'connected' if seen else 'blocked'}")
                    failure = ET.SubElement(case, "failure", message=verdict, type="mismatch")
                    failure.text = (f"{src} -> {dst} {service}: the engine "
                                    f"{'allows' if want else 'denies'} this connection, "
                                    f"real packets were {'let through' if seen else 'dropped'}")
                else:
                    ET.SubElement(case, "system-out").text = (
                        f"{'connected' if seen else 'blocked'}, as the engine predicts")
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        total, failed = total + tests, failed + failures
    root.set("tests", str(total))
    root.set("failures", str(failed))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
