"""Win-rate statistics: bootstrap and cluster-bootstrap intervals, Cohen's kappa, the length-controlled rate,
and how failed predictions and judgments count."""

from __future__ import annotations

import pytest

from recon.evaluation.human import agreement_and_kappa
from recon.evaluation.winrate import JudgedPair, bootstrap_ci, lc_win_rate, summarize


def test_bootstrap_interval_on_known_cases():
    assert bootstrap_ci([1.0] * 30) == (1.0, 1.0)
    lo, hi = bootstrap_ci([1.0, 0.0] * 50, seed=3)
    assert 0.38 < lo < 0.45 and 0.55 < hi < 0.62                    # ≈ 0.5 ± 1.96·0.05
    assert bootstrap_ci([1.0, 0.0] * 50, seed=3) == (lo, hi)       # seeded


def test_kappa_on_a_known_table():
    # 10 items: 8 agreements (4 a, 4 b), 2 disagreements; p_o = 0.8, p_e = 0.5 → κ = 0.6
    human = ["a"] * 5 + ["b"] * 5
    judge = ["a"] * 4 + ["b"] + ["a"] + ["b"] * 4
    r = agreement_and_kappa(human, judge)
    assert r["agreement"] == 0.8 and r["kappa"] == pytest.approx(0.6) and r["n"] == 10
    lo, hi = r["kappa_ci"]
    assert lo < 0.6 < hi and hi - lo > 0.3                     # 10 items say little
    lo, hi = r["agreement_ci"]
    assert lo < 0.8 <= hi


def judged(ps, len_diffs):
    return [JudgedPair("x", "y", f"p{i}", "d", "I", p, 10 + d, 10)
            for i, (p, d) in enumerate(zip(ps, len_diffs, strict=True))]


def test_length_controlled_win_rate_flags_a_judge_that_rewards_length():
    diffs = list(range(-10, 31))                          # method x is usually the longer one
    longer_wins = [1.0 if d > 0 else 0.0 if d < 0 else 0.5 for d in diffs]
    [c] = [c for c in summarize(judged(longer_wins, diffs)) if c.scope == "overall"]
    assert c.win_rate > 0.7                                # raw: x looks much better
    assert abs(c.lc_win_rate - 0.5) < 0.1                  # at equal length it is a coin flip
    assert c.warning and "rewarding length" in c.warning
    fair = [1.0 if i % 2 else 0.0 for i in range(len(diffs))]
    [f] = [c for c in summarize(judged(fair, diffs)) if c.scope == "overall"]
    assert f.warning is None and abs(f.lc_win_rate - f.win_rate) < 0.05
    assert lc_win_rate([1.0] * 3, [1, 2, 3]) is None


def test_invalid_judgments_are_counted_apart_never_as_wins():
    rows = judged([1.0, None, 0.5, 0.0, None], [0] * 5)
    [c] = [c for c in summarize(rows) if c.scope == "overall"]
    assert (c.win_rate, c.n, c.ties, c.judge_invalid) == (0.5, 3, 1, 2)


def test_a_failed_prediction_is_a_loss_and_both_failing_is_a_tie():
    def row(i, p, fa=False, fb=False):
        return JudgedPair("x", "y", f"p{i}", "d", "I", p, 10, 10, conversation=f"c{i}", failed_a=fa, failed_b=fb)
    rows = [row(0, 1.0), row(1, 1.0), row(2, 0.0, fa=True), row(3, 0.0, fa=True), row(4, 0.5, fa=True, fb=True),
            row(5, 1.0, fb=True), row(6, None)]
    [c] = [c for c in summarize(rows) if c.scope == "overall"]
    assert (c.n, c.failed_a, c.failed_b, c.judge_invalid) == (6, 3, 2, 1)
    assert c.win_rate == pytest.approx((1 + 1 + 0 + 0 + 0.5 + 1) / 6)
    assert c.win_rate_valid_only == 1.0                              # pairs 0 and 1: both predicted, judged


def test_cluster_bootstrap_is_wider_when_a_conversations_pairs_agree_and_keeps_the_point_estimate():
    from recon.evaluation.winrate import cluster_bootstrap_ci
    # 12 conversations of 10 pairs; every pair of a conversation has the same outcome
    ps = [1.0 if c % 2 else 0.0 for c in range(12) for _ in range(10)]
    convs = [f"c{c}" for c in range(12) for _ in range(10)]
    lo_c, hi_c = cluster_bootstrap_ci(ps, convs, seed=0)
    lo_p, hi_p = bootstrap_ci(ps, seed=0)
    assert (hi_c - lo_c) > 2 * (hi_p - lo_p)
    rows = [JudgedPair("x", "y", f"p{i}", "d", "I", p, 10, 10, conversation=cv)
            for i, (p, cv) in enumerate(zip(ps, convs, strict=True))]
    [c] = [c for c in summarize(rows) if c.scope == "overall"]
    assert c.win_rate == 0.5 and c.n_conversations == 12
    assert c.ci == (lo_c, hi_c) and c.ci_pairs == (lo_p, hi_p)


def test_a_scope_with_fewer_than_five_conversations_gets_no_interval_only_an_optimistic_pair_one():
    rows = [JudgedPair("x", "y", f"p{i}", "d", "I", float(i % 2), 10, 10, conversation=f"c{i % 4}")
            for i in range(40)]
    [c] = [c for c in summarize(rows) if c.scope == "overall"]
    assert c.n_conversations == 4 and c.ci is None and c.ci_pairs is not None
    assert c.to_json()["ci"] is None and "optimistic" in c.note


def test_the_length_controlled_rate_is_not_identifiable_when_one_method_is_longer_in_every_pair():
    diffs = list(range(1, 21))                            # x is longer in every pair: no pair at equal length
    ps = [1.0 if i % 3 else 0.0 for i in range(20)]
    [c] = [c for c in summarize(judged(ps, diffs)) if c.scope == "overall"]
    assert c.lc_win_rate is None and c.warning and "not identifiable" in c.warning
    assert lc_win_rate(ps, [5] * 20) is None                 # constant, nonzero difference: the same
    assert lc_win_rate(ps, [0] * 20) == pytest.approx(sum(ps) / 20)     # equal lengths: the raw rate
