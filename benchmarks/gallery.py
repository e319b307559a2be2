"""The pictures in docs/report.md: the report's first screen and the run explorer, taken in Debian's chromium
(1280 × 800) from a finished run folder, by default the demo's.

    .venv/bin/recon demo && .venv/bin/python benchmarks/gallery.py [RUN]
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from recon.run.explorer_page import write_explorer

DOCS_IMG = Path(__file__).resolve().parents[1] / "docs" / "img"


def main() -> None:
    run = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/demo")
    if not (run / "eval" / "report.html").is_file():
        sys.exit(f"{run} holds no finished run: run `recon demo` first")
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("no chromium on PATH (apt-get install chromium)")
    view = write_explorer(run)
    from playwright.sync_api import sync_playwright
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto((run / "eval" / "report.html").resolve().as_uri())
        page.screenshot(path=str(DOCS_IMG / "report-first-screen.png"))
        page.goto(view.resolve().as_uri())
        page.click(".tab[data-tab=train]")
        page.click(".item")
        page.wait_for_selector("#detail h2")
        page.screenshot(path=str(DOCS_IMG / "explorer-training-pair.png"))
        page.click(".tab[data-tab=test]")
        page.click(".item")
        page.screenshot(path=str(DOCS_IMG / "explorer-test-pair.png"))
        browser.close()
    for name in sorted(DOCS_IMG.glob("*.png")):
        print(f"{name} ({name.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
