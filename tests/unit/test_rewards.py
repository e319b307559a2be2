"""GRPO rewards on the fake backend: values for known cases, the leakage ordering, None handling,
picklability, and the config's batch check."""

from __future__ import annotations

import json
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recon.backends.fake import FakeBackend
from recon.config import BackendConfig, GRPOTrainConfig, validated
from recon.errors import ConfigError
from recon.method.embeddings import HashEmbedder
from recon.method.leakage import Leakage, measure_leakage
from recon.method.rewards import (
    E2EReward,
    ReconReward,
    completion_text,
    groups,
    leak_adjusted,
    penalty_margin,
    with_empty_floor,
)
from recon.training.grpo import grpo_records
from recon.types import Example, Turn

EX = Example(id="p1", domain="council", individual="Ann", conversation_id="c1", turn_index=2,
             context=(Turn("Bob", "Should we fund the stadium?"),),
             action="No, the library needs the money far more than the stadium does this year.")
EXJ = json.dumps(EX.to_json())
HONEST = "She thinks books matter more than sports for the town."
COPY = f"She will say: {EX.action}"


def fake_reward(logprobs, **kw):
    """A ReconReward whose reconstructor gives each trace a scripted log-probability."""
    reward = ReconReward(BackendConfig(spec="fake"), **kw)
    fake = FakeBackend(scorer=lambda r: next((v for k, v in logprobs.items() if k and k in r.messages[-1].content),
                                             logprobs[None]))
    reward._built = {reward.reconstructor: fake}
    return reward, fake


def test_reward_is_the_information_gain_and_one_group_shares_the_baseline():
    reward, fake = fake_reward({None: -30.0, "books": -20.0, "tired": -35.0})
    out = reward(prompts=["p"] * 2, completions=[[{"role": "assistant", "content": HONEST}],
                                                [{"role": "assistant", "content": "She is tired."}]],
                 example=[EXJ, EXJ])
    n = len(EX.action.split())                          # the fake backend's tokens are words
    overlap = measure_leakage(HONEST, EX.action).overlap  # a small honest overlap costs λ·overlap (λ = 1)
    assert overlap > 0 and out == pytest.approx([10 / n - overlap, -5 / n])
    assert len(fake.history) == 3                        # 1 baseline + 2 traces, one batch for the group


def test_a_leaking_trace_never_out_scores_an_honest_one():
    # the reconstructor loves the copy: it makes the action nearly certain
    reward, _ = fake_reward({None: -30.0, "library needs the money": -1.0, "books": -29.0})
    out = reward(prompts=["p"] * 3, completions=[COPY, HONEST, "x"], example=[EXJ] * 3)
    assert out[0] < out[1] and out[0] < out[2]
    metrics = {}
    reward(prompts=["p"] * 2, completions=[COPY, HONEST], example=[EXJ] * 2,
           log_metric=lambda k, v: metrics.__setitem__(k, v))
    assert metrics["leakage_rate"] == 0.5


def test_leak_adjusted_ordering_holds_for_any_scores():
    honest = Leakage(1, 0.0, 0.05, False)
    leak = Leakage(12, 0.6, 0.6, True)
    for scores in ([5.0, 1.0, -2.0], [-0.1, -0.2, 3.0], [0.0, None, 0.0]):
        out = leak_adjusted(scores, [leak, honest, honest], penalty=1.0)
        assert all(out[0] < o for o in out[1:] if o is not None)
    assert leak_adjusted([None, 1.0], [honest, honest], 1.0)[0] is None


def test_failed_scoring_gives_none_so_trl_leaves_it_out():
    reward = ReconReward(BackendConfig(spec="fake"))
    reward._built = {reward.reconstructor: FakeBackend(fail=lambda r: True)}
    assert reward(prompts=["p"] * 2, completions=[HONEST, HONEST], example=[EXJ] * 2) == [None, None]


