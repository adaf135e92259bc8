"""Lint findings: what was found, where, why it matters and how to fix it.

A finding is plain data so every output format (table, JSON, YAML, CSV,
Markdown, SARIF) is a view of the same records, and tests compare records.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from .._errors import Position

__all__ = ["CATALOG", "SARIF_SCHEMA", "Check", "Finding", "Severity", "findings_csv",
           "findings_md", "findings_sarif", "to_records"]


class Severity(Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True, slots=True)
class Check:
    """One kind of finding: a stable id, a short name and why it matters."""

    id: str
    name: str
    why: str


@dataclass(frozen=True, slots=True)
class Finding:
    id: str
    severity: Severity
    message: str
    fix: str
    location: Position | None = None
    subject: str = ""  # the policy, rule or namespace concerned
    related: tuple[str, ...] = field(default=())

    @property
    def check(self) -> Check:
        return CATALOG[self.id]

    def record(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        data["location"] = str(self.location) if self.location else None
        data["name"] = self.check.name
        data["why"] = self.check.why
        data["related"] = list(self.related)
        order = ("id", "name", "severity", "location", "subject", "message", "why", "fix",
                 "related")
        return {k: data[k] for k in order}


_CHECKS = [
    Check("NW001", "peer-or-meant-and",
          "Two items of one from/to list are OR-ed: a namespaceSelector item admits every pod "
          "of those namespaces, a podSelector item admits matching pods of the policy's own "
          "namespace. Written with one dash too many, 'pods with this label in that "
          "namespace' becomes 'that whole namespace, or those pods here'."),
    Check("NW002", "peer-and-meant-or",
          "A podSelector and a namespaceSelector in one item are AND-ed. When the pods exist "
          "only outside the selected namespaces, the peer matches nothing and the traffic it "
          "was written for is dropped."),
    Check("NW003", "selector-matches-nothing",
          "A selector that matches nothing makes its rule dead: the traffic it was meant to "
          "allow is denied, usually because a label is missing or misspelt."),
    Check("NW004", "no-default-deny",
          "Policies isolate only the pods they select. Other pods of the namespace stay open "
          "to every connection, which is rarely what the author of an allow-list meant."),
    Check("NW005", "dns-blocked",
          "Egress isolation applies to DNS too. Pods that cannot reach UDP 53 fail to resolve "
          "service names, which looks like a network outage."),
    Check("NW006", "policy-selects-nothing",
          "A policy whose podSelector matches no pod has no effect."),
    Check("NW007", "redundant-rule",
          "A rule whose removal changes no connection adds review burden and hides what "
          "actually grants access; it often marks a forgotten or mistaken edit."),
    Check("NW008", "ipblock-covers-pods",
          "ipBlock is meant for addresses outside the cluster. Pod addresses change when pods "
          "restart, and whether ipBlocks match pod traffic depends on the network plugin."),
    Check("NW009", "named-port-undeclared",
          "A port name resolves against the destination pod's containerPorts. When no pod "
          "declares it, the rule matches nothing."),
    Check("NW010", "host-network-pod",
          "Pods with hostNetwork: true share the node's network namespace; NetworkPolicy "
          "does not apply to them, so the policy gives a false sense of protection."),
    Check("NW011", "pod-not-isolated",
          "Pods that no policy selects accept (or open) every connection."),
    Check("NW012", "deny-shadowed-by-allow",
          "Calico evaluates rules in order: a Deny after an Allow that already matches the "
          "same traffic never takes effect."),
    Check("NW013", "pass-in-last-tier",
          "Pass hands the decision to the next tier. In the last tier there is none, so the "
          "endpoint's profile decides (allow for Kubernetes pods)."),
    Check("NW014", "unreachable-rule",
          "A rule that matches every packet decides everything; the rules after it in the "
          "same policy are never reached."),
    Check("NW015", "admin-allow-shadowed",
          "Cluster-wide policies are consulted by priority, lower first, and the first "
          "matching rule decides: an Allow whose traffic an earlier Deny or Pass already "
          "matches never takes effect."),
    Check("NW016", "pass-with-nothing-after",
          "Pass hands the decision to the namespace's NetworkPolicies, then to the baseline. "
          "When neither selects the pods, the passed traffic is simply allowed."),
    Check("NW017", "equal-priority-overlap",
          "Two cluster-wide policies of one tier with the same priority that select the "
          "same pods have no defined order: implementations may apply either first."),
    Check("NW018", "baseline-never-reached",
          "A pod that a NetworkPolicy selects (for a direction) is decided by NetworkPolicy; "
          "baseline rules for it are never consulted, so a baseline Deny there protects "
          "nothing."),
    Check("NW019", "service-port-not-target-port",
          "Policies see a Service connection after DNAT, on the backend's targetPort. A rule "
          "that allows the Service's port instead allows a port nobody connects to, and the "
          "connection through the Service is denied."),
    Check("NW020", "ipblock-names-service",
          "A connection to a ClusterIP is rewritten to a backend pod's address before policy "
          "sees it: an ipBlock naming ClusterIPs or the service CIDR never matches it."),
    Check("NW021", "client-address-lost",
          "With externalTrafficPolicy: Cluster the node masquerades the client of a NodePort "
          "or LoadBalancer Service: the pod sees a node's address, so an ipBlock naming the "
          "clients' range does not admit them."),
    Check("NW022", "ipblock-on-invented-addresses",
          "Pods without status.podIP get an address netwarden picks from the default pod "
          "range. An ipBlock that overlaps that range decides their verdicts by an address "
          "the real cluster does not give them, so the answer may differ there."),
]
CATALOG: dict[str, Check] = {c.id: c for c in _CHECKS}


def to_records(findings: list[Finding]) -> list[dict[str, Any]]:
    return [f.record() for f in findings]


_COLUMNS = ("id", "name", "severity", "location", "subject", "message", "why", "fix")


def findings_csv(findings: list[Finding]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*_COLUMNS, "related"], lineterminator="\n")
    writer.writeheader()
    for record in to_records(findings):
        record["related"] = "; ".join(record["related"])
        writer.writerow({k: "" if v is None else v for k, v in record.items()})
    return out.getvalue()


def findings_md(findings: list[Finding]) -> str:
    if not findings:
        return "No findings.\n"
    lines = ["| severity | id | location | finding | fix |", "|---|---|---|---|---|"]
    for f in findings:
        cells = [f.severity.value, f"{f.id} {f.check.name}", str(f.location or ""),
                 f.message, f.fix]
        lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


# SARIF 2.1.0 (OASIS), as GitHub code scanning and other CI viewers read it.
SARIF_SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                "sarif-schema-2.1.0.json")
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def findings_sarif(findings: list[Finding], version: str, base: str | None = None
                   ) -> dict[str, Any]:
    """One SARIF run: every check of the catalog as a rule (with its help text), every
    finding as a result at its file and line.

    Paths under ``base`` (default: the current directory) are written relative to it
    with ``uriBaseId`` ``%SRCROOT%``, as code scanning maps them onto the repository;
    others as absolute ``file:`` URIs. A finding read from standard input has no
    physical location.
    """
    root = Path(base or os.getcwd()).resolve()
    ids = list(CATALOG)
    rules = [_sarif_rule(CATALOG[i]) for i in ids]
    results = []
    for f in findings:
        result: dict[str, Any] = {
            "ruleId": f.id,
            "ruleIndex": ids.index(f.id),
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f"{f.message}{'' if f.message.endswith('.') else '.'} "
                        f"Fix: {f.fix}"},
        }
        location = _sarif_location(f, root)
        if location is not None:
            result["locations"] = [location]
        if f.related:
            result["properties"] = {"related": list(f.related)}
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "netwarden", "version": version.split()[-1],
                                "rules": rules}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri() + "/"}},
            "results": results,
        }],
    }


def _sarif_rule(check: Check) -> dict[str, Any]:
    return {
        "id": check.id,
        "name": "".join(word.capitalize() for word in check.name.split("-")),
        "shortDescription": {"text": check.name.replace("-", " ")},
        "fullDescription": {"text": check.why},
        "help": {"text": f"{check.why} Run `netwarden lint` for the finding's own fix.",
                 "markdown": f"**{check.id} {check.name}**\n\n{check.why}\n\n"
                 "Each finding says how to fix it; `netwarden lint PATH` prints the same "
                 "findings with why and fix."},
        "properties": {"tags": ["network-policy", "kubernetes"]},
    }


def _sarif_location(f: Finding, root: Path) -> dict[str, Any] | None:
    if f.location is None or not f.location.file or f.location.file.startswith("<"):
        return None
    path = Path(f.location.file).resolve()
    try:
        artifact = {"uri": path.relative_to(root).as_posix(), "uriBaseId": "%SRCROOT%"}
    except ValueError:
        artifact = {"uri": path.as_uri()}
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if f.location.line > 0:
        physical["region"] = {"startLine": f.location.line}
    location: dict[str, Any] = {"physicalLocation": physical}
    if f.subject:
        location["logicalLocations"] = [{"name": f.subject}]
    return location
