"""The HTML report in a real headless browser: Debian's Chromium driven by Playwright.

Playwright drives the system's ``/usr/bin/chromium`` (installed by ``make``);
no browser build is downloaded. Each test loads the page from a file and
reads what Chromium laid out: console messages, requests, the SVG's boxes and
the print layout.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netwarden.analysis import render
from netwarden.analysis.external import ExternalConnectivity
from netwarden.engine import Connectivity
from netwarden.ir import Cluster

from .analysis_manifests import base, netpol, ns, pod
from .report_checks import check_graph_matches_matrix, report_model, shop

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
# A4 landscape less the page's 12 mm margins, in CSS pixels (96 per inch).
PRINT_WIDTH = int((297 - 24) / 25.4 * 96)

# Bounding boxes of every node shape, every edge label, cluster title and node text.
_BOXES_JS = """() => {
  const box = e => { const r = e.getBoundingClientRect();
                     return [r.left, r.top, r.right, r.bottom]; };
  const svg = document.getElementById('graph');
  const nodes = [...svg.querySelectorAll('g.node')].map(g => ({
      id: g.id, shape: box(g.querySelector('path, polygon, ellipse')),
      texts: [...g.querySelectorAll('text')].map(box)}));
  const labels = [...svg.querySelectorAll('g.edge text, g.cluster text')].map(t => ({
      text: t.textContent, box: box(t)}));
  return {nodes, labels};
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (make installs Debian's chromium)")
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def _open(browser: Any, html: str, tmp_path: Path, width: int = 1400) -> tuple[Any, list[str],
                                                                             list[str]]:
    path = tmp_path / "report.html"
    path.write_text(html)
    page = browser.new_page(viewport={"width": width, "height": 1000})
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, problems, [u for u in requests if u != path.as_uri()]


def _wide(load: Any) -> Cluster:
    pods = [pod(f"p{i}", f"ns{i % 3}", f"10.244.{i % 3 + 1}.{i + 1}", app=f"a{i % 4}")
            for i in range(24)]
    closed = [netpol("web", f"ns{n}", {"podSelector": {"matchLabels": {"app": "a1"}},
                                       "ingress": [{"ports": [{"port": 80}, {"port": 443}]}]})
              for n in range(3)]
    return load(ns("ns0"), ns("ns1"), ns("ns2"), *pods, *closed)


def _overlap(a: list[float], b: list[float], slack: float = 0.5) -> bool:
    return (a[0] < b[2] - slack and b[0] < a[2] - slack
            and a[1] < b[3] - slack and b[1] < a[3] - slack)


def test_bundled_example_renders_offline_without_console_errors(browser: Any,
                                                               tmp_path: Path) -> None:
    cluster = shop()
    page, problems, requests = _open(browser, render.matrix(cluster, Connectivity(cluster),
                                                            "html"), tmp_path)
    assert problems == [] and requests == []
    assert page.locator("#graph").is_visible()
    assert page.locator("#graph").bounding_box()["width"] > 900
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("external", [False, True], ids=["outside-merged", "external"])
def test_drawn_nodes_and_edges_match_the_data(browser: Any, tmp_path: Path,
                                               external: bool) -> None:
    cluster = shop()
    conn = ExternalConnectivity(cluster) if external else Connectivity(cluster)
    model = report_model(cluster, external=external)
    check_graph_matches_matrix(cluster, model)
    page, problems, _ = _open(browser, render.matrix(cluster, conn, "html"), tmp_path)
    drawn = page.evaluate("""() => ({
        nodes: [...document.querySelectorAll('#graph g.node')].map(g => g.id).sort(),
        edges: [...document.querySelectorAll('#graph g.edge')].map(g => g.id).sort(),
        data: JSON.parse(document.getElementById('report-data').textContent)})""")
    assert drawn["nodes"] == sorted(b.id for b in model.boxes)
    assert drawn["edges"] == sorted(e.id for e in model.edges)
    assert len(drawn["data"]["boxes"]) == len(drawn["nodes"])
    assert len(drawn["data"]["edges"]) == len(drawn["edges"])
    assert page.locator("#edgecount").inner_text() == f"{len(model.edges)} edges"
    assert problems == []
    page.close()


@pytest.mark.parametrize("case", ["shop", "shop-external", "small", "wide"])
def test_no_label_overlaps_a_node(browser: Any, tmp_path: Path, load: Any, case: str) -> None:
    if case.startswith("shop"):
        cluster = shop()
    elif case == "small":
        cluster = load(*base(), netpol("db", "prod", {
            "podSelector": {"matchLabels": {"role": "db"}},
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "api"}}},
                                  {"ipBlock": {"cidr": "192.168.5.10/32"}}],
                         "ports": [{"port": 5432}]}]}))
    else:
        cluster = _wide(load)
    conn = ExternalConnectivity(cluster) if case.endswith("external") else Connectivity(cluster)
    page, _, _ = _open(browser, render.matrix(cluster, conn, "html"), tmp_path)
    found = page.evaluate(_BOXES_JS)
    page.close()
    assert found["labels"], "the graph has labels to check"
    for label in found["labels"]:
        for node in found["nodes"]:
            assert not _overlap(label["box"], node["shape"]), (
                f"label {label['text']!r} overlaps node {node['id']}")
    for node in found["nodes"]:
        for other in found["nodes"]:
            if other is not node:
                assert not _overlap(node["shape"], other["shape"]), (node["id"], other["id"])
                for text in node["texts"]:
                    assert not _overlap(text, other["shape"]), (node["id"], other["id"])


