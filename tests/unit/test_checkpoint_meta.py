"""A checkpoint's metadata file is named once (`SFT_META`, `GRPO_META` in recon/paths.py); every writer and
reader takes the name from there."""

from __future__ import annotations

import json

import recon.paths
from recon.cli.main import main
from recon.evaluation.setup_block import prediction_setup
from tests.conftest import write_lines

PAIR = {"id": "a:1", "domain": "d", "individual": "Ann", "conversation_id": "c1", "turn_index": 1,
        "context": [{"speaker": "Bob", "text": "Why?"}], "action": "Because.", "meta": {}}


def test_the_evaluation_setup_reads_the_sft_metadata_by_its_one_name(tmp_path, monkeypatch):
    monkeypatch.setattr(recon.paths, "SFT_META", "meta_sft.json")
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    (ckpt / "meta_sft.json").write_text(json.dumps({"steps": 7}))
    pred = write_lines(tmp_path / "pred.jsonl", [json.dumps({"id": "a:1", "action": "Yes."})])
    (tmp_path / "pred.jsonl.manifest.json").write_text(json.dumps({"config": {"user_model": f"sft:{ckpt}"}}))
    assert prediction_setup(pred)["sft_steps"] == 7


def test_recon_grpo_synthesis_finds_the_grpo_metadata_by_its_one_name(tmp_path, monkeypatch):
    monkeypatch.setattr(recon.paths, "GRPO_META", "meta_grpo.json")
    data = write_lines(tmp_path / "pairs.jsonl", [json.dumps(PAIR)])
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    (ckpt / "meta_grpo.json").write_text(json.dumps({"reward": "recon"}))
    assert main(["synthesize", "--data", str(data), "--method", "recon-grpo", "--model", f"hf:{ckpt}", "--dry-run",
                 "--out", str(tmp_path / "t.jsonl")]) == 0
