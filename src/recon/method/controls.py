"""Controls that isolate the scorer. Recon-Select differs from backward in three ways at once — N samples,
the leakage filter, and the reconstruction score — so two selection methods keep the first two and replace
the score, on the same cached candidates, at no LM cost:

- `random-of-n`: a seeded random honest candidate (score = a hash of the seed, the pair and the text);
- `longest-of-n`: the longest honest candidate (score = its word count; ties broken like any other).

Both are `Scorer`s, so they go through the same selection rule (leakage policy, tie breaking) as Recon-Select.

    >>> from recon.types import Example, Turn
    >>> ex = Example(id="1", domain="d", individual="Ann", conversation_id="c", turn_index=1,
    ...              context=(Turn("Bob", "Why?"),), action="Because.")
    >>> LengthScorer().score(ex, ["one two", "one two three", ""]).scores
    [2.0, 3.0, None]
    >>> draw = lambda seed: RandomScorer(seed).score(ex, ["a", "b"]).scores
    >>> draw(0) == draw(0), draw(0) != draw(1)
    (True, True)
"""

from __future__ import annotations

from recon.hashing import hash_fraction
from recon.method.scoring import PairScores, Scorer
from recon.types import Example


class LocalScorer(Scorer):
    """A scorer without LM calls: each pair of a window on its own."""

    def score_window(self, items: list[tuple[Example, list[str]]]) -> list[PairScores]:
        return [self.score_pair(example, traces) for example, traces in items]

    def score_pair(self, example: Example, traces: list[str]) -> PairScores:
        raise NotImplementedError


class RandomScorer(LocalScorer):
    name = "random"

    def __init__(self, seed: int = 0):
        self.seed = seed

    def score_pair(self, example: Example, traces: list[str]) -> PairScores:
        return PairScores([hash_fraction([self.seed, example.id, t], tag="random-of-n") if t.strip() else None
                           for t in traces], [None] * len(traces))


class LengthScorer(LocalScorer):
    name = "length"

    def score_pair(self, example: Example, traces: list[str]) -> PairScores:
        return PairScores([float(len(t.split())) if t.strip() else None for t in traces], [None] * len(traces))


def control_scorer(score: str, *, seed: int) -> Scorer:
    """The scorer of a control's own score (`random` or `length`: `MethodSpec.selection`)."""
    return RandomScorer(seed) if score == "random" else LengthScorer()
