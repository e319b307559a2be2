"""A GRPO policy trained with a reward judge behind a base URL with a password: the checkpoint's metadata,
the run's records and results.json name the judge without the password."""

from __future__ import annotations

import pytest
import yaml

from recon.bench.corpus_files import write_corpus
from recon.config import load_run_config
from recon.method.embeddings import HashEmbedder
from recon.run import run_pipeline
from tests.loopback_server import LoopbackServer
from tests.tiny_model import make_tiny_model

PASSWORD = "pwcanary-Gr9o-Pa55"


@pytest.mark.slow       # trains one tiny SFT warm start and GRPO policy for one step each (random weights)
def test_a_grpo_reward_judges_password_reaches_no_file(tmp_path, recon_home, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    data = tmp_path / "data"
    write_corpus(data, individuals=2, pairs=4, seed=0, test_fraction=1 / 3)
    make_tiny_model(tmp_path / "tiny")
    with LoopbackServer(latency=0.0) as server:          # the listwise judge's rankings fit its schema
        judge = f"openai:j@{server.url.replace('http://', f'http://reader:{PASSWORD}@')}"
        config = data / "grpo.yaml"
        config.write_text(yaml.safe_dump({
            "name": "grpo-secret", "data": {"train": ["train.jsonl"], "test": ["test.jsonl"]},
            "models": {"synthesizer": "fake", "user_model": "fake", "judge": "embedding"},
            "methods": ["none", "e2e-grpo"],
            "grpo": {"num_generations": 2, "per_device_train_batch_size": 2,
                     "max_steps": 1, "max_completion_length": 8, "save_steps": 1,
                     "e2e": {"reward": "judge", "judge": judge}},
            "user_model": {"kind": "sft", "max_tokens": 16,        # the warm start E2E-GRPO's policy grows from
                           "sft": {"model": f"hf:{tmp_path / 'tiny'}", "max_steps": 1,
                                   "per_device_train_batch_size": 2}},
            "out": str(tmp_path / "run")}))
        cfg, root = load_run_config(config)
        result = run_pipeline(cfg, root, embedder=HashEmbedder())
        assert "grpo:e2e" in result.ran and server.requests > 0
    files = [p for folder in (tmp_path / "run", recon_home) for p in folder.rglob("*") if p.is_file()]
    assert any(p.name.endswith(".json") and "grpo" in str(p) for p in files)
    assert [str(p) for p in files if b"pwcanary" in p.read_bytes() or b"Pa55" in p.read_bytes()] == []
