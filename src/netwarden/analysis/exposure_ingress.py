"""Exposure through an Ingress: outside clients, the controller's pods, then the backends.

An Ingress routes HTTP requests from outside the cluster to a Service, but
the connection that reaches a backend pod comes from the Ingress
*controller*'s pods (nginx, Traefik, ...), which proxy it: the client's
address never reaches the backend. So whether a backend is exposed through
an Ingress depends on whether policies admit the controller's pods — their
egress to the backend, and the backend's ingress from them — on the
backend's target port.

Which pods are the controller is a rule, not a guess, and every answer says
which rule it used:

* ``--ingress-controller NS/SELECTOR`` (``ingress-nginx/app.kubernetes.io/
  component=controller``; ``NS`` alone is every pod of the namespace) names
  them; or else
* the pods of the namespaces the common controllers install into by
  default (``CONVENTIONAL_NAMESPACES``: ``ingress-nginx``, ``traefik``, ...).

With controller pods in the input, each one is asked the engine's question
(``Engine.check`` from the controller pod to the backend on the target
port): the line lists the controller workloads that get through, and says
which do not; when none does there is no line, only a note. Without
controller pods the line is kept with a caveat: it holds if the controller
is admitted. One rule serves every Ingress class.

>>> parse_controller("ingress-nginx/app.kubernetes.io/component=controller").text
'pods with app.kubernetes.io/component=controller in namespace ingress-nginx'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..engine import Engine
from ..ir import Direction, Endpoint, EndpointKind, KubeService, PolicyIndex, Selector, ServiceSet
from ..ir import selector as sel
from ..ir.ingresses import IngressRoute, KubeIngress
from ..ir.services import TCP, protocol_name
from ..load import validation as v
from .exposure_words import selector_text
from .workload_names import WorkloadNames

__all__ = ["CONVENTIONAL_NAMESPACES", "ControllerRule", "IngressExposure", "IngressLine",
           "ingress_lines", "parse_controller"]

# Where the common controllers' manifests and charts install them by default:
# ingress-nginx, NGINX Inc.'s nginx-ingress, Traefik, HAProxy, Kong, Contour.
CONVENTIONAL_NAMESPACES = ("ingress-nginx", "nginx-ingress", "traefik", "haproxy-controller",
                           "kong", "projectcontour")
OUTSIDE = "any address outside the cluster"


@dataclass(frozen=True, slots=True)
class ControllerRule:
    """The pods of ``namespace`` that ``selector`` selects are an Ingress controller."""

    namespace: str
    selector: Selector = field(default_factory=sel.All)

    @property
    def text(self) -> str:
        pods = "pods" if self.selector.is_all else f"pods with {selector_text(self.selector)}"
        return f"{pods} in namespace {self.namespace}"

    def matches(self, pod: Endpoint) -> bool:
        return pod.namespace == self.namespace and self.selector.matches(pod.labels)


def parse_controller(text: str) -> ControllerRule:
    """``NS`` or ``NS/SELECTOR``, the selector as kubectl's ``-l`` takes equality ones:
    ``key=value``, ``key!=value``, ``key``, ``!key``, joined by commas. Raises
    ``ValueError`` saying what is wrong.

    >>> parse_controller("traefik").text
    'pods in namespace traefik'
    >>> parse_controller("ingress-nginx/app=x,!canary").selector
    And(operands=(Eq(key='app', value='x'), Not(operand=Has(key='canary'))))
    """
    namespace, slash, selector = text.partition("/")
    if (problem := v.dns1123_label(namespace)) is not None:
        raise ValueError(f"{text!r}: invalid namespace "
                         f"{v.quote(namespace)}: {problem}")
    parts = [_requirement(text, item.strip()) for item in selector.split(",") if item.strip()]
    if slash and not parts:
        raise ValueError(f"{text!r}: empty selector after '/'")
    chosen: Selector = sel.All() if not parts else parts[0] if len(parts) == 1 \
        else sel.And(tuple(parts))
    return ControllerRule(namespace, chosen)


def _requirement(text: str, item: str) -> Selector:
    negated = item.startswith("!")
    if "!=" in item:
        key, value = item.split("!=", 1)
    elif "==" in item or "=" in item:
        key, value = item.split("==" if "==" in item else "=", 1)
    else:
        key, value = item.removeprefix("!"), None
    key = key.strip()
    problem = v.qualified_name(key) or (v.label_value(value.strip())
                                        if value is not None else None)
    if problem is not None or (negated and value is not None):
        raise ValueError(f"{text!r}: {item!r} is no selector requirement "
                         "(key=value, key!=value, key or !key)"
                         + (f": {problem}" if problem else ""))
    if value is None:
        return sel.Not(sel.Has(key)) if negated else sel.Has(key)
    value = value.strip()
    return sel.Ne(key, value) if "!=" in item else sel.Eq(key, value)


@dataclass(slots=True)
class IngressLine:
    """One Ingress's outside clients for one backend pod, on its target ports.

    ``admitted``: the controller workloads policies let through (empty when
    the input has no controller pod); ``caveat`` what the line rests on.
    """

    ingress: KubeIngress
    admitted: tuple[str, ...]
    services: ServiceSet = field(default_factory=ServiceSet.none)
    rules: tuple[str, ...] = ()
    caveat: str | None = None

    @property
    def peer(self) -> str:
        text = f"{OUTSIDE} through Ingress {self.ingress.key}"
        return text + (f" via {', '.join(self.admitted)}" if self.admitted else "")


@dataclass(frozen=True, slots=True)
class IngressExposure:
    """Per backend pod key, its Ingress lines; ``notes`` what was not followed, and why."""

    lines: dict[str, list[IngressLine]]
    notes: tuple[str, ...] = ()


def controller_pods(pods: Iterable[Endpoint], rules: Sequence[ControllerRule]
                    ) -> tuple[Endpoint, ...]:
    return tuple(p for p in pods if p.kind is EndpointKind.POD and p.ips
                 and any(r.matches(p) for r in rules))


def ingress_lines(engine: Engine, rules: Sequence[ControllerRule] | None = None
                  ) -> IngressExposure:
    """The Ingress lines of every backend pod; ``rules`` None: the conventional namespaces."""
    cluster = engine.cluster
    if not cluster.ingresses:
        return IngressExposure({})
    given = rules is not None
    chosen = tuple(rules) if rules is not None else tuple(
        ControllerRule(ns) for ns in CONVENTIONAL_NAMESPACES)
    controllers = controller_pods(cluster.pods, chosen)
    named = WorkloadNames(cluster.pods)
    policies = PolicyIndex(cluster)
    notes = [_rule_note(given, chosen, controllers, named)]
    out: dict[str, list[IngressLine]] = {}
    verdicts: dict[tuple[str, str, int], bool] = {}
    for ingress in cluster.ingresses:
        by_key: dict[tuple[str, tuple[str, ...], tuple[str, ...]], IngressLine] = {}
        for route in ingress.routes:
            target = _service_port(cluster.service(ingress.namespace, route.service)
                                   if route.service else None, ingress, route, notes)
            if target is None:
                continue
            service, index = target
            for backend, port in service.destinations(index):
                pod = cluster.endpoint(backend.key)
                if pod is None or not backend.pod or pod.kind is not EndpointKind.POD:
                    continue
                admitted: list[Endpoint] = []
                denied: list[Endpoint] = []
                for c in controllers:
                    asked = (c.key, pod.key, port)
                    if asked not in verdicts:
                        verdicts[asked] = engine.check(c, pod, "TCP", port).allowed
                    (admitted if verdicts[asked] else denied).append(c)
                if controllers and not admitted:
                    notes.append(f"{ingress.key} {route.field_path} routes to {pod.key} on TCP "
                                 f"{port}, but policies admit none of the controller pods "
                                 f"({', '.join(c.key for c in controllers)}) there: no "
                                 "exposure through it")
                    continue
                names = tuple(sorted({named(c) for c in admitted}))
                open_ = not controllers and not policies.layers(pod, Direction.INGRESS)
                line = by_key.setdefault((pod.key, names, tuple(c.key for c in denied)),
                                         IngressLine(ingress, names, caveat=_caveat(
                                             controllers, denied, chosen, given, open_)))
                line.services = line.services | ServiceSet.ports(TCP, [(port, port)])
                line.rules += (f"{ingress.key} {route.field_path}: {route} → {pod.key} TCP "
                               f"{port}",)
        for (key, _, _), line in by_key.items():
            out.setdefault(key, []).append(line)
    return IngressExposure(out, tuple(dict.fromkeys(notes)))


def _rule_note(given: bool, rules: Sequence[ControllerRule],
               controllers: Sequence[Endpoint], named: WorkloadNames) -> str:
    how = "--ingress-controller" if given else (
        "the namespaces common controllers install into (no --ingress-controller given)")
    which = "; ".join(r.text for r in rules) if given else ", ".join(CONVENTIONAL_NAMESPACES)
    found = ", ".join(sorted({named(c) for c in controllers})) or "none in this input"
    return f"Ingress controller pods, by {how}: {which}; found: {found}"


def _caveat(controllers: Sequence[Endpoint], denied: Sequence[Endpoint],
            rules: Sequence[ControllerRule], given: bool, open_: bool = False) -> str | None:
    """What the line rests on; ``open_``: no policy isolates the backend for ingress."""
    if not controllers:
        where = (f"no pod that --ingress-controller names ({'; '.join(r.text for r in rules)})"
                 if given else "no pod in namespace " + ", ".join(CONVENTIONAL_NAMESPACES)
                 + "; name them with --ingress-controller NS/SELECTOR")
        if open_:
            return ("holds if the Ingress controller's own egress policies let it connect "
                    "(no policy isolates this backend for ingress): the input has " + where)
        return ("holds if policies admit the Ingress controller's pods on these ports: the "
                f"input has {where}")
    if denied:
        return (f"not via controller pods {', '.join(c.key for c in denied)}: policies deny "
                "them on these ports")
    return None


def _service_port(service: KubeService | None, ingress: KubeIngress, route: IngressRoute,
                  notes: list[str]) -> tuple[KubeService, int] | None:
    """The Service and the index of the port the route names, or None with a note."""
    where = f"{ingress.key} {route.field_path}"
    if route.service is None:
        notes.append(f"{where}: resource {route.resource} is no Service: exposure does not "
                     "follow it")
        return None
    if service is None:
        notes.append(f"{where}: Service {ingress.namespace}/{route.service} is not in the "
                     "input: exposure does not follow it")
        return None
    for index, mapping in enumerate(service.ports):
        if (mapping.name == route.port) if isinstance(route.port, str) \
                else (mapping.port == route.port):
            if mapping.protocol != TCP:
                notes.append(f"{where}: {service.key} port {mapping} is "
                             f"{protocol_name(mapping.protocol)}, and an Ingress controller "
                             "proxies HTTP over TCP: not followed")
                return None
            return service, index
    notes.append(f"{where}: {service.key} has no port {route.port}: the route leads nowhere")
    return None
