"""Win rates over every test pair, intervals that resample conversations, and AlpacaEval-style
length-controlled win rates.

The headline win rate of A over B covers every test pair: a method with no usable prediction loses the
pair, both failing is a tie (½), ties count ½. Only a pair whose *judge* failed is left out (counted as
`judge_invalid`), and one whose prediction call failed transiently (`pending`: no outcome until a re-run).
`win_rate_valid_only` is the rate over pairs where both methods predicted.

Pairs of one conversation are not independent, so the 95% interval is a cluster bootstrap: conversations
are resampled with replacement, each keeping all its pairs. A scope with fewer than `MIN_CONVERSATIONS`
conversations gets no interval (`ci` None) and only `ci_pairs`, the pair bootstrap, which is optimistic.

The length-controlled rate (over pairs where both predicted) fits a logistic model of the judgment on
tanh(Δlength / sd(Δlength)), Δlength the difference in words, and reports the model's win rate at zero
length difference. A gap over 5 points to the raw valid-only rate earns a warning.

    >>> win_rate([1.0, 0.0, 0.5, 1.0])
    0.625
    >>> bootstrap_ci([1.0] * 10)
    (1.0, 1.0)
    >>> cluster_bootstrap_ci([1.0, 1.0, 0.0, 0.0], ["c1", "c1", "c2", "c2"], n_boot=200)
    (0.0, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TypedDict

import numpy as np

LC_WARNING_POINTS = 5.0
MIN_CONVERSATIONS = 5
FEW_CONVERSATIONS = (f"fewer than {MIN_CONVERSATIONS} conversations: no interval; ci_pairs resamples pairs and is "
                     "optimistic (pairs of one conversation are not independent)")


def win_rate(ps: Sequence[float]) -> float:
    return float(np.mean(ps)) if len(ps) else float("nan")


def _percentiles(means: np.ndarray, level: float) -> tuple[float, float]:
    lo, hi = np.quantile(means, [(1 - level) / 2, 1 - (1 - level) / 2])
    return (round(float(lo), 6), round(float(hi), 6))


def bootstrap_ci(ps: Sequence[float], *, n_boot: int = 2000, seed: int = 0, level: float = 0.95
                 ) -> tuple[float, float]:
    """Percentile interval of the mean, resampling judgments (test pairs) with replacement."""
    if not len(ps):
        return (float("nan"), float("nan"))
    values = np.asarray(ps, dtype=np.float64)
    rng = np.random.default_rng(seed)
    return _percentiles(values[rng.integers(0, len(values), size=(n_boot, len(values)))].mean(axis=1), level)


def cluster_bootstrap_ci(ps: Sequence[float], clusters: Sequence[str], *, n_boot: int = 2000, seed: int = 0,
                         level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of the pair-level mean, resampling clusters (conversations) with replacement."""
    if not len(ps):
        return (float("nan"), float("nan"))
    names = sorted(set(clusters))
    index = {c: i for i, c in enumerate(names)}
    sums, counts = np.zeros(len(names)), np.zeros(len(names))
    for p, c in zip(ps, clusters, strict=True):
        sums[index[c]] += p
        counts[index[c]] += 1
    draws = np.random.default_rng(seed).integers(0, len(names), size=(n_boot, len(names)))
    return _percentiles(sums[draws].sum(axis=1) / counts[draws].sum(axis=1), level)


def length_separates(length_diffs: Sequence[float]) -> bool:
    """One method longer in every pair: a rate "at equal length" would be an extrapolation, not a measurement.

    >>> length_separates([3, 1, 8]), length_separates([3, 0, 8]), length_separates([-2, 4])
    (True, False, False)
    """
    return bool(length_diffs) and (min(length_diffs) > 0 or max(length_diffs) < 0)


def lc_win_rate(ps: Sequence[float], length_diffs: Sequence[float]) -> float | None:
    """Win rate at zero length difference from a logistic fit with soft labels; None below 5 judgments and
    when it is not identifiable (`length_separates`)."""
    if len(ps) < 5 or length_separates(length_diffs):
        return None
    diffs = np.asarray(length_diffs, dtype=np.float64)
    sd = diffs.std()
    if sd == 0:
        return win_rate(ps)
    from sklearn.linear_model import LogisticRegression
    x = np.tanh(diffs / sd).reshape(-1, 1)
    p = np.asarray(ps, dtype=np.float64)
    # soft labels as two weighted rows per judgment: (x, 1) with weight p and (x, 0) with weight 1 − p
    X = np.vstack([x, x])
    y = np.concatenate([np.ones(len(p)), np.zeros(len(p))])
    w = np.concatenate([p, 1 - p])
    if w[y == 1].sum() == 0 or w[y == 0].sum() == 0:
        return win_rate(ps)                       # all wins or all losses: nothing to adjust
    model = LogisticRegression(C=1.0).fit(X, y, sample_weight=w)
    return float(1 / (1 + math.exp(-model.intercept_[0])))


