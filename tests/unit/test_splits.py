"""Deterministic group splits: a conversation (or a case) never lands on both sides."""

from __future__ import annotations

import pytest

from recon.data.corpus import load_examples
from recon.data.splits import split_examples
from recon.errors import ConfigError
from recon.types import Example


def make(n, groups):
    return [Example(id=str(i), domain="d", individual="A", conversation_id=f"c{i % groups}", turn_index=i,
                    context=(), action="x", meta={"case": f"k{i % (groups // 2 or 1)}"}) for i in range(n)]


def test_split_is_deterministic_exact_and_disjoint():
    exs = make(200, 20)
    train, test = split_examples(exs, test_fraction=0.3, seed=7)
    again = split_examples(list(reversed(exs)), test_fraction=0.3, seed=7)
    assert {e.id for e in test} == {e.id for e in again[1]}            # independent of input order
    assert len({e.conversation_id for e in test}) == 6                   # ceil(0.3 × 20) groups
    assert not {e.conversation_id for e in train} & {e.conversation_id for e in test}
    assert len(train) + len(test) == 200
    other = split_examples(exs, test_fraction=0.3, seed=8)[1]
    assert {e.id for e in other} != {e.id for e in test}                 # the seed matters


def test_split_by_meta_key_keeps_cases_together():
    train, test = split_examples(make(100, 20), test_fraction=0.25, by="meta.case")
    assert not {e.meta["case"] for e in train} & {e.meta["case"] for e in test}


def test_bad_split_settings_say_how_to_fix():
    with pytest.raises(ConfigError, match="strictly between 0 and 1"):
        split_examples(make(10, 5), test_fraction=1.0)
    with pytest.raises(ConfigError, match="need at least 2"):
        split_examples(make(10, 1), test_fraction=0.5)
    with pytest.raises(ConfigError, match="no meta field 'nope'"):
        split_examples(make(10, 5), test_fraction=0.5, by="meta.nope")


def test_scotus_split_by_case_never_crosses(shared_data):
    files = [shared_data / "scotus_oral_argument" / f for f in ("elena_kagan.jsonl", "sonia_sotomayor.jsonl")]
    exs = load_examples(files)
    train, test = split_examples(exs, test_fraction=0.3, by="meta.case_id")
    assert not {e.meta["case_id"] for e in train} & {e.meta["case_id"] for e in test}
    assert not {e.conversation_id for e in train} & {e.conversation_id for e in test}
    assert 0.15 < len(test) / len(exs) < 0.45


def test_every_individual_keeps_training_and_held_out_pairs():
    from recon.bench.generator import generate_corpus
    corpus = generate_corpus(individuals=4, pairs=9, seed=0)
    train, test = split_examples(corpus.examples, test_fraction=1 / 3)
    for name in corpus.traits:
        mine_train = {e.conversation_id for e in train if e.individual == name}
        mine_test = {e.conversation_id for e in test if e.individual == name}
        assert mine_train and mine_test and not mine_train & mine_test


def test_shared_conversations_never_cross_and_nobody_loses_all_training_pairs():
    import random
    for seed in range(30):
        rng = random.Random(seed)
        exs = [Example(id=f"{who}{i}", domain="d", individual=who, conversation_id=f"c{rng.randrange(8)}",
                       turn_index=i, context=(), action="x") for who in "ABCD" for i in range(4)]
        train, test = split_examples(exs, test_fraction=0.3, seed=seed)
        assert not {e.conversation_id for e in train} & {e.conversation_id for e in test}
        for who in "ABCD":
            if len({e.conversation_id for e in exs if e.individual == who}) >= 2:
                assert any(e.individual == who for e in train), (seed, who)


def three_conversations(individuals=("A",)):
    """10 pairs in each of 3 conversations per individual, in file order conversation by conversation."""
    return [Example(id=f"{who}{c}:{i}", domain="d", individual=who, conversation_id=f"{who}-c{c}", turn_index=i,
                    context=(), action="x") for who in individuals for c in range(3) for i in range(10)]


def test_a_limit_draws_a_seeded_sample_spread_over_conversations():
    from recon.data.sample import sample_per_individual
    exs = three_conversations(("A", "B"))
    six = sample_per_individual(exs, 6, seed=0)
    for who in ("A", "B"):
        mine = [e for e in six if e.individual == who]
        assert len(mine) == 6
        assert sorted(sum(e.conversation_id == c for e in mine) for c in {e.conversation_id for e in mine}) == [2, 2, 2]
    assert {e.id for e in six} == {e.id for e in sample_per_individual(list(reversed(exs)), 6, seed=0)}
    assert {e.id for e in six} != {e.id for e in sample_per_individual(exs, 6, seed=1)}      # seeded
    assert [e.id for e in six] == [e.id for e in exs if e in set(six)]                       # file order kept
    assert sample_per_individual(exs, None, seed=0) == exs
    assert len(sample_per_individual(exs, 4, seed=0)) == 8           # 4 per individual, over 3 conversations


def test_the_pipeline_limits_test_pairs_by_conversation_not_by_file_order(tmp_path):
    import json

    from recon.config import RunConfig
    from recon.run.pipeline import Pipeline
    exs = three_conversations()
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(e.to_json()) + "\n" for e in exs))
    cfg = RunConfig.model_validate({"name": "t", "data": {"train": ["train.jsonl"], "test": ["train.jsonl"],
                                                          "limit_test_per_individual": 6},
                                    "methods": ["none"], "out": str(tmp_path / "run")})
    _, test_path = Pipeline(cfg, tmp_path).data()
    test = load_examples([test_path])
    assert len(test) == 6 and len({e.conversation_id for e in test}) == 3
