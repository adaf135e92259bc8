"""Exposure through an Ingress: outside clients reach a backend by way of the controller's pods.

The shop namespace has web (listening on 8080, named http) behind Service web
(port 80 → targetPort http) and api (9090) behind Service api (80 → 9090); the
Ingress shop routes shop.example.com/ to web and /api to api. The controller
runs in ingress-nginx (a conventional namespace) unless a case moves it.
"""

from __future__ import annotations

from typing import Any

import pytest

from netwarden import load_cluster
from netwarden.analysis.exposure import Exposure, exposure
from netwarden.analysis.exposure_ingress import ControllerRule, parse_controller
from netwarden.analysis.exposure_text import markdown, text_lines
from netwarden.analysis.report.exposure_section import exposure_section
from netwarden.ir import selector as sel

from .analysis_manifests import netpol, ns, pod

Doc = dict[str, Any]
WEB_LINE = "any address outside the cluster through Ingress shop/ingress/shop"
CONTROLLER = "ingress-nginx/ingress-nginx-controller"


def _service(name: str, app: str, port: int, target: int | str, **extra: Any) -> Doc:
    spec: Doc = {"selector": {"app": app}, "ports": [{"name": "http", "port": port,
                                                      "targetPort": target}], **extra}
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": "shop"}, "spec": spec}


def _route(path: str, service: str, port: Doc) -> Doc:
    return {"path": path, "pathType": "Prefix",
            "backend": {"service": {"name": service, "port": port}}}


def _ingress(*paths: Doc, default: Doc | None = None, name: str = "shop") -> Doc:
    spec: Doc = {"ingressClassName": "nginx"}
    if paths:
        spec["rules"] = [{"host": "shop.example.com", "http": {"paths": list(paths)}}]
    if default is not None:
        spec["defaultBackend"] = default
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": "shop"}, "spec": spec}


def _shop(controller_ns: str = "ingress-nginx") -> list[Doc]:
    return [ns("shop"), ns(controller_ns),
            pod("ingress-nginx-controller", controller_ns, "10.244.9.1",
                **{"app.kubernetes.io/component": "controller"}),
            pod("web", "shop", "10.244.1.1", ((8080, "TCP", "http"),), app="web"),
            pod("api", "shop", "10.244.1.2", ((9090, "TCP", "api"),), app="api"),
            _service("web", "web", 80, "http"), _service("api", "api", 80, 9090),
            _ingress(_route("/", "web", {"name": "http"}),
                     _route("/api", "api", {"number": 80}))]


def _web_from(namespace: str) -> Doc:
    return netpol("web-in", "shop", {
        "podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
            "kubernetes.io/metadata.name": namespace}}}], "ports": [{"port": 8080}]}]})


