"""Models by Hub id: a tiny model placed in a temporary Hugging Face cache the way the Hub client lays it out,
loaded by `hf:ORG/NAME[@REVISION]` with the network off, in `recon synthesize` and `recon train sft`."""

from __future__ import annotations

import json

import pytest

from recon.cli.main import main
from recon.paths import manifest_path
from tests.conftest import write_lines
from tests.hub_cache import place_in_cache
from tests.tiny_model import make_tiny_model

pytest.importorskip("transformers")
PAIR = {"domain": "a", "individual": "Ann", "turn_index": 1, "context": [{"speaker": "Bob", "text": "Why?"}],
        "meta": {}}


@pytest.fixture
def tiny_on_hub(tmp_path_factory, offline_hub):
    """`org/tiny` in the test's cache; its commit."""
    return place_in_cache(offline_hub, "org/tiny", make_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny"))


def pairs_file(tmp_path, n=2):
    rows = [json.dumps(PAIR | {"id": f"a:{i}", "conversation_id": f"c{i}", "action": f"Because {i}."})
            for i in range(n)]
    return write_lines(tmp_path / "pairs.jsonl", rows)


def test_the_hf_backend_loads_a_hub_id_from_the_cache_and_fingerprints_its_commit(tiny_on_hub):
    from recon.backends.base import GenRequest, Message
    from recon.backends.registry import build_backend
    backend = build_backend("hf:org/tiny")
    assert backend.fingerprint.model == "org/tiny"
    assert backend.fingerprint.extra["commit"] == tiny_on_hub and backend.fingerprint.extra["revision"] == "main"
    assert backend.render((Message("user", "hi"),)) == "<|user|>hi\n<|assistant|>"      # the repo's chat template
    assert backend.generate([GenRequest(messages=(Message("user", "hi"),), max_tokens=3)])[0].completion_tokens > 0
    pinned = build_backend(f"hf:org/tiny@{tiny_on_hub}")
    assert pinned.fingerprint.extra["commit"] == tiny_on_hub and pinned.fingerprint.extra["revision"] == tiny_on_hub


def test_recon_synthesize_runs_on_a_hub_id_and_its_manifest_names_the_commit(tiny_on_hub, tmp_path):
    out = tmp_path / "traces.jsonl"
    assert main(["synthesize", "--data", str(pairs_file(tmp_path)), "--method", "backward", "--model", "hf:org/tiny",
                 "--max-tokens", "8", "--out", str(out)]) in (0, 1)
    manifest = json.loads(manifest_path(out).read_text())
    assert any(fp.get("extra", {}).get("commit") == tiny_on_hub for fp in manifest["fingerprints"])


def test_an_offline_miss_stops_with_one_line_naming_the_id_and_how_to_fetch_it(tmp_path, capsys):
    out = tmp_path / "traces.jsonl"
    assert main(["synthesize", "--data", str(pairs_file(tmp_path)), "--method", "backward",
                 "--model", "hf:org/absent@v1", "--out", str(out)]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("recon: error")]
    assert len(errors) == 1 and not out.exists()
    assert "model org/absent@v1" in errors[0] and "`hf download org/absent --revision v1`" in errors[0]


@pytest.mark.slow          # trains a tiny model for one step (~6 s)
def test_recon_train_sft_trains_a_hub_id_and_records_its_commit(tiny_on_hub, tmp_path):
    pytest.importorskip("trl")
    out = tmp_path / "ckpt"
    assert main(["train", "sft", "--data", str(pairs_file(tmp_path, 4)), "--model", "hf:org/tiny", "--max-steps",
                 "1", "--per-device-train-batch-size", "2", "--no-lora", "--out", str(out)]) == 0
    meta = json.loads((out / "recon_sft.json").read_text())
    assert meta["base"]["hub"] == "org/tiny" and meta["base"]["commit"] == tiny_on_hub
