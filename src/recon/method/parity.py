"""Baseline parity: user models of different methods differ only in their traces.

The training pairs a user model may learn from or be shown are those that *every* compared method has a
trace for (a pair where one method's synthesis failed is left out for all, and counted); the ICL
demonstrations of each test pair are drawn once per run from them, so `none`, `backward` and
Recon-Select see the same demonstrations, and SFT user models train on the same pairs.

    >>> from recon.types import Example, Turn
    >>> mk = lambda i: Example(id=f"p{i}", domain="d", individual="Ann", conversation_id=f"c{i}", turn_index=1,
    ...                        context=(Turn("Bob", "Why?"),), action=f"Because {i}.")
    >>> train = [mk(i) for i in range(4)]
    >>> eligible, left_out = common_training_ids(train, {"none": None, "backward": {"p0": "r", "p1": "r", "p2": "r"}})
    >>> sorted(eligible), left_out
    (['p0', 'p1', 'p2'], {'none': 0, 'backward': 1})
    >>> fixed_demonstrations([mk(9)], train, eligible, UserModelConfig(k=2))["p9"] == \\
    ...     fixed_demonstrations([mk(9)], train, eligible, UserModelConfig(k=2))["p9"]
    True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from recon.config import UserModelConfig
from recon.method.usermodel import DemonstrationPool
from recon.types import Example


def common_training_ids(train: Sequence[Example], traces: dict[str, dict[str, str] | None]
                        ) -> tuple[frozenset[str], dict[str, int]]:
    """(ids of the training pairs every method has a trace for, how many pairs each method's gaps leave out);
    a method with no traces (`none`) has every pair."""
    eligible = {e.id for e in train}
    left_out = {}
    for method, method_traces in traces.items():
        missing = set() if method_traces is None else {e.id for e in train if not method_traces.get(e.id)}
        left_out[method] = len(missing)
        eligible -= missing
    return frozenset(eligible), left_out


def fixed_demonstrations(test: Sequence[Example], train: Sequence[Example], eligible: frozenset[str] | set[str],
                         cfg: UserModelConfig, *, similarity: Callable[[str, list[str]], list[float]] | None = None
                         ) -> dict[str, list[str]]:
    """{test pair id: the ids of its k demonstrations}, drawn by `cfg` (seeded, or nearest by similarity) from
    the eligible training pairs; the same for every method."""
    pool = DemonstrationPool([e for e in train if e.id in eligible], None, similarity=similarity)
    return {ex.id: [d.id for d, _ in pool.draw(ex, cfg)] for ex in test}


def similarity_for(cfg: UserModelConfig, embedder=None):
    """The context similarity of `draw: nearest` (MiniLM cosine), or None for the seeded random draw."""
    if cfg.draw != "nearest":
        return None
    if embedder is None:
        from recon.method.embeddings import Embedder
        embedder = Embedder()
    return lambda query, docs: list(embedder.cosine([query] * len(docs), docs))
