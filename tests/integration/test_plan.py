"""`recon run --plan` and `budget:` on the fake backend: the plan's calls per stage are the calls the run then
makes, planning calls no model and writes nothing, a planned re-run is all skips, and a budget refuses a run
before the stage that would cross it, with nothing paid."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from recon.backends.fake import FakeBackend
from recon.backends.registry import build_backend
from recon.cli.main import main
from recon.config import load_run_config
from recon.errors import ConfigError
from recon.method.embeddings import HashEmbedder
from recon.run import run_pipeline
from recon.run.plan import plan_run
from tests.integration.test_pipeline import setup_run

PRICED = {"prices": {"fake": {"input": 2.0, "output": 10.0}}}


def counting_factory(built: list):
    """build_backend, keeping every backend it builds (to check none of them was sent a request)."""
    def factory(config):
        backend = build_backend(config)
        built.append(backend)
        return backend
    return factory


def paid_prompt_tokens(db: Path, run: str, stage: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT COALESCE(SUM(prompt_tokens), 0) FROM calls WHERE run = ? AND cache_hit = 0 AND "
                            "(stage = ? OR stage LIKE ?)", (run, stage, f"{stage}:%")).fetchone()[0]


def test_the_plan_counts_the_calls_the_run_then_makes_stage_by_stage(tmp_path, recon_home):
    cfg, root = load_run_config(setup_run(tmp_path, **PRICED))
    built: list = []
    plan = plan_run(cfg, root, backend_factory=counting_factory(built), embedder=HashEmbedder())
    assert built and all(isinstance(b, FakeBackend) and b.history == [] for b in built)   # no LM call
    assert not (tmp_path / "run").exists()                                              # nothing written
    run_pipeline(cfg, root, embedder=HashEmbedder())
    planned = {s.stage: s for s in plan}
    assert list(planned) == [s.stage for s in plan] and "synthesize:recon-select" in planned
    for name, stage in planned.items():
        record = json.loads((tmp_path / "run" / "stages" / f"{name.replace(':', '_')}.json").read_text())
        assert stage.action == "run"
        if stage.tokens_by.startswith("embedding judge"):
            assert record["cost_this_time"]["calls"] == 0
            continue
        assert stage.calls == record["cost_this_time"]["calls"], name
        assert stage.calls - stage.cached == record["cost_this_time"]["backend_calls"], name
        assert stage.prompt_tokens == paid_prompt_tokens(recon_home / "recon.sqlite3", record["run"], name), name
    assert planned["synthesize:recon-select"].calls > planned["synthesize:backward"].calls > 0
    backward = planned["synthesize:backward"]
    assert backward.cost_usd == pytest.approx((2.0 * backward.prompt_tokens + 10.0 * backward.completion_tokens) / 1e6)
    assert backward.completion_tokens == backward.to_pay * cfg.synthesis.max_tokens     # the upper bound

    again = plan_run(cfg, root, embedder=HashEmbedder())
    assert {s.action for s in again} == {"skip"} and sum(s.calls for s in again) == 0


def test_a_changed_stage_is_planned_with_its_calls_already_cached(tmp_path, recon_home):
    cfg, root = load_run_config(setup_run(tmp_path))
    run_pipeline(cfg, root, embedder=HashEmbedder())
    (tmp_path / "run" / "traces" / "backward.jsonl").write_text("")                  # its output changed
    plan = {s.stage: s for s in plan_run(cfg, root, embedder=HashEmbedder())}
    assert plan["synthesize:backward"].action == "run" and plan["synthesize:forward"].action == "skip"
    assert plan["synthesize:backward"].calls == plan["synthesize:backward"].cached > 0   # nothing to pay again
    assert plan["synthesize:backward"].cost_usd == 0


def test_a_budget_stops_the_run_before_the_stage_that_would_cross_it(tmp_path, recon_home):
    cfg, root = load_run_config(setup_run(tmp_path, **PRICED, budget={"max_usd": 0.0001}))
    plan = plan_run(cfg, root, embedder=HashEmbedder())
    spent, first_over = 0.0, None
    for stage in plan:
        spent += stage.cost_usd or 0
        if spent > 0.0001 and first_over is None:
            first_over = stage
    assert first_over is not None
    with pytest.raises(ConfigError) as err:
        run_pipeline(cfg, root, embedder=HashEmbedder())
    message = str(err.value)
    assert first_over.stage in message and f"${first_over.cost_usd:.4f}" in message and "0.0001" in message
    assert not (tmp_path / "run").exists()
    db = recon_home / "recon.sqlite3"
    if db.exists():
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT COUNT(*) FROM calls").fetchone()[0] == 0          # nothing paid


def test_a_budget_needs_a_price_for_every_model_it_pays_for(tmp_path, recon_home):
    cfg, root = load_run_config(setup_run(tmp_path, budget={"max_usd": 10}))
    with pytest.raises(ConfigError, match="fake, which has no price"):
        run_pipeline(cfg, root, embedder=HashEmbedder())


def test_recon_run_plan_prints_the_stages_and_the_run_prints_its_totals(tmp_path, recon_home, capsys):
    config = setup_run(tmp_path, **PRICED, budget={"max_usd": 0.0001})
    assert main(["run", str(config), "--plan"]) == 0
    captured = capsys.readouterr()
    assert "synthesize:recon-select" in captured.out and "fake backend's count" in captured.out
    assert "a run would stop: budget: stage synthesize:" in captured.err.replace("\n", " ")
    assert not (tmp_path / "run").exists()
    assert main(["run", str(setup_run(tmp_path, **PRICED))]) == 0
    out = capsys.readouterr().out
    totals = out[out.index("totals"):]
    calls = sum(json.loads(p.read_text())["cost_this_time"]["calls"] for p in (tmp_path / "run" / "stages").iterdir())
    assert "cost (USD)" in totals and f"{calls:,}" in totals and calls > 0


def test_a_plan_over_seeds_lists_each_seeds_stages(tmp_path, recon_home):
    config = setup_run(tmp_path, methods=["none", "backward"], compare=None, recon_select=None, seeds=[1, 2])
    cfg, root = load_run_config(config)
    stages = [s.stage for s in plan_run(cfg, root, embedder=HashEmbedder())]
    assert "seed-1/synthesize:backward" in stages and "seed-2/predict:none" in stages


def test_an_lm_judge_is_planned_with_the_judgments_the_run_then_asks_for(tmp_path, recon_home):
    config = setup_run(tmp_path, methods=["none", "backward"], recon_select=None, compare=[["backward", "none"]],
                       models={"synthesizer": "fake", "user_model": "fake", "judge": "fake"}, judge=None)
    cfg, root = load_run_config(config)
    plan = {s.stage: s for s in plan_run(cfg, root, embedder=HashEmbedder())}
    run_pipeline(cfg, root, embedder=HashEmbedder())
    record = json.loads((tmp_path / "run" / "stages" / "evaluate.json").read_text())
    assert plan["evaluate"].calls == record["cost_this_time"]["calls"] > 0


def test_training_stages_are_listed_not_run_and_later_stages_still_planned(tmp_path, recon_home):
    config = setup_run(tmp_path, methods=["none", "backward"], recon_select=None, compare=None,
                       user_model={"kind": "sft", "sft": {"model": "hf:embedded", "max_steps": 1}})
    cfg, root = load_run_config(config)
    plan = {s.stage: s for s in plan_run(cfg, root, embedder=HashEmbedder())}
    assert plan["train:none"].action == plan["train:backward"].action == "train"
    assert plan["predict:none"].calls == plan["predict:backward"].calls > 0
    assert plan["predict:none"].models == {f"hf:{tmp_path / 'run' / 'ckpt' / 'none'}": [plan["predict:none"].to_pay,
                                           plan["predict:none"].prompt_tokens, plan["predict:none"].completion_tokens]}
    assert not (tmp_path / "run").exists()
