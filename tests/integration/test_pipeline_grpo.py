"""`recon run` with every trained branch on a tiny random-weight model (tests/tiny_model.py): Recon-GRPO's
policy writes the traces, E2E-GRPO's policy is a user model, SFT user models are trained for the others; the
fake backend reconstructs and judges. Every stage runs, every comparison (with the report's baseline) exists,
a second run skips everything, and a run killed during GRPO training resumes from its checkpoint."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from recon.bench.corpus_files import write_corpus
from recon.config import load_run_config
from recon.method.embeddings import HashEmbedder
from recon.run import run_pipeline
from tests.tiny_model import make_tiny_model

METHODS = ["none", "backward", "recon-grpo", "recon-grpo-select", "e2e-grpo"]


def grid_config(tmp_path: Path, **changes) -> Path:
    data = tmp_path / "data"
    if not data.exists():
        write_corpus(data, individuals=2, pairs=6, seed=0, test_fraction=1 / 3)
        make_tiny_model(tmp_path / "tiny")
    tiny = str(tmp_path / "tiny")
    cfg = {"name": "grid", "data": {"train": ["train.jsonl"], "test": ["test.jsonl"]},
           "models": {"synthesizer": "fake", "user_model": "fake", "judge": "embedding"},
           "methods": METHODS, "synthesis": {"max_tokens": 16},
           "grpo": {"model": f"hf:{tiny}", "num_generations": 2, "per_device_train_batch_size": 2, "max_steps": 3,
                    "max_completion_length": 8, "save_steps": 1, "recon": {"scorer": "likelihood"},
                    "e2e": {"reward": "judge"}},
           "user_model": {"kind": "sft", "action_max_tokens": 24,
                          "sft": {"model": f"hf:{tiny}", "max_steps": 2, "per_device_train_batch_size": 2}},
           "recon_select": {"n": 2},
           "compare": [["recon-grpo", "backward"], ["e2e-grpo", "backward"]],
           "out": str(tmp_path / "run"), **changes}
    cfg = {k: v for k, v in cfg.items() if v is not None}
    path = data / "grid.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.mark.slow       # trains two GRPO policies and three SFT user models, twice over for the resume (~60 s)
def test_the_grid_runs_grpo_and_sft_branches_and_a_rerun_skips_every_stage(tmp_path):
    cfg, root = load_run_config(grid_config(tmp_path))
    first = run_pipeline(cfg, root, embedder=HashEmbedder())
    assert first.ran == ["data", "synthesize:backward", "grpo:recon", "synthesize:recon-grpo",
                         "synthesize:recon-grpo-select", "train:none", "predict:none", "train:backward",
                         "predict:backward", "train:recon-grpo", "predict:recon-grpo", "train:recon-grpo-select",
                         "predict:recon-grpo-select", "grpo:e2e", "predict:e2e-grpo", "evaluate"]
    assert first.incomplete == {}
    out = tmp_path / "run"
    for reward in ("recon", "e2e"):
        meta = json.loads((out / "grpo" / reward / "recon_grpo.json").read_text())
        assert meta["steps"] == 3 and meta["reward"] == reward
        assert first.training[f"grpo:{reward}"]["steps"] == 3
    assert {json.loads(x)["method"] for x in (out / "traces/recon-grpo.jsonl").read_text().splitlines()} \
        == {"recon-grpo"}
    assert json.loads((out / "preds/e2e-grpo.jsonl.manifest.json").read_text())["config"]["user_model"] \
        == f"sft:{out / 'grpo' / 'e2e'}"
    results = json.loads((out / "results.json").read_text())
    pairs = {(c["a"], c["b"]) for c in results["comparisons"] if c["scope"] == "overall"}
    assert pairs == {("recon-grpo", "backward"), ("e2e-grpo", "backward"), ("none", "backward"),
                     ("recon-grpo-select", "backward")}
    selected = [json.loads(x) for x in (out / "traces/recon-grpo-select.jsonl").read_text().splitlines()]
    assert all(len(r["candidates"]) == 2 and r["method"] == "recon-grpo-select" for r in selected)
    assert results["setup"]["methods"]["e2e-grpo"]["predictions"]["user_model"] == "e2e-grpo"
    grpo = results["setup"]["grpo"]
    assert grpo["max_steps"] == 3 and grpo["num_generations"] == 2
    assert grpo["policies"]["recon"]["train_pair_ids_hash"] == grpo["policies"]["e2e"]["train_pair_ids_hash"]
    warm = grpo["policies"]["e2e"]["warm_start"]            # the real SFT checkpoint of none, trained once
    assert warm["checkpoint"] == str(out / "ckpt" / "none") and warm["method"] == "none" and warm["steps"] == 2
    assert json.loads((out / "grpo/e2e/recon_grpo.json").read_text())["base"]["spec"] == str(out / "ckpt" / "none")
    for reward in ("recon", "e2e"):        # a policy that never had a learning signal is named in the warnings
        flat = grpo["policies"][reward]["no_signal_steps"] == 3
        assert flat == any(w.startswith(f"grpo:{reward}: every group") for w in results["warnings"])
    report = (out / "eval/report.md").read_text()
    assert "## Methods × domains" in report and "| vs backward |" in report
    assert (out / "eval/plots/methods_by_domain.png").is_file()
    with __import__("sqlite3").connect(os.environ["RECON_HOME"] + "/recon.sqlite3") as conn:
        reward_calls = conn.execute("SELECT COUNT(*) FROM calls WHERE run = ? AND stage LIKE 'grpo:%'",
                                    (first.run,)).fetchone()[0]
    assert reward_calls > 0                         # the rewards used the run's database and run id

    second = run_pipeline(cfg, root, embedder=HashEmbedder())
    assert second.ran == [] and set(second.skipped) == set(first.ran)


def run_cli(config: Path, home: Path, *, delay: float = 0.0, wait: bool = True):
    env = os.environ | {"RECON_HOME": str(home), "RECON_FAKE_DELAY": str(delay),
                        "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    cmd = [sys.executable, "-m", "recon.cli.main", "run", str(config)]
    if wait:
        return subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.slow       # two subprocess runs, the first killed after GRPO's first checkpoint
def test_a_run_killed_during_grpo_training_resumes_from_its_checkpoint(tmp_path):
    config = grid_config(tmp_path, methods=["none", "recon-grpo"], compare=[["recon-grpo", "none"]], recon_select=None,
                         report={"baseline": "none"}, user_model={"kind": "icl", "k": 1, "action_max_tokens": 24})
    home = tmp_path / "home"
    policy = tmp_path / "run" / "grpo" / "recon"
    proc = run_cli(config, home, delay=0.3, wait=False)         # slow rewards: a step takes over a second
    deadline = time.monotonic() + 300
    while not list((policy / "checkpoints").glob("checkpoint-1")):
        assert proc.poll() is None, "the run ended before its first checkpoint"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (policy / "recon_grpo.json").exists()            # killed mid-training
    resumed = run_cli(config, home)
    meta = json.loads((policy / "recon_grpo.json").read_text())
    assert meta["resumed_from"] and meta["resumed_from"].startswith("checkpoint-") and meta["steps"] == 3
    assert "resuming from the latest checkpoint" in resumed.stderr
    assert (tmp_path / "run" / "results.json").is_file()
