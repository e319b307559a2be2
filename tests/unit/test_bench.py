"""The known-latent benchmark: a deterministic generator whose actions follow from their latent factors,
a conversation-respecting split, and the latent-recovery matcher on hand-made traces."""

from __future__ import annotations

import json
import re

import pytest

from recon.bench.corpus_files import write_corpus
from recon.bench.factors import FACTORS
from recon.bench.generator import generate_corpus, render_action, traits_json
from recon.bench.matcher import match_trace, named_factors
from recon.bench.recovery import recovery_table
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
    from recon.bench.corpus_files import ensure_corpus
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
    result, rows, validity = run_bench(tmp_path / "data", bench_config(tmp_path / "run", "fake", n=2),
                                       embedder=HashEmbedder())
    assert {r["method"] for r in rows} == {"forward", "backward", "recon-select:likelihood", "recon-select:judge",
                                           "recon-select:embedding"}
    text = (tmp_path / "run/bench.md").read_text()
    assert "names the true factor" in text and re.search(r"recon-select:likelihood vs none", text)
    assert {c.a for c in result.comparisons} <= {"none", "backward", "recon-select:likelihood"}
    # scorer validity for the benchmark's scorers on the training pairs, beside the rest
    n_train = len(load_examples([tmp_path / "data/train.jsonl"]))
    assert set(validity.summaries) == {"likelihood", "judge", "embedding"} and validity.pairs == n_train
    assert "cause ranked first" in text and "| judge |" in text.split("cause ranked first")[1]
    assert json.loads((tmp_path / "run/bench.json").read_text())["validity"]["likelihood"]["pairs"] == n_train
    assert (tmp_path / "run/validity/report.md").is_file()


# -- the scorer-validity candidates: templates from the ground truth ---------------------------------------

def validity_corpora():
    for seed in range(3):
        yield generate_corpus(individuals=6, pairs=40, seed=seed)


def test_every_candidate_names_exactly_the_factor_it_should():
    from recon.bench.candidates import build_candidates
    for corpus in validity_corpora():
        for e in corpus.examples:
            c = {x.kind: x for x in build_candidates(e)}
            true = e.meta["latent"]["factor"]
            assert named_factors(c["cause"].text) == {true}, c["cause"].text
            assert named_factors(c["wrong_direction"].text) == {true}, c["wrong_direction"].text
            assert c["distractor"].factor in {d["factor"] for d in e.meta["distractors"]}
            assert named_factors(c["distractor"].text) == {c["distractor"].factor}, c["distractor"].text
            assert named_factors(c["generic"].text) == set(), c["generic"].text
            assert named_factors(c["leak"].text) == set(), c["leak"].text


def test_no_honest_candidate_repeats_four_words_of_its_action_and_every_leak_is_caught():
    from recon.bench.candidates import HONEST_KINDS, build_candidates
    from recon.method.leakage import longest_shared_run, measure_leakage, words
    for corpus in validity_corpora():
        for e in corpus.examples:
            for c in build_candidates(e):
                run = longest_shared_run(words(c.text), words(e.action))
                if c.kind in HONEST_KINDS:
                    assert run < 4, (c.text, e.action)
                    assert not measure_leakage(c.text, e.action).leaking
                else:
                    assert e.action in c.text and measure_leakage(c.text, e.action).leaking


def stated_stance(text: str) -> set[str]:
    from recon.bench.candidates import STANCE_WORDS
    found = set(re.findall(r"[a-z]+", text.lower()))
    return {stance for stance, markers in STANCE_WORDS.items() if found & set(markers)}


def test_honest_candidates_state_the_true_stance_except_wrong_direction():
    from recon.bench.candidates import build_candidates
    flip = {"support": "oppose", "oppose": "support"}
    for corpus in validity_corpora():
        for e in corpus.examples:
            stance = e.meta["latent"]["stance"]
            c = {x.kind: x for x in build_candidates(e)}
            for kind in ("cause", "distractor", "generic"):
                assert stated_stance(c[kind].text) == {stance}, c[kind].text
            assert stated_stance(c["wrong_direction"].text) == {flip[stance]}, c["wrong_direction"].text
            # cause, distractor and wrong direction share one sentence: only the factor or direction differs
            assert c["cause"].phrasing == c["distractor"].phrasing == c["wrong_direction"].phrasing
            assert c["cause"].text != c["wrong_direction"].text


def test_the_distractor_agrees_with_the_discussion_when_one_can():
    from recon.bench.candidates import build_candidates
    for corpus in validity_corpora():
        for e in corpus.examples:
            chosen = build_candidates(e)[1].factor
            agreeing = [d["factor"] for d in e.meta["distractors"] if d["direction"] == e.meta["latent"]["direction"]]
            if agreeing:
                assert chosen in agreeing


def test_candidates_are_seeded_and_every_kind_has_several_phrasings():
    from recon.bench.candidates import KINDS, build_candidates
    corpus = generate_corpus(individuals=4, pairs=30, seed=0)
    first = [[c.text for c in build_candidates(e, seed=0)] for e in corpus.examples]
    assert first == [[c.text for c in build_candidates(e, seed=0)] for e in corpus.examples]
    assert first != [[c.text for c in build_candidates(e, seed=1)] for e in corpus.examples]
    used = {k: {c.phrasing for e in corpus.examples for c in build_candidates(e) if c.kind == k} for k in KINDS}
    assert all(len(v) >= 3 for v in used.values()), used


def test_the_templates_own_words_name_no_factor():
    from recon.bench.candidates import FACTOR_FRAMES, GENERIC_FRAMES, LEAK_FRAMES
    blank = {"name": "Councillor Ann Lee", "proposal": "the thing", "label": "", "action": "", "stance": "",
             "effect": ""}
    texts = [f.format(**blank) for f in GENERIC_FRAMES + LEAK_FRAMES] + [f[0].format(**blank) for f in FACTOR_FRAMES]
    texts += [w for f in FACTOR_FRAMES for part in f[1:] for w in part.values()]
    assert all(named_factors(t) == set() for t in texts)
