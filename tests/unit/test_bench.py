"""The known-latent benchmark: a deterministic generator whose actions follow from their latent factors,
a conversation-respecting split, and the latent-recovery matcher on hand-made traces."""

from __future__ import annotations

import json
import re

import pytest

from recon.bench.factors import FACTORS
from recon.bench.generator import generate_corpus, render_action, traits_json
from recon.bench.matcher import match_trace, named_factors
from recon.bench.recovery import recovery_table
from recon.cli.bench_cmd import write_corpus
from recon.data.corpus import load_examples


def test_the_corpus_is_deterministic_per_seed():
    a = generate_corpus(individuals=3, pairs=8, seed=5)
    b = generate_corpus(individuals=3, pairs=8, seed=5)
    c = generate_corpus(individuals=3, pairs=8, seed=6)
    assert [e.to_json() for e in a.examples] == [e.to_json() for e in b.examples]
    assert traits_json(a.traits) == traits_json(b.traits)
    assert [e.action for e in a.examples] != [e.action for e in c.examples]


def test_every_action_follows_from_its_latent_factor_and_the_traits():
    corpus = generate_corpus(individuals=4, pairs=30, seed=0)
    for e in corpus.examples:
        t = corpus.traits[e.individual]
        latent = e.meta["latent"]
        assert render_action(t, e.meta) == e.action                         # reproducible from the meta
        assert latent["factor"] in (t.primary, t.secondary)                 # the decision rule
        raised = {f for turn in e.context[1:] for f in FACTORS if any(
            turn.text in FACTORS[f].context[d] for d in ("for", "against"))}
        assert latent["factor"] in raised and {d["factor"] for d in e.meta["distractors"]} <= raised
        if latent["factor"] == t.secondary:
            assert t.primary not in raised                                  # the primary would have decided
        assert latent["stance"] == ("support" if latent["direction"] == "for" else "oppose")
        # the action argues from the deciding factor in its own words, not by repeating the context
        assert any(p.lower() in e.action.lower() for p in FACTORS[latent["factor"]].action[latent["direction"]])
        assert not any(turn.text in e.action for turn in e.context)


def test_the_written_corpus_splits_by_meeting_and_validates(tmp_path):
    write_corpus(tmp_path, individuals=3, pairs=9, seed=0, test_fraction=1 / 3)
    train = load_examples([tmp_path / "train.jsonl"])
    test = load_examples([tmp_path / "test.jsonl"])
    assert not {e.conversation_id for e in train} & {e.conversation_id for e in test}
    assert {e.individual for e in train} == {e.individual for e in test}
    hidden = json.loads((tmp_path / "individuals.json").read_text())["individuals"]
    assert set(hidden) == {e.individual for e in train}


META = {"latent": {"factor": "budget", "direction": "against", "stance": "oppose"},
        "distractors": [{"factor": "noise", "direction": "for"}, {"factor": "children", "direction": "for"}]}


@pytest.mark.parametrize("trace,true,distractor", [
    ("She is worried the city cannot afford it.", True, False),
    ("He thinks the costs to taxpayers are too high.", True, False),
    ("BUDGET first, always.", True, False),
    ("She thinks the kids would love it, but it costs too much.", True, True),
    ("He likes that it is quieter at night.", False, False),                 # 'quieter' is not an alias
    ("He worries about the noise.", False, True),
    ("The councillor agrees with the chair.", False, False),
    ("The street needs repair.", False, False),                             # 'tree' is not in 'street'
])
def test_matcher_on_hand_made_traces(trace, true, distractor):
    m = match_trace(trace, META)
    assert (m["names_true"], m["names_distractor"], m["clean"]) == (true, distractor, true and not distractor)


def test_aliases_of_different_factors_do_not_overlap_and_phrasings_stay_in_their_factor():
    from recon.bench.factors import CHAIR, PROPOSALS, SPEAKERS
    from recon.bench.generator import TEMPLATES
    for f, F in FACTORS.items():
        for g, G in FACTORS.items():
            if f < g:
                assert not set(F.aliases) & set(G.aliases), (f, g)
        for d in ("for", "against"):
            for text in F.context[d]:
                assert named_factors(text) <= {f}, text
            for text in F.action[d]:               # an action never names a factor: a trace must infer it
                assert named_factors(text) == set(), text
    fixed = [p for pair in PROPOSALS for p in pair] + list(SPEAKERS) + [CHAIR] + \
        [t for style in TEMPLATES.values() for ts in style.values() for t in ts]
    assert all(named_factors(text) == set() for text in fixed)


def test_ids_are_unique_for_any_seed_and_sizes_are_checked():
    from recon.errors import ConfigError
    for seed in range(40):
        ids = [e.id for e in generate_corpus(individuals=6, pairs=3, seed=seed).examples]
        assert len(ids) == len(set(ids)), seed
    with pytest.raises(ConfigError, match="individuals must be between 1 and 120"):
        generate_corpus(individuals=121, pairs=2)


def test_an_existing_corpus_with_other_settings_is_not_reused(tmp_path):
    from recon.cli.bench_cmd import ensure_corpus
    from recon.errors import ConfigError
    assert ensure_corpus(tmp_path / "c", individuals=2, pairs=6, seed=0, test_fraction=0.5)
    assert ensure_corpus(tmp_path / "c", individuals=2, pairs=6, seed=0, test_fraction=0.5) is None
    with pytest.raises(ConfigError, match="holds a corpus generated with"):
        ensure_corpus(tmp_path / "c", individuals=2, pairs=9, seed=0, test_fraction=0.5)


def test_recovery_table_rates_and_intervals():
    corpus = generate_corpus(individuals=2, pairs=10, seed=3)
    perfect = {e.id: e.meta["reasoning"] for e in corpus.examples}
    blank = {e.id: "They agree with the chair." for e in corpus.examples}
    rows = {r["method"]: r for r in recovery_table({"truth": perfect, "blank": blank}, corpus.examples)}
    assert rows["truth"]["names_true"] == 1.0 and rows["truth"]["names_distractor"] == 0.0
    assert rows["blank"]["names_true"] == 0.0 and rows["blank"]["names_true_ci"] == [0.0, 0.0]
    assert rows["truth"]["n"] == 20 and rows["truth"]["leakage_rate"] == 0.0


def test_bench_run_on_the_fake_backend(tmp_path):
    from recon.bench.run import bench_config, run_bench
    from recon.method.embeddings import HashEmbedder
    write_corpus(tmp_path / "data", individuals=2, pairs=6, seed=0, test_fraction=1 / 3)
    result, rows = run_bench(tmp_path / "data", bench_config(tmp_path / "run", "fake", n=2), embedder=HashEmbedder())
    assert {r["method"] for r in rows} == {"forward", "backward", "recon-select:likelihood", "recon-select:judge",
                                           "recon-select:embedding"}
    text = (tmp_path / "run/bench.md").read_text()
    assert "names the true factor" in text and re.search(r"recon-select:likelihood vs none", text)
    assert {c.a for c in result.comparisons} <= {"none", "backward", "recon-select:likelihood"}
