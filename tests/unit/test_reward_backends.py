"""GRPO rewards inside `recon run` use the run's database, run id and backend factory: their calls are
cached and logged under the training stage, and the reward still pickles (the database by its path)."""

from __future__ import annotations

import json
import pickle
import sqlite3

from recon.backends.fake import FakeBackend
from recon.config import BackendConfig
from recon.method.embeddings import HashEmbedder
from recon.method.rewards import E2EReward, ReconReward
from recon.store.backend_source import BackendSource
from recon.store.db import Database
from recon.types import Example, Turn

EX = Example(id="p1", domain="council", individual="Ann", conversation_id="c1", turn_index=2,
             context=(Turn("Bob", "Should we fund the stadium?"),), action="No, the library needs the money more.")


def test_reward_calls_go_to_the_given_database_run_and_factory(tmp_path, recon_home):
    db = Database(tmp_path / "run.sqlite3")
    built = []

    def factory(cfg):
        built.append(cfg.spec)
        return FakeBackend()
    source = BackendSource.of(db, "run-1", "grpo:recon", factory)
    reward = ReconReward(BackendConfig(spec="fake"), source=source)
    rows = [json.dumps(EX.to_json())] * 2
    assert all(r is not None for r in reward(["p"] * 2, ["She cares about books.", "She is tired."], example=rows))
    with sqlite3.connect(tmp_path / "run.sqlite3") as conn:
        logged = conn.execute("SELECT DISTINCT run, stage FROM calls").fetchall()
    assert logged == [("run-1", "grpo:recon:reconstruct")] and built == ["fake"]
    assert not (recon_home / "recon.sqlite3").exists()                  # nothing went to the default database
    copy = pickle.loads(pickle.dumps(ReconReward(BackendConfig(spec="fake"),
                                                 source=BackendSource.of(db, "run-1", "grpo:recon"))))
    assert copy.source.database().path == db.path and copy.source.run == "run-1"


def test_e2e_judge_reward_logs_under_its_stage(tmp_path):
    db = Database(tmp_path / "run.sqlite3")
    reward = E2EReward(judge=BackendConfig(spec="fake"), embedder=HashEmbedder(),
                       source=BackendSource.of(db, "run-2", "grpo:e2e", lambda cfg: FakeBackend()))
    reward(["p"] * 2, ["<reasoning>r</reasoning> No.", "<reasoning>r</reasoning> Yes."],
           example=[json.dumps(EX.to_json())] * 2)
    with sqlite3.connect(tmp_path / "run.sqlite3") as conn:
        assert {s for (s,) in conn.execute("SELECT DISTINCT stage FROM calls")} == {"grpo:e2e:judge"}
