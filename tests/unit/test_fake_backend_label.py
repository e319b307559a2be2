"""Numbers that came from the fake backend (a deterministic test double, not a language model) say so where a
reader looks: a banner at the top of report.md and report.html, results.json's setup, the export's warning
and its dataset card."""

from __future__ import annotations

import json

from recon.cli.main import main
from recon.config import load_run_config
from recon.evaluation.fake_banner import fake_roles
from recon.method.embeddings import HashEmbedder
from recon.run import run_pipeline
from tests.integration.test_pipeline import setup_run


def test_a_fake_backend_run_carries_a_banner_in_every_report(tmp_path, recon_home):
    cfg, root = load_run_config(setup_run(tmp_path))
    run_pipeline(cfg, root, embedder=HashEmbedder())
    out = tmp_path / "run"
    roles = json.loads((out / "results.json").read_text())["setup"]["fake_backend"]
    assert "synthesizer" in roles and "user model" in roles
    md = (out / "eval/report.md").read_text()
    assert "fake backend" in md.split("## Setup")[0]                    # above everything else
    html = (out / "eval/report.html").read_text()
    assert 'class="fake-banner"' in html and html.index("fake-banner") < html.index("<h2>Setup")


def test_roles_are_read_from_every_model_in_the_setup():
    setup = {"judge": {"model": {"kind": "sentence-transformers"}},
             "methods": {"backward": {"predictions": {"model": {"kind": "llamacpp"}},
                                      "traces": {"models": {"synthesizer": {"kind": "fake"},
                                                            "reconstructor": {"kind": "llamacpp"}}}},
                         "none": {"predictions": {"model": {"kind": "llamacpp"}}, "traces": None}}}
    assert fake_roles(setup) == ["synthesizer"]
    setup["judge"]["model"] = {"kind": "fake"}
    assert fake_roles(setup) == ["judge", "synthesizer"]
    assert fake_roles({"judge": {"model": None}, "methods": {}}) == []


def test_exporting_fake_traces_warns_and_the_card_says_so(tmp_path, capsys):
    pairs = tmp_path / "pairs.jsonl"
    rows = [{"id": f"a:{i}", "domain": "council", "individual": "Ann", "conversation_id": f"c{i}", "turn_index": 1,
             "meta": {}, "context": [{"speaker": "Bob", "text": f"Option {i}?"}], "action": f"I vote {i}."}
            for i in range(3)]
    pairs.write_text("".join(json.dumps(r) + "\n" for r in rows))
    traces = tmp_path / "bw.jsonl"
    traces.write_text("".join(json.dumps({"id": f"a:{i}", "method": "backward", "reasoning": "Ann is careful.",
                                          "model": {"kind": "fake", "model": "fake"}}) + "\n" for i in range(3)))
    assert main(["export", "--data", str(pairs), "--traces", str(traces), "--out", str(tmp_path / "x")]) == 0
    assert "fake backend" in capsys.readouterr().err
    card = (tmp_path / "x" / "README.md").read_text()
    assert "fake backend" in card.split("## Loading")[0]
