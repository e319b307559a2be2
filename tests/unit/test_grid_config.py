"""The run config of the paper's table: GRPO methods, the signal-equals-judge rule, the report's baseline, and
the methods × domains table built from comparisons in either order."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from recon.config import RunConfig
from recon.evaluation.grid import baseline_pairs, grid_cells, grid_tables, macro
from recon.evaluation.winrate import Comparison
from recon.run.grpo_stages import grid_setup, grpo_train_config

BASE = {"name": "t", "data": {"train": ["a.jsonl"], "test": ["b.jsonl"]},
        "user_model": {"kind": "sft"}}         # e2e-grpo's policy and the user models: checkpoints served alike


def config(**values) -> RunConfig:
    return RunConfig.model_validate({**BASE, **values})


@pytest.mark.parametrize("values,method", [
    ({"methods": ["backward", "e2e-grpo"], "grpo": {"e2e": {"reward": "embedding"}}}, "e2e-grpo"),
    ({"methods": ["backward", "recon-grpo"], "grpo": {"recon": {"scorer": "embedding"}}}, "recon-grpo"),
    ({"methods": ["backward", "recon-select:embedding"]}, "recon-select:embedding"),
    ({"methods": ["backward", "recon-select"], "recon_select": {"scorer": "embedding"}}, "recon-select"),
    # an LM judge on the evaluation judge's model
    ({"methods": ["backward", "e2e-grpo"], "models": {"judge": "fake"}, "grpo": {"e2e": {"judge": "fake"}}},
     "e2e-grpo"),
    ({"methods": ["backward", "recon-select:judge"], "models": {"judge": "fake"}}, "recon-select:judge"),
])
def test_a_method_trained_or_selected_on_the_judges_function_is_refused(values, method):
    with pytest.raises(ValidationError) as info:
        config(**values)
    text = str(info.value)
    assert f"{method}:" in text and "test metric" in text and "allow_signal_equals_judge" in text
    allowed = config(**values, allow_signal_equals_judge=True)
    setup = grid_setup(allowed, __import__("pathlib").Path("/nonexistent"))
    assert setup["allow_signal_equals_judge"] is True and any(method in c for c in setup["signal_equals_judge"])


@pytest.mark.parametrize("values", [
    {"methods": ["backward", "e2e-grpo", "recon-grpo"]},                       # judge reward, likelihood
    {"methods": ["backward", "e2e-grpo"], "models": {"judge": "fake", "synthesizer": "embedded"}},
    {"methods": ["backward", "recon-select:embedding"], "predict": ["backward"]},     # never judged
    {"methods": ["backward", "recon-select:likelihood"], "models": {"judge": "fake"}},
])
def test_other_signals_pass(values):
    assert config(**values).allow_signal_equals_judge is False


def test_grpo_settings_without_a_grpo_method_and_an_unknown_baseline_are_errors():
    with pytest.raises(ValidationError, match="grpo applies to"):
        config(methods=["none", "backward"], grpo={"max_steps": 3})
    with pytest.raises(ValidationError, match="report.baseline 'forward' is not a predicted method"):
        config(methods=["none", "backward"], report={"baseline": "forward"})
    with pytest.raises(ValidationError, match="multiple of num_generations"):
        config(methods=["e2e-grpo"], grpo={"num_generations": 3, "per_device_train_batch_size": 4})


def test_both_grpo_policies_get_the_same_budget_and_their_own_reward():
    cfg = config(methods=["backward", "recon-grpo", "e2e-grpo"],
                 grpo={"max_steps": 7, "num_generations": 2, "per_device_train_batch_size": 2, "lora_alpha": 9},
                 models={"synthesizer": "fake"}, recon_select={"leakage": {"max_shared_run": 5}})
    recon, e2e = grpo_train_config(cfg, "recon"), grpo_train_config(cfg, "e2e")
    shared = ("model", "max_steps", "num_generations", "per_device_train_batch_size", "lora_alpha", "seed")
    assert [getattr(recon, f) for f in shared] == [getattr(e2e, f) for f in shared] == \
        ["embedded", 7, 2, 2, 9, 0]
    assert recon.leakage.max_shared_run == 5 and recon.scorer == "likelihood" and recon.judge is None
    assert e2e.judge.spec == "fake" and e2e.user_model.k == 0          # the listwise judge: the reconstructor


def comparison(a, b, scope, rate, ci=None, ci_pairs=None):
    return Comparison(a, b, scope, rate, ci, 10, 0, 0, None, ci_pairs=ci_pairs)


def test_the_grid_reads_comparisons_in_either_order_and_averages_individuals():
    comps = [comparison("x", "backward", "overall", 0.6, (0.5, 0.7)),
             comparison("backward", "y", "overall", 0.7, (0.6, 0.8)),          # y over backward = 0.3
             comparison("x", "backward", "domain:court", 0.55, None, (0.4, 0.7)),
             comparison("x", "backward", "individual:Ann", 0.8), comparison("x", "backward", "individual:Bo", 0.4),
             comparison("x", "y", "overall", 0.9)]                              # no baseline: not in the table
    cells = grid_cells(comps, "backward")
    assert cells[("y", "overall")].win_rate == pytest.approx(0.3)
    assert cells[("y", "overall")].ci == pytest.approx((0.2, 0.4))
    assert cells[("x", "domain:court")].optimistic and macro(cells, "x") == pytest.approx(0.6)
    by_domain, by_person = grid_tables(comps, ["backward", "x", "y"], "backward")
    assert by_domain[0] == ["vs backward", "court", "overall", "macro"]
    assert by_domain[1] == ["x", "55.0 [40.0–70.0]*", "60.0 [50.0–70.0]", "60.0"]
    assert by_domain[2][0] == "y" and by_domain[2][2] == "30.0 [20.0–40.0]"
    assert by_person[0] == ["vs backward", "Ann", "Bo"]


def test_every_method_is_judged_against_the_baseline_once():
    assert baseline_pairs(["none", "backward", "a", "b"], [("backward", "a")], "backward") == \
        [("none", "backward"), ("b", "backward")]
    assert baseline_pairs(["none", "a"], [], "backward") == []
