"""Per-individual corpus statistics (`recon data stats`).

    >>> from recon.types import Example, Turn
    >>> ex = Example(id="1", domain="d", individual="Ann", conversation_id="c", turn_index=1,
    ...              context=(Turn("Bob", "hi"),), action="hello there")
    >>> corpus_stats([ex])[0].mean_action_words
    2.0
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from recon.types import Example


@dataclass(frozen=True)
class IndividualStats:
    domain: str
    individual: str
    pairs: int
    conversations: int
    mean_action_words: float
    mean_context_turns: float


def corpus_stats(examples: Iterable[Example]) -> list[IndividualStats]:
    """One row per (domain, individual), in first-seen order."""
    acc: dict[tuple[str, str], list] = {}
    for ex in examples:
        row = acc.setdefault((ex.domain, ex.individual), [0, set(), 0, 0])
        row[0] += 1
        row[1].add(ex.conversation_id)
        row[2] += len(ex.action.split())
        row[3] += len(ex.context)
    return [IndividualStats(domain=d, individual=i, pairs=n, conversations=len(convos),
                            mean_action_words=words / n, mean_context_turns=turns / n)
            for (d, i), (n, convos, words, turns) in acc.items()]
