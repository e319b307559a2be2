"""A user model never meets its own training conversations at test time: SFT and E2E-GRPO checkpoints record
the conversations they were trained on, and predicting one of them stops (unless explicitly allowed, which is
then recorded in every output record and the manifest)."""

from __future__ import annotations

import json

import pytest

from recon.cli.main import main
from recon.config import BackendConfig, UserModelConfig
from recon.errors import ConfigError
from recon.jobs.context import JobContext
from recon.jobs.predict import run_predict
from recon.paths import manifest_path
from recon.store.db import Database
from recon.types import Example, Turn
from tests.conftest import write_lines


def pair(i, convo):
    return Example(id=f"Ann:{i}", domain="council", individual="Ann", conversation_id=convo, turn_index=1,
                   context=(Turn("Bob", f"Item {i}?"),), action=f"Answer {i}.")


TEST = [pair(1, "fresh-1"), pair(2, "trained-7"), pair(3, "fresh-2")]


def checkpoint(tmp_path, meta_file="recon_sft.json", **meta):
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    (ckpt / meta_file).write_text(json.dumps({"method": "backward", "train_conversations": ["trained-7", "t-8"],
                                              **meta}))
    return ckpt


def test_predicting_a_training_conversation_stops_naming_it(tmp_path):
    with pytest.raises(ConfigError, match="'trained-7'.*--allow-train-overlap"):
        run_predict(JobContext(database=Database(tmp_path / "db.sqlite3")),
                    TEST, train=[], traces=None, method="backward",
                    user_model="sft:ckpt", backend_config=BackendConfig(spec="fake"), cfg=UserModelConfig(),
                    out=tmp_path / "p.jsonl", train_conversations={"trained-7", "t-8"})
    assert not (tmp_path / "p.jsonl").exists()


def test_an_allowed_overlap_is_recorded_in_every_record_and_the_manifest(tmp_path):
    out = tmp_path / "p.jsonl"
    run_predict(JobContext(database=Database(tmp_path / "db.sqlite3")), TEST, train=[], traces=None, method="backward",
                user_model="sft:ckpt", backend_config=BackendConfig(spec="fake"), cfg=UserModelConfig(), out=out,
                train_conversations={"trained-7"}, allow_train_overlap=True)
    assert all(json.loads(x)["allow_train_overlap"] is True for x in out.read_text().splitlines())
    assert json.loads(manifest_path(out).read_text())["config"]["allow_train_overlap"] is True


@pytest.mark.parametrize("meta_file,meta", [("recon_sft.json", {}), ("recon_grpo.json", {"reward": "e2e"})])
def test_the_cli_reads_the_checkpoints_conversations_before_loading_any_model(tmp_path, capsys, meta_file, meta):
    ckpt = checkpoint(tmp_path, meta_file, **meta)
    test = write_lines(tmp_path / "test.jsonl", [json.dumps(e.to_json()) for e in TEST])
    rc = main(["predict", "--test", str(test), "--user-model", f"sft:{ckpt}", "--out", str(tmp_path / "p.jsonl")])
    err = capsys.readouterr().err
    assert rc == 2 and "trained-7" in err and "--allow-train-overlap" in err