API_FROM_WEB = netpol("api-in", "shop", {
    "podSelector": {"matchLabels": {"app": "api"}}, "policyTypes": ["Ingress"],
    "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}]})


def _ingress_lines(found: Exposure, workload: str) -> list[tuple[str, tuple[str, ...],
                                                                  str | None]]:
    side = found.workload(workload).ingress
    return [(str(line), line.existing, line.caveat) for line in side.lines if line.via]


def test_a_backend_that_admits_the_controller_is_exposed_through_the_ingress(
        load: Any) -> None:
    found = exposure(load(*_shop(), _web_from("ingress-nginx"), API_FROM_WEB))
    assert _ingress_lines(found, "shop/web") == [
        (f"{WEB_LINE} via {CONTROLLER} : TCP 8080", (CONTROLLER,), None)]
    (line,) = [x for x in found.workload("shop/web").ingress.lines if x.via]
    assert line.via == "shop/ingress/shop" and line.kind == "addresses"
    assert line.rules == ("shop/ingress/shop spec.rules[0].http.paths[0]: shop.example.com/ "
                          "(Prefix) → Service web port http → shop/web TCP 8080",)


def test_a_backend_whose_policies_deny_the_controller_has_no_line_but_a_note(
        load: Any) -> None:
    found = exposure(load(*_shop(), _web_from("ingress-nginx"), API_FROM_WEB))
    assert _ingress_lines(found, "shop/api") == []
    assert ("shop/ingress/shop spec.rules[0].http.paths[1] routes to shop/api on TCP 9090, "
            f"but policies admit none of the controller pods ({CONTROLLER}) there: no "
            "exposure through it") in found.notes


def test_the_controller_s_own_egress_policy_counts(load: Any) -> None:
    deny_out = netpol("deny-out", "ingress-nginx", {"podSelector": {},
                                                     "policyTypes": ["Egress"]})
    found = exposure(load(*_shop(), deny_out))
    assert _ingress_lines(found, "shop/web") == []


def test_without_controller_pods_the_line_holds_if_the_controller_is_admitted(
        load: Any) -> None:
    docs = [d for d in _shop() if d["metadata"]["name"] != "ingress-nginx-controller"]
    found = exposure(load(*docs, API_FROM_WEB))
    missing = ("the input has no pod in namespace ingress-nginx, nginx-ingress, traefik, "
               "haproxy-controller, kong, projectcontour; name them with "
               "--ingress-controller NS/SELECTOR")
    isolated = f"holds if policies admit the Ingress controller's pods on these ports: {missing}"
    # web: no policy selects it for ingress, so only the controller's own egress matters
    open_ = ("holds if the Ingress controller's own egress policies let it connect (no policy "
             f"isolates this backend for ingress): {missing}")
    assert _ingress_lines(found, "shop/web") == [(f"{WEB_LINE} : TCP 8080", (), open_)]
    assert _ingress_lines(found, "shop/api") == [(f"{WEB_LINE} : TCP 9090", (), isolated)]
    assert found.notes[0] == (
        "Ingress controller pods, by the namespaces common controllers install into (no "
        "--ingress-controller given): ingress-nginx, nginx-ingress, traefik, "
        "haproxy-controller, kong, projectcontour; found: none in this input")


def test_a_controller_elsewhere_is_found_by_the_option_not_by_guessing(load: Any) -> None:
    cluster = load(*_shop("edge"), _web_from("edge"))
    unnamed = exposure(cluster)
    assert _ingress_lines(unnamed, "shop/web")[0][2] is not None  # caveat: none found
    rule = parse_controller("edge/app.kubernetes.io/component=controller")
    found = exposure(cluster, controllers=[rule])
    assert _ingress_lines(found, "shop/web") == [
        (f"{WEB_LINE} via edge/ingress-nginx-controller : TCP 8080",
         ("edge/ingress-nginx-controller",), None)]


def test_a_controller_pod_that_policies_deny_is_named_in_the_caveat(load: Any) -> None:
    second = pod("canary", "ingress-nginx", "10.244.9.2",
                 **{"app.kubernetes.io/component": "controller", "track": "canary"})
    web_in = netpol("web-in", "shop", {
        "podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {
            "matchExpressions": [{"key": "track", "operator": "DoesNotExist"}]}}]}]})
    found = exposure(load(*_shop(), second, web_in))
    assert _ingress_lines(found, "shop/web") == [
        (f"{WEB_LINE} via {CONTROLLER} : TCP 8080", (CONTROLLER,),
         "not via controller pods ingress-nginx/canary: policies deny them on these ports")]


def test_the_default_backend_is_a_route_for_any_request(load: Any) -> None:
    docs = [*_shop()[:-1], _ingress(default={"service": {"name": "web",
                                                          "port": {"number": 80}}})]
    (line,) = [x for x in exposure(load(*docs)).workload("shop/web").ingress.lines if x.via]
    assert line.rules == ("shop/ingress/shop spec.defaultBackend: any request no rule "
                          "matches (default backend) → Service web port 80 → shop/web TCP "
                          "8080",)


