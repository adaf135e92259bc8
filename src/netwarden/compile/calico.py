"""Calico resources → the policy IR: tiers, ordered policies, host endpoints, net sets.

The semantics encoded here, and where they come from:

* ``types`` defaulting differs by API group. The projectcalico.org/v3 API
  server fills in ``[Ingress]``, ``[Egress]`` or both from which rule lists are
  present; crd.projectcalico.org/v1 objects bypass it, and Felix reads empty
  ``types`` as both directions. Each policy's ``notes`` say which applied.
* A namespaced NetworkPolicy applies to pods of its namespace; a
  GlobalNetworkPolicy to pods and host endpoints, limited by its
  ``namespaceSelector`` if any.
* In a rule, as soon as ``selector``, ``notSelector``, ``namespaceSelector`` or
  ``serviceAccounts`` is used, the positive match is limited to the selected
  namespaces, or to the policy's own namespace when it is namespaced
  (libcalico-go ``getEndpointSelector``). ``notSelector`` itself is not
  limited. ``namespaceSelector: all()`` means every namespaced endpoint,
  ``global()`` only non-namespaced ones (host endpoints, global network sets).
* Host endpoints: Felix's failsafe ports, untracked and pre-DNAT stages and
  the default deny for host endpoints are added as tiers around the user's
  (``netwarden.compile.felix``); untracked and pre-DNAT policies move
  to those stages and apply to host endpoints only.
* Policy names are tier-qualified (``tier.name``) outside the ``default`` tier,
  as Calico stores them, so a name with or without the prefix is one policy.
  The name as written is kept (``Policy.source_name``): Felix breaks order
  ties on it (``Policy.felix_key``, docs/calico.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from .._errors import InvalidManifests, Position, ValidationError
from ..ir import (
    Action,
    Direction,
    Endpoint,
    EndpointKind,
    EntityMatch,
    IcmpMatch,
    NamedPort,
    Namespace,
    Origin,
    Policy,
    PolicyKind,
    PortSpec,
    Rule,
    Scope,
    Tier,
)
from ..ir.selector import All, Global, Selector
from ..ir.services import protocol_number
from ..resources import calico as res
from .felix import host_endpoint_stages

__all__ = ["DEFAULT_NAMESPACE", "CalicoCompiled", "compile_calico"]

T = TypeVar("T")
DEFAULT_NAMESPACE = "default"
_DEFAULT_TIER = "default"
_BOTH = frozenset((Direction.INGRESS, Direction.EGRESS))
_POLICY_KINDS = {
    "NetworkPolicy": (PolicyKind.CALICO, frozenset((EndpointKind.POD,))),
    "GlobalNetworkPolicy": (PolicyKind.CALICO_GLOBAL,
                            frozenset((EndpointKind.POD, EndpointKind.HOST))),
}


@dataclass(frozen=True, slots=True)
class CalicoCompiled:
    """What Calico resources add to a cluster.

    ``warnings`` (``file:line: field: text``) name what netwarden reads
    differently from Calico, so a verdict may differ; every command prints them.
    """

    tiers: tuple[Tier, ...] = ()
    policies: tuple[Policy, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    warnings: tuple[str, ...] = ()


class _Notes:
    """A policy's notes (explanations, shown by ``explain``) and the compile's warnings."""

    def __init__(self, warnings: list[str]) -> None:
        self.notes: list[str] = []
        self.warnings = warnings

    def note(self, text: str) -> None:
        self.notes.append(text)

    def warn(self, position: Position | None, field: str, text: str) -> None:
        self.notes.append(f"{field}: {text}")
        self.warnings.append(str(ValidationError(position, field, text)))


def compile_calico(
    resources: Sequence[object], namespaces: Mapping[str, Namespace] | None = None
) -> CalicoCompiled:
    """Compile loaded Calico resources (``netwarden.resources.calico``) into IR.

    ``namespaces`` (the declared ones) is accepted for symmetry with the
    Kubernetes compiler; undeclared namespaces exist implicitly in the IR.
    Raises ``InvalidManifests`` for what Calico's API would refuse although
    each object is valid alone: two objects of one identity, a policy in a
    tier that no ``Tier`` declares.

    >>> from netwarden.resources import calico as res
    >>> from netwarden.ir.selector import All
    >>> gnp = res.GlobalNetworkPolicy(res.CalicoMeta("x", "projectcalico.org"),
    ...                               res.PolicySpec(selector=All(), order=10))
    >>> compile_calico([gnp]).policies[0].id
    'global:x'
    """
    tiers: dict[str, Tier] = {}
    policies: dict[str, Policy] = {}
    endpoints: dict[str, Endpoint] = {}
    errors: list[ValidationError] = []
    warnings: list[str] = []
    tiered: list[tuple[res.NetworkPolicy | res.GlobalNetworkPolicy, str]] = []
    for obj in resources:
        if isinstance(obj, res.Tier):
            _add(tiers, obj.meta.name, compile_tier(obj), obj.meta, "Tier", errors)
        elif isinstance(obj, res.NetworkPolicy | res.GlobalNetworkPolicy):
            policy = compile_policy(obj, warnings)
            _add(policies, policy.id, policy, obj.meta, type(obj).__name__, errors)
            tiered.append((obj, policy.tier))
        elif isinstance(obj, res.HostEndpoint | res.NetworkSet | res.GlobalNetworkSet):
            endpoint = compile_endpoint(obj)
            _add(endpoints, endpoint.key, endpoint, obj.meta, type(obj).__name__, errors)
    for obj, tier in tiered:
        if tier not in tiers and tier != _DEFAULT_TIER:
            errors.append(ValidationError(
                obj.spec.tier_position or obj.meta.position, "spec.tier",
                f"tier {tier!r} is not declared; Calico rejects a policy whose tier "
                "does not exist"))
    if errors:
        raise InvalidManifests(errors)
    has_hosts = any(e.kind is EndpointKind.HOST for e in endpoints.values())
    staged_tiers, staged = host_endpoint_stages(
        tuple(tiers.values()), tuple(policies.values()), has_hosts
    )
    return CalicoCompiled(
        tiers=staged_tiers,
        policies=staged,
        endpoints=tuple(endpoints.values()),
        warnings=tuple(warnings),
    )


def _add(table: dict[str, T], key: str, value: T, meta: res.CalicoMeta, kind: str,
         errors: list[ValidationError]) -> None:
    if key in table:
        first = getattr(table[key], "position", None)
        where = f" (first at {first})" if first else ""
        errors.append(ValidationError(meta.position, "metadata.name",
                                      f"{kind} {meta.name!r} is defined more than once{where}"))
        return
    table[key] = value


# -- tiers and policies ---------------------------------------------------------------

def compile_tier(tier: res.Tier) -> Tier:
    action = Action.PASS if tier.default_action == "Pass" else Action.DENY
    return Tier(tier.meta.name, tier.order, action, tier.meta.position)


def policy_name(name: str, tier: str) -> str:
    """The tier-qualified name Calico stores: ``sec.allow`` in tier sec, ``allow`` in default.

    >>> policy_name("allow", "sec"), policy_name("sec.allow", "sec")
    ('sec.allow', 'sec.allow')
    >>> policy_name("default.allow", "default")
    'allow'
    """
    prefix = f"{tier}."
    if tier == _DEFAULT_TIER:
        return name.removeprefix(prefix) or name
    return name if name.startswith(prefix) else prefix + name


def compile_policy(
    obj: res.NetworkPolicy | res.GlobalNetworkPolicy, warnings: list[str] | None = None
) -> Policy:
    """One Calico policy; what netwarden reads differently from Calico goes to ``warnings``.

    The policy's ``notes`` explain the defaults applied (as Calico applies them).
    """
    meta, spec = obj.meta, obj.spec
    kind_name = "NetworkPolicy" if isinstance(obj, res.NetworkPolicy) else "GlobalNetworkPolicy"
    kind, applies_to = _POLICY_KINDS[kind_name]
    notes = _Notes(warnings if warnings is not None else [])
    namespace: str | None = None
    if kind is PolicyKind.CALICO:
        namespace = meta.namespace or DEFAULT_NAMESPACE
        if meta.namespace is None:
            notes.note(f"no metadata.namespace: placed in {DEFAULT_NAMESPACE!r}, "
                       "as kubectl would")
        scope = Scope(namespace=namespace)
    else:
        scope = _namespace_scope(spec.namespace_selector, notes, meta.position,
                                 "spec.namespaceSelector")
    tier = spec.tier or _DEFAULT_TIER
    name = policy_name(meta.name, tier)
    types = _types(obj, notes)
    policy_id = Policy(name, kind, namespace, All(), types).id
    ingress = _rules(spec.ingress, Direction.INGRESS, policy_id, namespace, notes)
    egress = _rules(spec.egress, Direction.EGRESS, policy_id, namespace, notes)
    return Policy(
        name=name,
        kind=kind,
        namespace=namespace,
        selector=spec.selector,
        types=types,
        ingress=ingress,
        egress=egress,
        tier=tier,
        order=spec.order,
        scope=scope,
        applies_to_kinds=applies_to,
        apply_on_forward=spec.apply_on_forward,
        pre_dnat=spec.pre_dnat,
        do_not_track=spec.do_not_track,
        notes=tuple(notes.notes),
        position=meta.position,
        source_name=meta.name if meta.name != name else None,
    )


def _types(obj: res.NetworkPolicy | res.GlobalNetworkPolicy, notes: _Notes) -> frozenset[
    Direction
]:
    spec = obj.spec
    if spec.types:
        return frozenset(Direction(t) for t in spec.types)
    if spec.pre_dnat:
        notes.note("types defaulted to [Ingress]: preDNAT policies only apply to ingress")
        return frozenset((Direction.INGRESS,))
    if obj.meta.api_group == res.CRD_GROUP:
        notes.note("types defaulted to [Ingress, Egress]: crd.projectcalico.org/v1 objects "
                     "are not defaulted and Felix treats empty types as both")
        return _BOTH
    if spec.egress and spec.ingress:
        chosen, why = _BOTH, "it has ingress and egress rules"
    elif spec.egress:
        chosen, why = frozenset((Direction.EGRESS,)), "it has egress rules and no ingress rules"
    else:
        chosen, why = frozenset((Direction.INGRESS,)), "it has no egress rules"
    shown = ", ".join(d.value for d in (Direction.INGRESS, Direction.EGRESS) if d in chosen)
    notes.note(f"types defaulted to [{shown}] by the projectcalico.org/v3 API: {why}")
    return chosen


def _namespace_scope(
    selector: Selector | None, notes: _Notes, position: Position | None, field: str
) -> Scope:
    """``all()`` is every namespace, ``global()`` no namespace, else matching namespaces."""
    if selector is None:
        return Scope()
    if isinstance(selector, Global):
        return Scope(global_only=True)
    if not selector.is_all and selector.matches({}):
        # Calico matches namespace selectors against pcns.-prefixed labels that
        # non-namespaced endpoints lack, so such a selector would match them too.
        notes.warn(position, field, f"{selector} also matches an empty label set; Calico "
                   "extends it to non-namespaced endpoints (host endpoints, global network "
                   "sets), netwarden does not")
    return Scope(namespace_selector=selector)


# -- rules ------------------------------------------------------------------------------

def _rules(
    rules: Iterable[res.Rule], direction: Direction, policy_id: str, namespace: str | None,
    notes: _Notes,
) -> tuple[Rule, ...]:
    out: list[Rule] = []
    for index, rule in enumerate(rules):
        where = f"spec.{direction.lower}[{index}]"
        out.append(Rule(
            action=Action(rule.action),
            origin=Origin(policy_id, direction, index, position=rule.position),
            source=_entity(rule.source, namespace, notes, f"{where}.source"),
            destination=_entity(rule.destination, namespace, notes, f"{where}.destination"),
            protocol=protocol_number(rule.protocol) if rule.protocol is not None else None,
            not_protocol=(
                protocol_number(rule.not_protocol) if rule.not_protocol is not None else None
            ),
            icmp=IcmpMatch(rule.icmp.type, rule.icmp.code) if rule.icmp else None,
            not_icmp=IcmpMatch(rule.not_icmp.type, rule.not_icmp.code) if rule.not_icmp else None,
            ip_version=rule.ip_version,
        ))
    return tuple(out)


def _entity(
    entity: res.EntityRule, namespace: str | None, notes: _Notes, where: str
) -> EntityMatch:
    if entity.namespace_selector is not None:
        scope = _namespace_scope(entity.namespace_selector, notes, entity.position,
                                 f"{where}.namespaceSelector")
    elif namespace is not None:
        scope = Scope(namespace=namespace)
    else:
        scope = Scope()
    selector = entity.selector
    uses_identity = (
        selector is not None
        or entity.not_selector is not None
        or entity.namespace_selector is not None
        or bool(entity.service_account_names)
    )
    if selector is None and uses_identity and scope != Scope():
        selector = All()  # "in these namespaces" is itself a positive match
    return EntityMatch(
        selector=selector,
        not_selector=entity.not_selector,
        scope=scope if uses_identity else Scope(),
        nets=entity.nets,
        not_nets=entity.not_nets,
        ports=_ports(entity.ports),
        not_ports=_ports(entity.not_ports),
        service_accounts=frozenset(entity.service_account_names),
    )


def _ports(entries: tuple[res.PortEntry, ...]) -> PortSpec | None:
    if not entries:
        return None
    return PortSpec(
        ranges=tuple((e.low, e.high) for e in entries if e.name is None),
        names=tuple(e.name for e in entries if e.name is not None),
    )


# -- endpoints ---------------------------------------------------------------------------

def compile_endpoint(obj: res.HostEndpoint | res.NetworkSet | res.GlobalNetworkSet) -> Endpoint:
    """Host endpoints are keyed ``host/node/interface``; network sets ``ns/name`` or ``name``."""
    meta = obj.meta
    if isinstance(obj, res.HostEndpoint):
        return Endpoint(
            key=f"host/{obj.node}/{obj.interface_name or meta.name}",
            kind=EndpointKind.HOST,
            name=meta.name,
            labels=meta.labels,
            ips=obj.expected_ips,
            ports=tuple(
                NamedPort(p.port, protocol_number(p.protocol), p.name) for p in obj.ports
            ),
            node=obj.node,
            interface=obj.interface_name,
            position=meta.position,
        )
    namespace = None
    if isinstance(obj, res.NetworkSet):
        namespace = meta.namespace or DEFAULT_NAMESPACE
    return Endpoint(
        key=f"{namespace}/{meta.name}" if namespace else meta.name,
        kind=EndpointKind.NETWORK_SET,
        name=meta.name,
        namespace=namespace,
        labels=meta.labels,
        nets=obj.nets,
        position=meta.position,
    )