def test_e2e_reward_scores_the_action_only():
    reward = E2EReward(embedder=HashEmbedder())
    good = f"<reasoning>anything at all</reasoning> {EX.action}"
    other = "<reasoning>" + EX.action + "</reasoning> Let us adjourn."       # the right words, but as reasoning
    no_action = "<reasoning>thinking and never answering"
    out = reward(prompts=["p"] * 3, completions=[good, other, no_action], example=[EXJ] * 3)
    assert out[0] == pytest.approx(1.0, abs=1e-5) and out[1] < 0.5
    assert out[2] == pytest.approx(min(out[:2]) - penalty_margin(out[:2]))


def test_rewards_pickle_without_their_models():
    reward, _ = fake_reward({None: -1.0})
    reward(prompts=["p"], completions=[HONEST], example=[EXJ])
    clone = pickle.loads(pickle.dumps(reward))
    assert clone._built is None and clone.scorer_name == "likelihood"
    e2e = pickle.loads(pickle.dumps(E2EReward(embedder=HashEmbedder())))
    assert isinstance(e2e.embedder, HashEmbedder)


def test_groups_and_completion_text():
    assert groups(["a", "a", "b", "b", "a"]) == [[0, 1], [2, 3], [4]]
    assert completion_text([{"role": "assistant", "content": "hi"}]) == "hi" and completion_text("x") == "x"


def test_grpo_config_checks_the_generation_batch():
    with pytest.raises(ConfigError, match="must be a multiple of num_generations"):
        validated(GRPOTrainConfig, reward="recon", num_generations=3, per_device_train_batch_size=4)
    with pytest.raises(ConfigError, match="num_generations"):
        validated(GRPOTrainConfig, reward="recon", num_generations=1)
    ok = validated(GRPOTrainConfig, reward="e2e", num_generations=4, per_device_train_batch_size=2,
                   gradient_accumulation_steps=2)
    assert ok.num_generations == 4
    with pytest.raises(ConfigError, match="each device must hold whole groups"):
        validated(GRPOTrainConfig, reward="recon", num_generations=4, per_device_train_batch_size=2, num_processes=2)


def test_grpo_prompts_show_the_action_only_to_the_synthesizer():
    recon = grpo_records([EX], GRPOTrainConfig(reward="recon"))[0]
    e2e = grpo_records([EX], GRPOTrainConfig(reward="e2e"))[0]
    assert EX.action in recon["prompt"][-1]["content"]
    assert EX.action not in json.dumps(e2e["prompt"]) and "<reasoning>" in e2e["prompt"][0]["content"]
    assert json.loads(recon["example"])["id"] == "p1"


# --- empty and failed completions ------------------------------------------------------------------------------

def test_an_empty_completion_costs_a_margin_below_the_worst_scored_completion_of_its_group():
    reward, _ = fake_reward({None: -30.0, "books": -20.0, "tired": -35.0})
    metrics = {}
    out = reward(prompts=["p"] * 4, completions=[HONEST, "", "She is tired.", "  \n "], example=[EXJ] * 4,
                 log_metric=lambda k, v: metrics.__setitem__(k, v))
    scored = [out[0], out[2]]
    floor = min(scored) - penalty_margin(scored)
    assert out[1] == pytest.approx(floor) and out[3] == pytest.approx(floor)
    assert metrics["empty_rate"] == 0.5 and metrics["failed_rate"] == 0.0


def test_an_empty_completion_in_a_group_with_nothing_scored_gets_minus_two():
    reward, _ = fake_reward({None: -30.0})
    assert reward(prompts=["p"] * 2, completions=["", " "], example=[EXJ] * 2) == [-2.0, -2.0]


def test_an_empty_completion_ranks_below_a_leaking_one_and_a_failed_one_stays_none():
    reward, _ = fake_reward({None: -30.0, "library needs the money": -1.0, "books": -29.0})
    out = reward(prompts=["p"] * 3, completions=[COPY, HONEST, ""], example=[EXJ] * 3)
    assert out[2] < out[0] < out[1]
    failing = ReconReward(BackendConfig(spec="fake"))
    failing._built = {failing.reconstructor: FakeBackend(fail=lambda r: True)}
    metrics = {}
    out = failing(prompts=["p"] * 3, completions=[HONEST, HONEST, ""], example=[EXJ] * 3,
                  log_metric=lambda k, v: metrics.__setitem__(k, v))
    assert out == [None, None, -2.0]                      # infrastructure noise stays neutral; writing nothing does not
    assert metrics["failed_rate"] == pytest.approx(2 / 3) and metrics["empty_rate"] == pytest.approx(1 / 3)