@pytest.mark.parametrize("route, note", [
    (_route("/", "gone", {"number": 80}),
     "shop/ingress/shop spec.rules[0].http.paths[0]: Service shop/gone is not in the input: "
     "exposure does not follow it"),
    (_route("/", "web", {"name": "https"}),
     "shop/ingress/shop spec.rules[0].http.paths[0]: shop/svc/web has no port https: the "
     "route leads nowhere"),
    ({"path": "/", "pathType": "Prefix", "backend": {"resource": {
        "apiGroup": "k8s.example.com", "kind": "Bucket", "name": "static"}}},
     "shop/ingress/shop spec.rules[0].http.paths[0]: resource k8s.example.com/Bucket/static "
     "is no Service: exposure does not follow it"),
], ids=["missing-service", "missing-port", "resource-backend"])
def test_a_route_that_leads_to_no_pod_is_a_note(load: Any, route: Doc, note: str) -> None:
    docs = [*_shop()[:-1], _ingress(route)]
    found = exposure(load(*docs))
    assert _ingress_lines(found, "shop/web") == []
    assert note in found.notes


def test_a_udp_service_port_is_not_followed(load: Any) -> None:
    udp = _service("dns", "web", 53, 8080)
    udp["spec"]["ports"][0]["protocol"] = "UDP"
    docs = [*_shop()[:-1], udp, _ingress(_route("/", "dns", {"number": 53}))]
    found = exposure(load(*docs))
    assert ("shop/ingress/shop spec.rules[0].http.paths[0]: shop/svc/dns port 53/UDP (http) "
            "is UDP, and an Ingress controller proxies HTTP over TCP: not followed"
            ) in found.notes


def test_every_output_shows_the_caveat(load: Any) -> None:
    docs = [d for d in _shop() if d["metadata"]["name"] != "ingress-nginx-controller"]
    found = exposure(load(*docs, _web_from("ingress-nginx")), ["shop/web"])
    assert "        caveat: holds if policies admit the Ingress controller's pods on these " \
           "ports: the input has no pod in namespace ingress-nginx, nginx-ingress, traefik, " \
           "haproxy-controller, kong, projectcontour; name them with --ingress-controller " \
           "NS/SELECTOR" in text_lines(found)
    assert f"| ingress | **{WEB_LINE}** *(holds if policies admit" in markdown(found)
    assert '<span class="caveat">holds if policies admit' in exposure_section(found)
    (line,) = [x for x in found.workloads[0].ingress.lines if x.via]
    assert line.to_data()["caveat"] == line.caveat and line.to_data()["via"] == \
        "shop/ingress/shop"


@pytest.mark.parametrize("text, rule", [
    ("traefik", ControllerRule("traefik")),
    ("ingress-nginx/app.kubernetes.io/component=controller",
     ControllerRule("ingress-nginx", sel.Eq("app.kubernetes.io/component", "controller"))),
    ("kong/app==kong,tier!=canary,!debug",
     ControllerRule("kong", sel.And((sel.Eq("app", "kong"), sel.Ne("tier", "canary"),
                                     sel.Not(sel.Has("debug")))))),
], ids=["namespace", "equality", "several"])
def test_the_controller_option_reads_a_namespace_and_a_kubectl_selector(
        text: str, rule: ControllerRule) -> None:
    assert parse_controller(text) == rule


@pytest.mark.parametrize("text, message", [
    ("Edge", "'Edge': invalid namespace \"Edge\": must consist of lowercase alphanumerics or "
             "'-', and start and end with an alphanumeric"),
    ("edge/", "'edge/': empty selector after '/'"),
    ("edge/app in (a)", "'edge/app in (a)': 'app in (a)' is no selector requirement "
                        "(key=value, key!=value, key or !key): name part must consist of "
                        "alphanumerics, '-', '_' or '.', and start and end with an "
                        "alphanumeric"),
], ids=["namespace-case", "empty-selector", "set-based"])
def test_a_bad_controller_option_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_controller(text)
    assert str(info.value) == message


def test_the_ingress_shop_example_reads_as_its_readme_says() -> None:
    found = exposure(load_cluster(["examples/ingress-shop"]))
    assert _ingress_lines(found, "shop/Deployment/web") == [
        (f"{WEB_LINE} via ingress-nginx/ingress-nginx-controller : TCP 8080",
         ("ingress-nginx/ingress-nginx-controller",), None)]
    assert _ingress_lines(found, "shop/Deployment/api") == []
