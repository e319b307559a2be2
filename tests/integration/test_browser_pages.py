"""The pages recon writes, opened in a real browser (Debian's Chromium driven by Playwright; nothing is
downloaded): the run explorer, report.html and the human-labelling form load without console errors, their
filters and links work, a labelled form round-trips through `recon human import`, and markup, comments,
script tags and quotes in every field of the data render as text."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from recon.cli.main import main
from tests.hostile_run import HOSTILE, hostile_run

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("no chromium on PATH (Debian: apt-get install chromium; `make test` installs it as root)")
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    import os
    old = os.environ.get("RECON_HOME")
    os.environ["RECON_HOME"] = str(tmp_path_factory.mktemp("home"))
    try:
        folder = hostile_run(tmp_path_factory.mktemp("hostile"))
        assert main(["view", str(folder)]) == 0                  # again, now that every record is hostile
        yield folder
    finally:
        if old is not None:
            os.environ["RECON_HOME"] = old


def open_page(browser, url):
    page = browser.new_page(accept_downloads=True)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: errors.append("dialog: " + d.message))
    page.goto(url)
    return page, errors


def assert_inert(page, errors, scripts: int):
    assert errors == []
    assert page.evaluate("window.pwned === undefined")                  # no script or handler from the data ran
    assert page.evaluate("document.querySelectorAll('script').length") == scripts
    assert page.evaluate("document.querySelectorAll('img[src=x]').length") == 0


def shown(page) -> int:
    return int(page.inner_text("#count").split(" of ")[0])


def test_the_explorer_filters_shows_candidates_and_keeps_data_as_text(browser, run):
    page, errors = open_page(browser, (run / "view.html").as_uri())
    total = shown(page)
    assert total == len((run / "data/test.jsonl").read_text().splitlines())
    person = page.eval_on_selector("#individual", "s => s.options[1].value")
    page.select_option("#individual", person)
    assert 0 < shown(page) < total
    page.select_option("#individual", "")
    page.fill("#search", "no such text anywhere")
    assert shown(page) == 0
    page.fill("#search", "")
    page.click(".item")
    detail = page.inner_text("#detail")
    assert HOSTILE in detail and "recon-select" in detail and "closer" in detail
    page.click(".tab[data-tab=train]")
    page.click(".item")
    detail = page.inner_text("#detail")
    assert "Candidates" in detail and f"reconstructed {HOSTILE}" in detail
    assert page.locator("tr.kept").count() >= 1
    page.check("#leaked")
    assert shown(page) <= len((run / "data/train.jsonl").read_text().splitlines())
    assert_inert(page, errors, scripts=2)


def test_report_links_open_the_explorer_at_their_pair(browser, run):
    page, errors = open_page(browser, (run / "eval/report.html").as_uri())
    assert HOSTILE in page.inner_text("body")
    assert_inert(page, errors, scripts=0)
    link = page.locator("section h3 a").first
    pair = link.inner_text()
    link.click()
    page.wait_for_selector("#detail h2")
    assert page.inner_text("#detail h2") == pair
    assert_inert(page, errors, scripts=2)


def test_a_labelled_form_round_trips_through_human_import(browser, run, tmp_path):
    items = tmp_path / "items.csv"
    assert main(["human", "export", str(run / "eval"), "--n", "4", "--out", str(items)]) == 0
    page, errors = open_page(browser, items.with_suffix(".html").as_uri())
    assert HOSTILE in page.inner_text("body")
    names = page.eval_on_selector_all("section[data-item]", "s => s.map(x => x.dataset.item)")
    for k, name in enumerate(names):
        page.check(f'input[name="{name}"][value="{("1", "2", "tie")[k % 3]}"]')
    with page.expect_download() as download:
        page.click("#save")
    labelled = tmp_path / "labelled.csv"
    download.value.save_as(labelled)
    assert_inert(page, errors, scripts=1)
    rows = list(csv.DictReader(labelled.open(encoding="utf-8")))
    assert [r["label"] for r in rows] == [("1", "2", "tie")[k % 3] for k in range(len(names))]
    assert main(["human", "import", str(labelled), "--eval", str(run / "eval")]) == 0
    saved = json.loads((run / "eval/human_agreement.json").read_text())
    assert saved["n"] == len(names) and saved["unlabelled"] == 0


def test_the_first_screen_shows_the_setup_the_main_table_and_the_main_figure(browser, run):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto((run / "eval/report.html").as_uri())
    for selector in ("ul.setup", "#main-table", "#fig-methods_by_domain img"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["y"] < 800, selector
    assert page.locator("#fig-methods_by_domain img").bounding_box()["y"] + 60 < 800    # visibly started