def test_an_interleaved_quote_ranks_below_every_honest_trace_of_its_group():
    interleaved = " ".join(f"{w} surely" for w in EX.action.split())        # no 4-gram, longest run 1
    reward, _ = fake_reward({None: -30.0, "surely": -1.0, "books": -29.0, "tired": -31.0})
    out = reward(prompts=["p"] * 4, completions=[interleaved, HONEST, "She is tired.", ""], example=[EXJ] * 4)
    assert measure_leakage(interleaved, EX.action).longest_run == 1
    assert out[0] < out[1] and out[0] < out[2] and out[3] < out[0]


def test_e2e_empty_completions_cost_a_margin_below_the_worst_scored_action():
    reward = E2EReward(embedder=HashEmbedder())
    metrics = {}
    out = reward(prompts=["p"] * 3, completions=[f"<reasoning>x</reasoning> {EX.action}", "Let us adjourn.", ""],
                 example=[EXJ] * 3, log_metric=lambda k, v: metrics.__setitem__(k, v))
    assert out[2] == pytest.approx(min(out[:2]) - penalty_margin(out[:2]))
    assert metrics["empty_rate"] == pytest.approx(1 / 3)
    assert reward(prompts=["p"] * 2, completions=["", "<reasoning>only thinking"], example=[EXJ] * 2) == [-2.0, -2.0]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.floats(-50, 50)), st.booleans(), st.booleans(),
                          st.floats(0, 1)), min_size=1, max_size=8))
def test_leaking_below_honest_and_empty_below_everything_for_any_group(group):
    scores = [None if empty else s for s, _, empty, _ in group]
    leaks = [Leakage(1, 0.0, overlap, leaking) for _, leaking, _, overlap in group]
    empty = [e for _, _, e, _ in group]
    out = with_empty_floor(leak_adjusted(scores, leaks, penalty=1.0), empty)
    honest = [r for r, lk, e in zip(out, leaks, empty, strict=True) if r is not None and not e and not lk.leaking]
    leaking = [r for r, lk, e in zip(out, leaks, empty, strict=True) if r is not None and not e and lk.leaking]
    assert all(bad < good for bad in leaking for good in honest)
    assert all(out[i] < r for i in range(len(out)) if empty[i] for j, r in enumerate(out)
               if r is not None and not empty[j])
    assert all(out[i] is not None for i in range(len(out)) if empty[i])


@pytest.mark.parametrize("model,old,new", [
    ("SFTTrainConfig", "base", "model"), ("SFTTrainConfig", "batch_size", "per_device_train_batch_size"),
    ("SFTTrainConfig", "grad_accum", "gradient_accumulation_steps"), ("GRPOTrainConfig", "policy", "model"),
    ("GRPOTrainConfig", "per_device_batch_size", "per_device_train_batch_size"),
])
def test_training_configs_use_trl_names_and_name_the_new_one_for_an_old(model, old, new):
    import recon.config as config
    cls = getattr(config, model)
    extra = {"reward": "recon"} if model == "GRPOTrainConfig" else {}
    with pytest.raises(ConfigError, match=f"`{old}` was renamed `{new}`"):
        validated(cls, **extra, **{old: 4 if old != "base" and old != "policy" else "embedded"})
    cfg = validated(cls, **extra, model="hf:embedded", lora_alpha=7)
    assert cfg.model == "embedded" and cfg.lora_alpha == 7


def test_lora_alpha_is_a_field_not_twice_r():
    from recon.training.common import lora_config
    cfg = validated(GRPOTrainConfig, reward="recon", lora_r=4, lora_alpha=5)
    assert (lora_config(cfg).r, lora_config(cfg).lora_alpha) == (4, 5)
