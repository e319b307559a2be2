"""The figures of the scorer-validity test, per scorer, with seeded bootstrap intervals over pairs.

- pairwise accuracy: how often `cause` outranks each other honest kind (a tie counts ½);
- top-1: how often `cause` is ranked first among the four honest kinds (a k-way tie for first counts 1/k;
  chance is 1/4);
- the mean score gap cause − distractor, over pairs where both have a score;
- the leak control: how many `leak` candidates the leakage guard caught, and how often a leak would have
  outscored the cause had it been ranked.

A missing score (a deterministic failure: an empty reconstruction, a judge answer unusable after its
retries) is the lowest score in a ranking; a pair whose scorer met a backend error is *incomplete*: left
out of the figures and counted, so that a re-run retries it.

    >>> beats(0.4, 0.1), beats(0.2, 0.2), beats(None, 0.1)
    (1.0, 0.5, 0.0)
    >>> top1_share({"cause": 0.3, "distractor": 0.3, "wrong_direction": 0.1, "generic": 0.0})
    0.5
"""

from __future__ import annotations

from collections.abc import Sequence

from recon.bench.candidates import HONEST_KINDS, KINDS
from recon.evaluation.winrate import bootstrap_ci

RIVALS = tuple(k for k in HONEST_KINDS if k != "cause")
TOP1_CHANCE = 1 / len(HONEST_KINDS)


def _rank_value(score: float | None) -> float:
    return float("-inf") if score is None else score


def beats(a: float | None, b: float | None) -> float:
    """1 when `a` outranks `b`, ½ on a tie, 0 otherwise; a missing score ranks lowest."""
    x, y = _rank_value(a), _rank_value(b)
    return 1.0 if x > y else 0.5 if x == y else 0.0


def top1_share(scores: dict[str, float | None], target: str = "cause") -> float:
    """`target`'s share of first place among `scores` (1/k when k candidates tie for first)."""
    values = {k: _rank_value(v) for k, v in scores.items()}
    best = max(values.values())
    first = [k for k, v in values.items() if v == best]
    return 1.0 / len(first) if target in first else 0.0


def _rate(values: list[float], seed: int) -> dict:
    if not values:
        return {"rate": None, "ci": None}
    return {"rate": round(sum(values) / len(values), 6), "ci": list(bootstrap_ci(values, seed=seed))}


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 6) if values else None


def scorer_summary(pairs: Sequence[dict], *, seed: int = 0) -> dict:
    """Figures of one scorer from its per-pair rows: `scores` (kind → score of the honest kinds),
    `leak_score`, `leak_caught`, `honest_flagged`, `incomplete`, `invalid`."""
    counted = [p for p in pairs if not p["incomplete"]]
    gaps = [p["scores"]["cause"] - p["scores"]["distractor"] for p in counted
            if p["scores"]["cause"] is not None and p["scores"]["distractor"] is not None]
    gap_ci = list(bootstrap_ci(gaps, seed=seed)) if gaps else None
    leak_vs_cause = [beats(p["leak_score"], p["scores"]["cause"]) for p in counted if p["leak_score"] is not None]
    caught = sum(bool(p["leak_caught"]) for p in counted)
    mean_score = {k: _mean([p["scores"][k] for p in counted if p["scores"][k] is not None]) for k in HONEST_KINDS}
    mean_score[KINDS[-1]] = _mean([p["leak_score"] for p in counted if p["leak_score"] is not None])
    return {
        "pairs": len(counted),
        "incomplete": len(pairs) - len(counted),
        "invalid": sum(p["invalid"] is not None for p in counted),
        "pairwise": {k: _rate([beats(p["scores"]["cause"], p["scores"][k]) for p in counted], seed) for k in RIVALS},
        "top1": {**_rate([top1_share(p["scores"]) for p in counted], seed), "chance": TOP1_CHANCE},
        "gap_distractor": {"mean": _mean(gaps), "ci": gap_ci, "n": len(gaps)},
        "mean_score": mean_score,
        "leak": {"caught": caught, "of": len(counted), "all_caught": caught == len(counted),
                 "outscores_cause": _mean(leak_vs_cause)},
        "honest_flagged": sum(p["honest_flagged"] for p in counted),
    }
