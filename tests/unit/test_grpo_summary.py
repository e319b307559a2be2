"""What a run says of its GRPO policies: the reward curve's start and end without overlap, and a warning
when a policy never got a learning signal (every group's rewards equal in every step)."""

from __future__ import annotations

import json
from pathlib import Path

from recon.evaluation.report_setup import _method
from recon.training.grpo import grpo_signal_warning, step_summary


def write_steps(folder, rows):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "steps.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_a_short_curve_is_split_into_halves_that_do_not_overlap(tmp_path):
    write_steps(tmp_path, [{"step": i, "reward_mean": float(i), "seconds": 1.0} for i in (1, 2, 3, 4)])
    s = step_summary(tmp_path)
    assert s["head"] == 2
    assert (s["reward_first"], s["reward_last"]) == (1.5, 3.5)


def test_a_policy_whose_group_rewards_were_always_equal_is_named_as_untrained(tmp_path):
    flat = [{"step": i, "reward_mean": 0.0, "reward_std": 0.0, "frac_reward_zero_std": 1.0} for i in (1, 2, 3)]
    write_steps(tmp_path / "flat", flat)
    summary = step_summary(tmp_path / "flat")
    assert summary["no_signal_steps"] == 3
    warning = grpo_signal_warning("grpo:e2e", summary)
    assert warning and "grpo:e2e" in warning and "3 steps" in warning and "starting model" in warning

    write_steps(tmp_path / "learnt", flat[:2] + [{"step": 3, "reward_mean": 0.2, "frac_reward_zero_std": 0.5}])
    summary = step_summary(tmp_path / "learnt")
    assert summary["no_signal_steps"] == 2
    assert grpo_signal_warning("grpo:e2e", summary) is None
    assert grpo_signal_warning("grpo:e2e", {}) is None


def test_the_e2e_policy_is_said_to_act_without_traces():
    text = _method("e2e-grpo", {"predictions": {"user_model": "e2e-grpo", "sft_steps": 4}})
    assert "traces unknown" not in text
    assert "no traces" in text


def test_a_run_writes_the_warning_into_its_results(tmp_path):
    from recon.run.result import PipelineResult
    from recon.run.stage_records import write_run_results
    result = PipelineResult(out=tmp_path, run="r", training={
        "grpo:e2e": {"steps": 2, "no_signal_steps": 2}, "grpo:recon": {"steps": 2, "no_signal_steps": 0}})
    from recon.evaluation.results import RESULTS_SCHEMA_VERSION, Results
    evaluation = Results(schema_version=RESULTS_SCHEMA_VERSION, setup={}, comparisons=[], methods={}, judge={},
                         test_pairs=0, test=[], predictions={}, warnings=["judge: x"], parity=None)
    (tmp_path / "eval.json").write_text(json.dumps(evaluation.to_json()))
    write_run_results(tmp_path, tmp_path / "eval.json", {}, result.training_warnings())
    warnings = json.loads((tmp_path / "results.json").read_text())["warnings"]
    assert warnings[0] == "judge: x"
    assert [w.split(":")[0] + ":" + w.split(":")[1] for w in warnings[1:]] == ["grpo:e2e"]


def test_the_report_says_which_policy_never_learnt():
    from recon.evaluation.grid import grid_setup_sentences
    policy = {"steps": 4, "head": 2, "reward_first": 0.0, "reward_last": 0.0}
    setup = {"grpo": {"model": "hf:x", "policies": {"e2e": {**policy, "no_signal_steps": 4},
                                                    "recon": {**policy, "no_signal_steps": 1}}}}
    text = grid_setup_sentences(setup)[0]
    assert "(first 2 steps)" in text
    assert text.count("no learning signal") == 1
    assert text.index("e2e:") < text.index("no learning signal") < text.index("recon:")


def test_the_report_names_the_recon_grpo_policy_as_the_synthesizer():
    traces = {"models": {"synthesizer": {"kind": "hf", "model": "recon"}}}
    assert "traces by the Recon-GRPO policy (hf:recon)" in _method("recon-grpo", {"traces": traces})
    assert "traces by hf:recon;" in _method("backward", {"traces": traces})


FLAT = [{"step": i, "reward_mean": 0.0, "seconds": 1.0, "frac_reward_zero_std": 1.0} for i in (1, 2)]


def test_the_end_of_recon_run_prints_the_warning(capsys):
    from recon.cli.run_cmd import print_stages
    from recon.run.result import PipelineResult
    result = PipelineResult(out=Path("."), run="r", stages={"grpo:e2e": None},
                            training={"grpo:e2e": {"steps": 2, "no_signal_steps": 2}})
    print_stages(result)
    err = " ".join(capsys.readouterr().err.split())
    assert "warning: grpo:e2e: every group of completions got equal rewards" in err


def test_recon_train_grpo_prints_the_warning(tmp_path, monkeypatch, capsys):
    import recon.training.grpo as grpo
    from recon.bench.corpus_files import write_corpus
    from recon.cli.main import main

    def no_training(pairs, cfg, *, out, **kwargs):
        write_steps(Path(out), FLAT)
        return grpo.GRPOResult(out=Path(out), steps=2, seconds_per_step=1.0)
    monkeypatch.setattr(grpo, "train_grpo", no_training)
    write_corpus(tmp_path, individuals=1, pairs=4, seed=0, test_fraction=0.25)
    code = main(["train", "grpo", "--reward", "e2e", "--data", str(tmp_path / "train.jsonl"), "--model", "hf:x",
                 "--num-generations", "2", "--per-device-train-batch-size", "2", "--max-steps", "2",
                 "--out", str(tmp_path / "policy")])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 0 and "warning: grpo: every group of completions got equal rewards in all 2 steps" in err
