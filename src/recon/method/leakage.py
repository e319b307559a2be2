"""The leakage guard: how much of the true action a trace quotes.

A trace written while seeing the action can simply repeat it, which makes reconstruction trivial (and is
the first thing GRPO learns). Two word-level measures, model-independent: the longest run of consecutive
words shared with the action, and the fraction of the action's word 4-grams that appear in the trace.
Words are lowercased `\\w+` runs, so punctuation and case do not hide a copy.

    >>> action = "I would fund the library before the stadium because reading matters"
    >>> m = measure_leakage("She thinks: I would fund the library before the stadium, clearly.", action)
    >>> m.longest_run, round(m.ngram_fraction, 2), m.leaking
    (8, 0.62, True)
    >>> measure_leakage("She cares about books more than sports.", action).leaking
    False
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from recon.config import LeakageConfig

_WORD = re.compile(r"\w+", re.UNICODE)
NGRAM = 4


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def longest_shared_run(a: list[str], b: list[str]) -> int:
    """Length of the longest run of consecutive tokens present in both sequences (dynamic programming)."""
    best = 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b, start=1):
            if x == y:
                cur[j] = prev[j - 1] + 1
                if cur[j] > best:
                    best = cur[j]
        prev = cur
    return best


def ngram_fraction(trace: list[str], action: list[str], n: int = NGRAM) -> float:
    """Fraction of the action's distinct n-grams that also occur in the trace (0 when the action has none)."""
    action_grams = {tuple(action[i:i + n]) for i in range(len(action) - n + 1)}
    if not action_grams:
        return 0.0
    trace_grams = {tuple(trace[i:i + n]) for i in range(len(trace) - n + 1)}
    return len(action_grams & trace_grams) / len(action_grams)


def ngram_coverage(trace: list[str], action: list[str], n: int = NGRAM) -> float:
    """Share of the action's words that lie inside some n-gram also found in the trace."""
    if len(action) < n:
        return 0.0
    trace_grams = {tuple(trace[i:i + n]) for i in range(len(trace) - n + 1)}
    covered = [False] * len(action)
    for i in range(len(action) - n + 1):
        if tuple(action[i:i + n]) in trace_grams:
            covered[i:i + n] = [True] * n
    return sum(covered) / len(action)


@dataclass(frozen=True)
class Leakage:
    longest_run: int          # words
    ngram_fraction: float     # of the action's distinct 4-grams found in the trace
    overlap: float            # max(ngram_fraction, coverage, longest_run / action words): the penalty's measure
    leaking: bool
    coverage: float = 0.0     # share of the action's words inside shared 4-grams

    def to_json(self) -> dict:
        return {"longest_run": self.longest_run, "ngram_fraction": round(self.ngram_fraction, 4),
                "coverage": round(self.coverage, 4), "overlap": round(self.overlap, 4), "leaking": self.leaking}


def measure_leakage(trace: str, action: str, cfg: LeakageConfig | None = None) -> Leakage:
    cfg = cfg or LeakageConfig()
    t, a = words(trace), words(action)
    run = longest_shared_run(t, a)
    frac = ngram_fraction(t, a)
    cover = ngram_coverage(t, a)
    overlap = max(frac, cover, run / len(a)) if a else 0.0
    return Leakage(longest_run=run, ngram_fraction=frac, overlap=overlap, coverage=cover,
                   leaking=run > cfg.max_shared_run or frac > cfg.max_ngram_fraction or cover > cfg.max_coverage)
