"""Small IR builders for dataplane tests (the k8s compiler is not needed)."""

from __future__ import annotations

import ipaddress

from netwarden import ir
from netwarden.ir.selector import All, Eq
from netwarden.ir.services import TCP, UDP

__all__ = ["TCP", "UDP", "allow", "make_pod", "make_policy", "peer", "ports"]


def make_pod(
    name: str, ns: str = "default", ips: tuple[str, ...] = (), **tweaks: object
) -> ir.Endpoint:
    labels = tweaks.pop("labels", {"app": name})
    named = tweaks.pop("named_ports", ())
    return ir.Endpoint(
        key=f"{ns}/{name}",
        kind=ir.EndpointKind.POD,
        name=name,
        namespace=ns,
        labels=ir.Labels(labels),  # type: ignore[arg-type]
        ips=tuple(ipaddress.ip_address(i) for i in ips),
        ports=tuple(ir.NamedPort(p, proto, n) for n, p, proto in named),  # type: ignore[attr-defined]
        **tweaks,  # type: ignore[arg-type]
    )


def ports(*values: int | tuple[int, int] | str) -> ir.PortSpec:
    ranges = tuple((v, v) if isinstance(v, int) else v for v in values if not isinstance(v, str))
    names = tuple(v for v in values if isinstance(v, str))
    return ir.PortSpec(ranges, names)


def peer(app: str | None = None, ns: str | None = "default", **kw: object) -> ir.EntityMatch:
    scope = ir.Scope(namespace=ns) if ns else ir.Scope()
    selector = Eq("app", app) if app else None
    kinds = kw.pop("kinds", frozenset((ir.EndpointKind.POD,)))
    return ir.EntityMatch(selector=selector, scope=scope, kinds=kinds, **kw)  # type: ignore[arg-type]


def allow(policy: str, direction: ir.Direction, index: int = 0, action: ir.Action = ir.Action.ALLOW,
          **kw: object) -> ir.Rule:
    return ir.Rule(action, ir.Origin(policy, direction, index), **kw)  # type: ignore[arg-type]


def make_policy(
    name: str,
    app: str | None,
    ns: str = "default",
    ingress: tuple[ir.Rule, ...] | None = None,
    egress: tuple[ir.Rule, ...] | None = None,
    **kw: object,
) -> ir.Policy:
    types = set()
    if ingress is not None:
        types.add(ir.Direction.INGRESS)
    if egress is not None:
        types.add(ir.Direction.EGRESS)
    kind = kw.pop("kind", ir.PolicyKind.K8S)
    return ir.Policy(
        name=name,
        kind=kind,  # type: ignore[arg-type]
        namespace=ns,
        selector=Eq("app", app) if app else All(),
        types=frozenset(types),
        ingress=ingress or (),
        egress=egress or (),
        scope=ir.Scope(namespace=ns),
        **kw,  # type: ignore[arg-type]
    )
