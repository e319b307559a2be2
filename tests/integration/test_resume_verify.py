"""Resuming verifies what it reuses: a stage whose output was truncated or changed after it finished runs
again (its LM calls from the cache), the run names the stage and the file, and the re-run's outputs are the
bytes of a clean run's. A record written without output hashes cannot be verified and re-runs too."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from recon.config import load_run_config
from recon.method.embeddings import HashEmbedder
from recon.run import run_pipeline
from tests.integration.test_pipeline import setup_run

METHODS = {"methods": ["none", "backward"], "compare": [["backward", "none"]], "recon_select": None}
OUTPUTS = ["data/train.jsonl", "data/test.jsonl", "traces/backward.jsonl", "preds/none.jsonl",
           "preds/backward.jsonl", "eval/judgments.jsonl"]


def run(tmp_path: Path, **changes):
    cfg, root = load_run_config(setup_run(tmp_path, **{**METHODS, **changes}))
    messages: list[str] = []
    result = run_pipeline(cfg, root, embedder=HashEmbedder(), log=messages.append)
    return result, messages


def paid(home: Path, run_id: str) -> int:
    with sqlite3.connect(home / "recon.sqlite3") as conn:
        return conn.execute("SELECT COUNT(*) FROM calls WHERE run = ? AND cache_hit = 0", (run_id,)).fetchone()[0]


def snapshot(out: Path) -> dict[str, bytes]:
    return {rel: (out / rel).read_bytes() for rel in OUTPUTS}


def truncate(path: Path, *, at_line_boundary: bool) -> None:
    data = path.read_bytes()
    lines = data.splitlines(keepends=True)
    if at_line_boundary:
        path.write_bytes(b"".join(lines[: len(lines) // 2]))        # whole records, some of them missing
    else:
        path.write_bytes(data[: len(data) // 2 + 3])                  # ends inside a record


@pytest.mark.parametrize("rel,stage", [("traces/backward.jsonl", "synthesize:backward"),
                                       ("data/train.jsonl", "data")])
@pytest.mark.parametrize("at_line_boundary", [False, True])
def test_a_truncated_output_makes_its_stage_run_again_to_the_same_bytes(tmp_path, recon_home, rel, stage,
                                                                        at_line_boundary):
    run(tmp_path)
    out = tmp_path / "run"
    clean = snapshot(out)
    truncate(out / rel, at_line_boundary=at_line_boundary)
    again, messages = run(tmp_path)
    assert stage in again.ran
    assert any(m.startswith(f"{stage}: ") and rel in m and "changed" in m for m in messages), messages
    assert snapshot(out) == clean
    assert paid(recon_home, again.run) == 0                           # every LM call came from the cache
    third, _ = run(tmp_path)
    assert third.ran == []                                            # and the run is whole again


def test_a_record_without_output_hashes_is_not_trusted(tmp_path, recon_home):
    run(tmp_path)
    out = tmp_path / "run"
    clean = snapshot(out)
    record_path = out / "stages" / "synthesize_backward.json"
    record = json.loads(record_path.read_text())
    record["outputs"] = [str(out / "traces" / "backward.jsonl")]      # how records were written before
    record_path.write_text(json.dumps(record))
    again, messages = run(tmp_path)
    assert again.ran == ["synthesize:backward"]                       # the same bytes: nothing after it re-runs
    assert any(m.startswith("synthesize:backward: ") and "no output hashes" in m for m in messages), messages
    assert snapshot(out) == clean and paid(recon_home, again.run) == 0


def test_a_changed_file_of_a_checkpoint_folder_makes_training_run_again(tmp_path, monkeypatch):
    import recon.training.sft as sft
    trained: list[str] = []

    def fake_train_sft(train, traces, *, method, cfg, out, **kw):
        trained.append(method)
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / "model.safetensors").write_bytes(b"weights of " + method.encode())
        (Path(out) / sft.SFT_META).write_text(json.dumps({"method": method, "train_pair_ids": []}))
    monkeypatch.setattr(sft, "train_sft", fake_train_sft)
    cfg, root = load_run_config(setup_run(tmp_path, **METHODS, user_model={"kind": "sft", "sft": {"max_steps": 1}}))
    run_pipeline(cfg, root, embedder=HashEmbedder(), backend_factory=lambda c: FakeUserModel())
    weights = tmp_path / "run" / "ckpt" / "none" / "model.safetensors"
    weights.write_bytes(b"weights of n")                              # cut short after training finished
    messages: list[str] = []
    again = run_pipeline(cfg, root, embedder=HashEmbedder(), backend_factory=lambda c: FakeUserModel(),
                         log=messages.append)
    assert trained == ["none", "backward", "none"] and "train:none" in again.ran
    assert any(m.startswith("train:none: ") and "model.safetensors" in m for m in messages), messages


def FakeUserModel():
    from recon.backends.fake import FakeBackend
    return FakeBackend()
