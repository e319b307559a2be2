"""Deterministic train/test splits by group (a conversation never lands on both sides).

Within each individual, the individual's groups are ordered by a seeded content hash and the first
ceil(fraction × groups) go to test (at least one, and at least one stays in training), so every individual
has held-out conversations *and* training pairs — a user model of a person needs both. A group shared by
several individuals goes to test for all of them if any of them picks it; when that leaves someone with no
training group, one of theirs is given back if no one else loses their last held-out group by it (with
heavily shared conversations this is not always possible). The split is stable across runs
and machines and independent of file order.

    >>> from recon.types import Example
    >>> exs = [Example(id=str(i), domain="d", individual="A", conversation_id=f"c{i % 4}",
    ...                turn_index=i, context=(), action="x") for i in range(8)]
    >>> train, test = split_examples(exs, test_fraction=0.25, seed=0)
    >>> len(test), {e.conversation_id for e in train} & {e.conversation_id for e in test}
    (2, set())
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from recon.errors import ConfigError
from recon.hashing import content_hash
from recon.types import Example


def group_key(example: Example, by: str) -> str:
    """The grouping value: a top-level field (`conversation_id`) or `meta.NAME` (e.g. `meta.case_id`)."""
    if by.startswith("meta."):
        name = by[len("meta."):]
        if name not in example.meta:
            raise ConfigError(f"split key {by!r}: example {example.id!r} has no meta field {name!r}")
        return str(example.meta[name])
    if by not in ("conversation_id", "individual", "domain"):
        raise ConfigError(f"split key {by!r}: use conversation_id or meta.NAME (e.g. meta.case_id)")
    return str(getattr(example, by))


def split_examples(examples: Sequence[Example], *, test_fraction: float, seed: int = 0,
                   by: str = "conversation_id") -> tuple[list[Example], list[Example]]:
    """Split into (train, test) by group, per individual; order within each side follows the input."""
    if not 0.0 < test_fraction < 1.0:
        raise ConfigError(f"test_fraction must be strictly between 0 and 1, got {test_fraction}")
    per_individual: dict[str, set[str]] = {}
    for e in examples:
        per_individual.setdefault(e.individual, set()).add(group_key(e, by))
    if max((len(g) for g in per_individual.values()), default=0) < 2:
        raise ConfigError(f"cannot split by {by!r}: every individual has fewer than 2 groups, need at least 2")
    test_groups: set[str] = set()
    for individual in sorted(per_individual):
        groups = sorted(per_individual[individual], key=lambda g: content_hash([seed, g], tag="split"))
        if len(groups) < 2:
            continue                                  # one conversation: all training, nothing to hold out
        n_test = min(len(groups) - 1, max(1, math.ceil(test_fraction * len(groups))))
        test_groups.update(groups[:n_test])
    # groups shared between individuals can leave someone with no training pairs: give one back where that
    # does not take the last held-out group from anyone else
    for individual in sorted(per_individual):
        mine = per_individual[individual]
        if len(mine) >= 2 and mine <= test_groups:
            for g in sorted(mine, key=lambda g: content_hash([seed, g], tag="split"), reverse=True):
                others_ok = all(len(per_individual[o] & test_groups) > 1 for o in per_individual
                                if o != individual and g in per_individual[o])
                if others_ok:
                    test_groups.discard(g)
                    break
    train = [e for e in examples if group_key(e, by) not in test_groups]
    test = [e for e in examples if group_key(e, by) in test_groups]
    return train, test