@dataclass(frozen=True)
class Comparison:
    a: str
    b: str
    scope: str                  # overall | domain:NAME | individual:NAME
    win_rate: float | None      # of a over b over every judged pair: a failed prediction loses, ties ½
    ci: tuple[float, float] | None          # cluster bootstrap over conversations (None: too few conversations)
    n: int                      # pairs in win_rate (every test pair of the scope except judge_invalid ones)
    ties: int
    invalid: int                # = judge_invalid (the name of results.json schema version 1)
    lc_win_rate: float | None   # length-controlled, over pairs where both predicted
    warning: str | None = None
    judge_invalid: int = 0      # pairs whose judge call failed or stayed unparsable: in neither rate
    failed_a: int = 0           # pairs where a had no usable prediction (a loss for a)
    failed_b: int = 0
    win_rate_valid_only: float | None = None   # over pairs where both predicted
    n_valid_only: int = 0
    n_conversations: int = 0
    ci_pairs: tuple[float, float] | None = None  # pair bootstrap: optimistic, shown where ci is None
    order_consistency: float | None = None       # LM judge, both orders: share of verdicts that did not flip
    note: str | None = None
    pending: int = 0            # pairs whose prediction call failed transiently: in neither rate until a re-run

    def to_json(self) -> dict:
        d = asdict(self)
        d["ci"] = list(self.ci) if self.ci else None
        d["ci_pairs"] = list(self.ci_pairs) if self.ci_pairs else None
        return d

    @classmethod
    def from_json(cls, d: dict) -> Comparison:
        return cls(**{**d, "ci": tuple(d["ci"]) if d.get("ci") else None,
                      "ci_pairs": tuple(d["ci_pairs"]) if d.get("ci_pairs") else None})


@dataclass(frozen=True)
class JudgedPair:
    a: str
    b: str
    pair_id: str
    domain: str
    individual: str
    p_a: float | None           # the outcome for a (failures included); None: the judge failed
    len_a: int
    len_b: int
    conversation: str = ""      # the bootstrap's cluster ("" : the pair is its own)
    failed_a: bool = False
    failed_b: bool = False
    consistent: bool | None = None   # both orders judged: did the verdict survive the swap?
    pending: bool = False       # a prediction's LM call failed (transient): no outcome until a re-run fills it


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


class _Counts(TypedDict):
    """The pairs of a scope in neither rate, or lost by one side: `Comparison`'s keyword arguments."""

    judge_invalid: int
    pending: int
    failed_a: int
    failed_b: int


def compare_scope(a: str, b: str, scope: str, rows: Sequence[JudgedPair], *, seed: int = 0) -> Comparison:
    judged = [r for r in rows if r.p_a is not None]
    valid = [r for r in judged if not (r.failed_a or r.failed_b)]
    pending = sum(r.pending for r in rows)
    counts: _Counts = {"judge_invalid": len(rows) - len(judged) - pending, "pending": pending,
                       "failed_a": sum(r.failed_a for r in rows), "failed_b": sum(r.failed_b for r in rows)}
    if not judged:
        return Comparison(a, b, scope, None, None, 0, 0, counts["judge_invalid"], None, "no valid judgments",
                          **counts)
    ps = [r.p_a for r in rows if r.p_a is not None]                  # of `judged`, in order
    clusters = [r.conversation or f"pair:{r.pair_id}" for r in judged]
    n_conv = len(set(clusters))
    valid_ps = [r.p_a for r in valid if r.p_a is not None]            # of every one of `valid`
    raw_valid = win_rate(valid_ps) if valid else None
    diffs = [r.len_a - r.len_b for r in valid]
    lc = lc_win_rate(valid_ps, diffs) if valid else None
    warning = None
    if len(valid_ps) >= 5 and length_separates(diffs):
        longer = a if min(diffs) > 0 else b
        warning = (f"length-controlled win rate not identifiable: {longer}'s prediction is the longer one in every "
                   "pair, so no pair shows the judge at equal length")
    if lc is not None and raw_valid is not None and abs(lc - raw_valid) * 100 > LC_WARNING_POINTS:
        warning = (f"length-controlled win rate {100 * lc:.1f}% differs from the raw {100 * raw_valid:.1f}% (pairs "
                   f"where both predicted) by more than {LC_WARNING_POINTS:.0f} points: the judge may be rewarding "
                   "length")
    both = [r.consistent for r in judged if r.consistent is not None]
    return Comparison(
        a, b, scope, _round(win_rate(ps)),
        cluster_bootstrap_ci(ps, clusters, seed=seed) if n_conv >= MIN_CONVERSATIONS else None,
        len(ps), sum(1 for p in ps if p == 0.5), counts["judge_invalid"], _round(lc), warning,
        win_rate_valid_only=_round(raw_valid), n_valid_only=len(valid), n_conversations=n_conv,
        ci_pairs=bootstrap_ci(ps, seed=seed), order_consistency=_round(sum(both) / len(both)) if both else None,
        note=None if n_conv >= MIN_CONVERSATIONS else FEW_CONVERSATIONS, **counts)


def summarize(judged: Sequence[JudgedPair], *, seed: int = 0) -> list[Comparison]:
    """One Comparison per (a, b) and scope: overall, each domain, each individual."""
    groups: dict[tuple[str, str, str], list[JudgedPair]] = {}
    for j in judged:
        for scope in ("overall", f"domain:{j.domain}", f"individual:{j.individual}"):
            groups.setdefault((j.a, j.b, scope), []).append(j)
    out = [compare_scope(a, b, scope, rows, seed=seed) for (a, b, scope), rows in groups.items()]
    order = {"overall": 0, "domain": 1, "individual": 2}
    return sorted(out, key=lambda c: (c.a, c.b, order[c.scope.split(":")[0]], c.scope))
