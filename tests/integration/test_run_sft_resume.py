"""SFT inside `recon run` resumes like `recon train sft --resume`: a run killed during training continues from
the latest checkpoint in the stage's folder; a changed config starts afresh (trainer monkeypatched)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recon.backends.fake import FakeBackend
from recon.config import load_run_config
from recon.method.embeddings import HashEmbedder
from recon.run import run_pipeline
from tests.integration.test_pipeline import setup_run


def run(cfg, root):
    """The run on fake backends (the trained user model too: the trainer here writes no weights)."""
    return run_pipeline(cfg, root, embedder=HashEmbedder(), backend_factory=lambda spec: FakeBackend())


class Killed(Exception):
    """Stands in for the process dying mid-training."""


@pytest.fixture
def trainer(monkeypatch):
    """A fake train_sft: records each call's `resume`, writes a checkpoint, and dies once when asked."""
    import recon.training.sft as sft
    state = {"calls": [], "die": False}

    def fake_train_sft(train, traces, *, method, cfg, out, resume=False, **kw):
        out = Path(out)
        state["calls"].append((method, resume, sorted(p.name for p in (out / "checkpoints").glob("*"))))
        (out / "checkpoints" / "checkpoint-1").mkdir(parents=True, exist_ok=True)
        if state["die"]:
            raise Killed()
        (out / sft.SFT_META).write_text(json.dumps({"method": method, "train_pair_ids": [e.id for e in train]}))
    monkeypatch.setattr(sft, "train_sft", fake_train_sft)
    return state


def sft_run(tmp_path, max_steps=2):
    return load_run_config(setup_run(tmp_path, methods=["none"], compare=None, recon_select=None,
                                     user_model={"kind": "sft", "sft": {"max_steps": max_steps}}))


def test_a_run_killed_during_sft_resumes_from_the_stage_folders_checkpoint(tmp_path, recon_home, trainer):
    cfg, root = sft_run(tmp_path)
    trainer["die"] = True
    with pytest.raises(Killed):
        run(cfg, root)
    assert trainer["calls"] == [("none", False, [])]
    trainer["die"] = False
    run(cfg, root)
    assert trainer["calls"][1] == ("none", True, ["checkpoint-1"])
    assert (tmp_path / "run" / "preds" / "none.jsonl").is_file()


def test_a_changed_config_trains_afresh_and_a_finished_stage_is_not_trained_again(tmp_path, recon_home, trainer):
    cfg, root = sft_run(tmp_path)
    trainer["die"] = True
    with pytest.raises(Killed):
        run(cfg, root)
    trainer["die"] = False
    cfg, root = sft_run(tmp_path, max_steps=3)              # other inputs: the old checkpoints are not this training
    run(cfg, root)
    assert trainer["calls"][1] == ("none", False, [])
    run(cfg, root)         # complete and unchanged: skipped
    assert len(trainer["calls"]) == 2
