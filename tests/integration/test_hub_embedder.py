"""The sentence embedder by Hub id: a tiny sentence-transformers model placed in a temporary Hugging Face cache
the way the Hub client lays it out, loaded with the network off by `open_embedder` and by `recon run`
(`models.embedder`), its commit recorded in the setup block; an offline miss is one line naming the fetch."""

from __future__ import annotations

import json
import os

import pytest
import yaml

from recon.cli.main import main
from recon.errors import ConfigError
from recon.method.embeddings import open_embedder
from tests.hub_cache import place_in_cache
from tests.integration.test_pipeline import setup_run
from tests.tiny_model import make_tiny_embedder

pytest.importorskip("sentence_transformers")


@pytest.fixture
def embedder_on_hub(tmp_path_factory, offline_hub):
    """`org/tiny-embed` in the test's cache; its commit."""
    folder = make_tiny_embedder(tmp_path_factory.mktemp("emb") / "tiny-embed")
    return place_in_cache(offline_hub, "org/tiny-embed", folder)


def test_a_hub_id_loads_from_the_cache_offline_and_the_fingerprint_names_its_commit(embedder_on_hub):
    env = dict(os.environ)
    emb = open_embedder("org/tiny-embed")
    assert emb.fingerprint == {"kind": "sentence-transformers", "model": "org/tiny-embed", "hub": "org/tiny-embed",
                               "revision": "main", "commit": embedder_on_hub}
    same, other = emb.cosine(["the court heard it", "the court heard it"], ["the court heard it", "pizza tonight"])
    assert same == pytest.approx(1.0, abs=1e-5) and other < same
    assert emb.embed(["x"]).shape == (1, 32)                  # the tiny model's width, not MiniLM's 384
    pinned = open_embedder(f"org/tiny-embed@{embedder_on_hub}")
    assert pinned.fingerprint["revision"] == embedder_on_hub and pinned.fingerprint["commit"] == embedder_on_hub
    assert dict(os.environ) == env                           # recon leaves HF_HUB_OFFLINE and the rest alone


def test_an_offline_miss_is_one_line_naming_the_id_and_the_fetch_command(offline_hub):
    with pytest.raises(ConfigError) as err:
        open_embedder("org/absent@v1")
    message = str(err.value)
    assert "\n" not in message and "model org/absent@v1 is not in the Hugging Face cache" in message
    assert "HF_HUB_OFFLINE is set" in message and "`hf download org/absent --revision v1`" in message


def test_neither_a_folder_nor_a_hub_id_is_refused_naming_the_default(tmp_path):
    with pytest.raises(ConfigError, match="neither a sentence-transformers folder.*`minilm`"):
        open_embedder(str(tmp_path / "nothing-here"))


def test_recon_run_judges_with_the_hub_embedder_and_records_its_commit(tmp_path, recon_home, embedder_on_hub):
    config = setup_run(tmp_path, methods=["none", "backward"], compare=[["backward", "none"]], recon_select=None,
                       models={"synthesizer": "fake", "user_model": "fake", "judge": "embedding",
                               "embedder": "org/tiny-embed"})
    assert main(["run", str(config)]) == 0
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["setup"]["judge"]["model"]["commit"] == embedder_on_hub
    assert results["setup"]["judge"]["model"]["model"] == "org/tiny-embed"
    assert results["setup"]["embedder"]["commit"] == embedder_on_hub      # recorded with an LM judge too


def test_recon_run_with_an_absent_hub_embedder_stops_before_writing(tmp_path, recon_home, offline_hub, capsys):
    config = setup_run(tmp_path, methods=["none", "backward"], compare=[["backward", "none"]], recon_select=None,
                       models={"synthesizer": "fake", "user_model": "fake", "embedder": "org/absent"})
    assert main(["run", str(config)]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("recon: error")]
    assert len(errors) == 1 and "models.embedder: model org/absent" in errors[0]
    assert "`hf download org/absent`" in errors[0] and not (tmp_path / "run").exists()
    assert yaml.safe_load(config.read_text())["models"]["embedder"] == "org/absent"


def test_recon_evaluate_takes_the_embedder_by_hub_id(tmp_path, embedder_on_hub):
    from tests.conftest import write_lines
    rows = [{"id": f"t:{i}", "domain": "a", "individual": "Ann", "conversation_id": f"c{i}", "turn_index": 1,
             "context": [{"speaker": "Bob", "text": "Why?"}], "action": f"Because of the budget {i}.", "meta": {}}
            for i in range(4)]
    test = write_lines(tmp_path / "test.jsonl", [json.dumps(r) for r in rows])
    good = write_lines(tmp_path / "good.jsonl", [json.dumps({"id": r["id"], "action": r["action"]}) for r in rows])
    bad = write_lines(tmp_path / "bad.jsonl", [json.dumps({"id": r["id"], "action": "Let us adjourn."}) for r in rows])
    assert main(["evaluate", "--test", str(test), "--pred", f"good={good}", "--pred", f"bad={bad}",
                 "--embedder", "org/tiny-embed", "--out", str(tmp_path / "eval")]) == 0
    setup = json.loads((tmp_path / "eval" / "results.json").read_text())["setup"]
    assert setup["judge"]["model"]["commit"] == setup["embedder"]["commit"] == embedder_on_hub


def test_recon_score_with_an_absent_hub_embedder_stops_with_one_line(tmp_path, offline_hub, capsys):
    from tests.conftest import write_lines
    pair = {"id": "t:0", "domain": "a", "individual": "Ann", "conversation_id": "c0", "turn_index": 1,
            "context": [{"speaker": "Bob", "text": "Why?"}], "action": "Because.", "meta": {}}
    data = write_lines(tmp_path / "pairs.jsonl", [json.dumps(pair)])
    traces = write_lines(tmp_path / "traces.jsonl", [json.dumps({"id": "t:0", "trace": "They weigh it."})])
    out = tmp_path / "scored.jsonl"
    assert main(["score", "--traces", str(traces), "--data", str(data), "--scorer", "embedding", "--model", "fake",
                 "--embedder", "org/absent@v2", "--out", str(out)]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("recon: error")]
    assert len(errors) == 1 and "`hf download org/absent --revision v2`" in errors[0] and not out.exists()
