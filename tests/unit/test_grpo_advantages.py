"""GRPO's advantage is a completion's reward minus its group's mean (over the group's std). A penalised
completion (a leaking trace, an empty one) must rank below every honest one without swamping the honest
spread, and groups that cannot teach anything (equal rewards, or no reward at all) are counted as such."""

from __future__ import annotations

import json
import statistics

from recon.method.leakage import Leakage
from recon.method.rewards import leak_adjusted, no_signal_share, with_empty_floor
from recon.training.grpo import step_summary


def advantages(rewards: list[float]) -> list[float]:
    mean, std = statistics.fmean(rewards), statistics.pstdev(rewards)
    return [(r - mean) / std for r in rewards]


def test_a_below_average_honest_trace_is_not_pushed_up_by_its_leaking_neighbours():
    honest, leaking = Leakage(1, 0.0, 0.0, False), Leakage(12, 0.9, 1.0, True)
    # a group seen in practice: two honest traces (0.71, -0.36 nats/token) beside two that quote the action
    rewards = leak_adjusted([0.71, 0.5, 0.9, -0.36], [honest, leaking, leaking, honest], penalty=1.0)
    assert max(rewards[1], rewards[2]) < -0.36                    # every penalised one below every honest one
    adv = advantages(rewards)
    assert adv[3] <= 0 < adv[0]                                  # the weaker honest trace is not rewarded


def test_an_empty_completion_sits_just_below_the_rest_on_the_honest_scale():
    out = with_empty_floor([0.71, -0.36, None], [False, False, True])
    assert out[2] < -0.36 and -0.36 - out[2] <= 0.5 * (0.71 + 0.36)


def test_groups_whose_rewards_are_all_missing_or_all_equal_have_no_signal():
    assert no_signal_share([[None, None], [0.5, 0.5], [0.1, 0.4]]) == 2 / 3
    assert no_signal_share([[0.2, None, 0.2]]) == 1.0 and no_signal_share([]) == 0.0


def test_steps_whose_groups_all_lacked_a_reward_count_as_steps_without_signal(tmp_path):
    rows = [{"step": 1, "reward_mean": None, "frac_reward_zero_std": 0.0, "no_signal_rate": 1.0},   # TRL: std NaN
            {"step": 2, "reward_mean": 0.3, "frac_reward_zero_std": 0.0, "no_signal_rate": 0.5}]
    (tmp_path / "steps.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert step_summary(tmp_path)["no_signal_steps"] == 1