# Every frame's title and outline, and every node's shape.
_FRAMES_JS = """() => {
  const box = e => { const r = e.getBoundingClientRect();
                     return [r.left, r.top, r.right, r.bottom]; };
  const svg = document.getElementById('graph');
  const frames = [...svg.querySelectorAll('g.cluster')].map(g => ({
      title: [...g.querySelectorAll('text')].map(t => t.textContent).join(' '),
      box: box(g.querySelector('path, polygon'))}));
  const nodes = [...svg.querySelectorAll('g.node')].map(g => ({
      id: g.id, shape: box(g.querySelector('path, polygon, ellipse'))}));
  return {frames, nodes};
}"""


def _inside(inner: list[float], outer: list[float], slack: float = 0.5) -> bool:
    return (outer[0] - slack <= inner[0] and outer[1] - slack <= inner[1]
            and inner[2] <= outer[2] + slack and inner[3] <= outer[3] + slack)


@pytest.mark.parametrize("external", [False, True], ids=["outside-merged", "external"])
def test_every_pod_is_drawn_inside_its_namespace_frame(browser: Any, tmp_path: Path,
                                                       external: bool) -> None:
    cluster = shop()
    conn = ExternalConnectivity(cluster) if external else Connectivity(cluster)
    model = report_model(cluster, external=external)
    page, _, _ = _open(browser, render.matrix(cluster, conn, "html"), tmp_path)
    found = page.evaluate(_FRAMES_JS)
    page.close()
    frames = {f["title"].removeprefix("namespace ").split(" (")[0]: f["box"]
              for f in found["frames"] if f["title"].startswith("namespace ")}
    namespaces = {b.node.namespace for b in model.boxes if b.node.namespace is not None}
    assert set(frames) == namespaces
    shapes = {n["id"]: n["shape"] for n in found["nodes"]}
    for b in model.boxes:
        for name, frame in frames.items():
            if b.node.namespace == name:
                assert _inside(shapes[b.id], frame), f"{b.label!r} is outside namespace {name}"
            else:  # other namespaces' pods and the outside nodes stay out of the frame
                assert not _overlap(shapes[b.id], frame), f"{b.label!r} is in namespace {name}"


@pytest.mark.parametrize("case", ["shop", "wide"])
def test_print_layout_has_no_clipped_table(browser: Any, tmp_path: Path, load: Any,
                                           case: str) -> None:
    cluster = shop() if case == "shop" else _wide(load)
    page, _, _ = _open(browser, render.matrix(cluster, Connectivity(cluster), "html"),
                       tmp_path, width=PRINT_WIDTH)
    page.emulate_media(media="print")
    layout = page.evaluate("""() => {
      const visible = e => getComputedStyle(e).display !== 'none' && e.offsetParent !== null;
      const tables = [...document.querySelectorAll('table')].filter(visible).map(t => ({
          right: t.getBoundingClientRect().right, scroll: t.scrollWidth,
          client: t.parentElement.clientWidth}));
      const sections = [...document.querySelectorAll('section')].map(s => ({
          id: s.id, scroll: s.scrollWidth, client: s.clientWidth,
          breakBefore: getComputedStyle(s).breakBefore}));
      return {tables, sections, width: document.documentElement.clientWidth,
              graph: document.getElementById('graph').getBoundingClientRect().right,
              screenOnly: [...document.querySelectorAll('.screen-only')].filter(visible).length};
    }""")
    assert layout["screenOnly"] == 0
    assert len(layout["tables"]) >= 2  # matrix slice(s) and lint findings
    for table in layout["tables"]:
        assert table["right"] <= layout["width"] + 0.5, table
        assert table["scroll"] <= table["client"] + 1, table
    for section in layout["sections"]:
        assert section["scroll"] <= section["client"] + 1, section
    assert [s["breakBefore"] for s in layout["sections"][1:]] == ["page"] * (
        len(layout["sections"]) - 1)
    assert layout["graph"] <= layout["width"] + 0.5
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    page.close()
    pages = max(int(n) for n in re.findall(rb"/Count (\d+)", pdf))
    assert pdf.startswith(b"%PDF") and pages >= len(layout["sections"])
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"report-{case}.pdf").write_bytes(pdf)
