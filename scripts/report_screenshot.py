"""Regenerate docs/report.png: the HTML report of examples/shop-twelve in Debian's Chromium.

    .venv/bin/python scripts/report_screenshot.py [OUT.png]

The picture shows the page from its header to the end of the matrix, as a
1400-pixel-wide browser window displays it. Playwright drives the system's
/usr/bin/chromium; no browser build is downloaded.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from netwarden import load_cluster
from netwarden.analysis import render
from netwarden.engine import Connectivity

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def main(out: Path) -> None:
    cluster = load_cluster([ROOT / "examples" / "shop-twelve"])
    html = render.matrix(cluster, Connectivity(cluster), "html")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        page_file = Path(tmp) / "report.html"
        page_file.write_text(html)
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(page_file.as_uri())
        bottom = page.evaluate(
            "() => document.getElementById('matrix-section').getBoundingClientRect().bottom")
        page.screenshot(path=str(out), full_page=True, clip={"x": 0, "y": 0, "width": 1400,
                                             "height": bottom + 12})
        browser.close()
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "report.png")
