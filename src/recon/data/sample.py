"""Seeded samples of pairs that spread over conversations (`limit_*_per_individual`).

Pairs of one conversation are not independent, so a limit of N pairs per individual takes them round-robin
over that individual's conversations: the conversations in a seeded order, each conversation's pairs in a
seeded order, one pair from each conversation in turn until N are taken. The sample is independent of
file order; the kept pairs stay in file order.

    >>> from recon.types import Example
    >>> exs = [Example(id=f"{c}:{i}", domain="d", individual="A", conversation_id=c, turn_index=i, context=(),
    ...                action="x") for c in ("c1", "c2") for i in range(5)]
    >>> sorted({e.conversation_id for e in sample_per_individual(exs, 2, seed=0)})
    ['c1', 'c2']
"""

from __future__ import annotations

from collections.abc import Sequence

from recon.hashing import content_hash
from recon.types import Example

SAMPLE_RULE = "seeded, round-robin over each individual's conversations"


def sample_per_individual(examples: Sequence[Example], limit: int | None, *, seed: int) -> list[Example]:
    """At most `limit` pairs per individual (all of them when `limit` is None)."""
    if limit is None:
        return list(examples)
    by_person: dict[str, dict[str, list[int]]] = {}
    for i, e in enumerate(examples):
        by_person.setdefault(e.individual, {}).setdefault(e.conversation_id, []).append(i)
    keep: set[int] = set()
    for person, convos in by_person.items():
        order = sorted(convos, key=lambda c: content_hash([seed, person, c], tag="sample-conversation"))
        queues = [sorted(convos[c], key=lambda i: content_hash([seed, person, examples[i].id], tag="sample-pair"))
                  for c in order]
        taken, depth = 0, 0
        while taken < limit and any(depth < len(q) for q in queues):
            for q in queues:
                if depth < len(q) and taken < limit:
                    keep.add(q[depth])
                    taken += 1
            depth += 1
    return [e for i, e in enumerate(examples) if i in keep]
