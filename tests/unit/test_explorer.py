"""The run explorer's data and page, without a browser (tests/integration/test_browser_pages.py opens it)."""

from __future__ import annotations

import json

import pytest

from recon.cli.main import main
from recon.run.explorer_data import explorer_data
from recon.run.explorer_page import explorer_page
from tests.hostile_run import HOSTILE, hostile_run


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    import os
    home = tmp_path_factory.mktemp("home")
    old = os.environ.get("RECON_HOME")
    os.environ["RECON_HOME"] = str(home)
    try:
        yield hostile_run(tmp_path_factory.mktemp("hostile"))
    finally:
        if old is not None:
            os.environ["RECON_HOME"] = old


def test_a_training_pair_shows_every_candidate_and_which_one_each_method_kept(run):
    data = explorer_data(run)
    pair = data["train"][0]
    assert len(pair["candidates"]) == 3
    assert sorted(c["rank"] for c in pair["candidates"] if c["rank"]) == [1, 2, 3]
    kept = {m: t["kept"] for m, t in pair["traces"].items()}
    assert set(kept) >= {"backward", "recon-select", "random-of-n", "longest-of-n"}
    best = next(i for i, c in enumerate(pair["candidates"]) if c["rank"] == 1)
    assert kept["recon-select"] == best                    # Recon-Select keeps the best honest one
    record = json.loads((run / "traces/recon-select.jsonl").read_text().splitlines()[0])
    assert kept["recon-select"] == record["selected_index"]


def test_a_test_pair_shows_each_methods_prediction_and_the_verdicts_by_name(run):
    data = explorer_data(run)
    pair = data["test"][0]
    assert set(pair["predictions"]) == set(data["methods"])
    judged = [json.loads(x) for x in (run / "eval/judgments.jsonl").read_text().splitlines()]
    mine = [j for j in judged if j["id"] == pair["id"]]
    assert len(pair["verdicts"]) == len(mine)
    for v, j in zip(pair["verdicts"], mine, strict=True):
        assert v["winner"] == {"a": j["a"], "b": j["b"]}.get(j["verdict"])


def test_the_page_embeds_its_data_so_no_field_can_close_the_script(run):
    page = explorer_page(explorer_data(run))
    assert page.count("<script") == 2 and page.count("</script>") == 2       # the page's own, nothing from data
    assert "<!--" not in page
    payload = page.split('id="recon-data">', 1)[1].split("</script>", 1)[0]
    assert HOSTILE in json.dumps(json.loads(payload), ensure_ascii=False).replace('\\"', '"')


def test_recon_view_writes_the_page_and_a_run_writes_it_too(run, tmp_path):
    assert (run / "view.html").is_file()                  # recon run wrote it
    assert main(["view", str(run), "--out", str(tmp_path / "v.html")]) == 0
    assert "recon-data" in (tmp_path / "v.html").read_text()
    assert main(["view", str(tmp_path)]) == 2
