"""Win rates with ties as ½, seeded bootstrap intervals over test pairs, and AlpacaEval-style
length-controlled win rates.

The length-controlled rate fits a logistic model of the judgment on tanh(Δlength / sd(Δlength)), where
Δlength is the difference in words between the two predictions, and reports the model's win rate at zero
length difference (the intercept). A judge that simply prefers longer answers shows up as a gap between
the raw and the controlled rate; a gap over 5 points earns a warning.

    >>> win_rate([1.0, 0.0, 0.5, 1.0])
    0.625
    >>> bootstrap_ci([1.0] * 10)
    (1.0, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

LC_WARNING_POINTS = 5.0


def win_rate(ps: Sequence[float]) -> float:
    return float(np.mean(ps)) if len(ps) else float("nan")


def bootstrap_ci(ps: Sequence[float], *, n_boot: int = 2000, seed: int = 0, level: float = 0.95
                 ) -> tuple[float, float]:
    """Percentile interval of the mean, resampling judgments (test pairs) with replacement."""
    if not len(ps):
        return (float("nan"), float("nan"))
    values = np.asarray(ps, dtype=np.float64)
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(n_boot, len(values)))].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, 1 - (1 - level) / 2])
    return (round(float(lo), 6), round(float(hi), 6))


def lc_win_rate(ps: Sequence[float], length_diffs: Sequence[float]) -> float | None:
    """Win rate at zero length difference from a logistic fit with soft labels (None below 5 judgments)."""
    if len(ps) < 5:
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
    win_rate: float | None      # of a over b, ties ½
    ci: tuple[float, float] | None
    n: int                      # valid judgments
    ties: int
    invalid: int
    lc_win_rate: float | None
    warning: str | None = None

    def to_json(self) -> dict:
        d = asdict(self)
        d["ci"] = list(self.ci) if self.ci else None
        return d


@dataclass(frozen=True)
class JudgedPair:
    a: str
    b: str
    pair_id: str
    domain: str
    individual: str
    p_a: float | None
    len_a: int
    len_b: int


def summarize(judged: Sequence[JudgedPair], *, seed: int = 0) -> list[Comparison]:
    """One Comparison per (a, b) and scope: overall, each domain, each individual."""
    groups: dict[tuple[str, str, str], list[JudgedPair]] = {}
    for j in judged:
        for scope in ("overall", f"domain:{j.domain}", f"individual:{j.individual}"):
            groups.setdefault((j.a, j.b, scope), []).append(j)
    out = []
    for (a, b, scope), rows in groups.items():
        valid = [r for r in rows if r.p_a is not None]
        ps = [r.p_a for r in valid]
        if not ps:
            out.append(Comparison(a, b, scope, None, None, 0, 0, len(rows), None, "no valid judgments"))
            continue
        raw = win_rate(ps)
        lc = lc_win_rate(ps, [r.len_a - r.len_b for r in valid])
        warning = None
        if lc is not None and abs(lc - raw) * 100 > LC_WARNING_POINTS:
            warning = (f"length-controlled win rate {100 * lc:.1f}% differs from the raw {100 * raw:.1f}% by more "
                       f"than {LC_WARNING_POINTS:.0f} points: the judge may be rewarding length")
        out.append(Comparison(a, b, scope, round(raw, 6), bootstrap_ci(ps, seed=seed), len(ps),
                              sum(1 for p in ps if p == 0.5), len(rows) - len(valid),
                              None if lc is None else round(lc, 6), warning))
    order = {"overall": 0, "domain": 1, "individual": 2}
    return sorted(out, key=lambda c: (c.a, c.b, order[c.scope.split(":")[0]], c.scope))
