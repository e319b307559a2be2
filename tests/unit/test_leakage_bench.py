"""`recon bench leakage`: adversarial transforms of real actions are caught; honest traces are not flagged."""

from __future__ import annotations

import json

from recon.bench.leakage_attacks import TRANSFORMS, content_list, partial_quote, with_fillers
from recon.bench.leakage_bench import development_pairs, run_leakage_bench, wilson
from recon.cli.main import main
from recon.method.leakage import longest_common_subsequence, words
from recon.types import Example, Turn

ACTION = ("I want to know whether the agency ever explained why it changed the rule after twenty years of "
          "telling farmers the opposite, because that history matters to whether deference is owed here.")
HONEST = "She doubts the regulator and wants a reason for the reversal before she defers."


def pair(i: int, action: str = ACTION) -> Example:
    return Example(id=f"p{i}", domain="court", individual="Kagan", conversation_id=f"c{i}", turn_index=1,
                   context=(Turn("Counsel", "The rule changed."),), action=action)


def test_transforms_reveal_the_action_within_the_budget():
    assert set(content_list(ACTION)) >= {"agency", "farmers", "deference"}
    assert len(with_fillers(ACTION, fillers_per_word=3, budget=40).split()) == 40
    kept, action = partial_quote(ACTION, share=0.5).split(), words(ACTION)
    assert len(kept) == round(len(action) / 2) and longest_common_subsequence(kept, action) == len(kept)


def test_every_transform_of_a_long_action_is_caught_and_the_honest_trace_is_not():
    bench = run_leakage_bench({"court": [pair(0), pair(1)]}, {"forward": {"p0": HONEST, "p1": HONEST}})
    for name in TRANSFORMS:
        revealing = bench.transforms[name]["revealing"]
        if revealing.n:
            assert revealing.caught == revealing.n, name
    assert bench.transforms["reverse keyword list"]["revealing"].n == 2
    assert bench.honest["forward"].n == 2 and bench.honest["forward"].caught == 0
    shorts = bench.transforms["stop-word short action quoted"]["all"]
    assert shorts.caught == shorts.n > 0
    assert json.loads(json.dumps(bench.to_json()))["honest"]["forward"]["rate"] == 0.0


def test_wilson_interval_holds_the_rate():
    low, high = wilson(3, 10)
    assert 0 < low < 0.3 < high < 1 and wilson(0, 0) == (0.0, 1.0)


def test_on_the_development_corpora_revealing_keyword_lists_and_quotes_are_caught(shared_data):
    corpora = development_pairs(shared_data, 8)
    bench = run_leakage_bench(corpora, {})
    for name, rates in bench.transforms.items():
        if rates["revealing"].n:
            assert rates["revealing"].caught == rates["revealing"].n, name


def test_the_command_writes_its_report(shared_data, tmp_path):
    out = tmp_path / "bench"
    assert main(["bench", "leakage", "--data", str(shared_data), "--pairs", "2", "--forward-pairs", "1",
                 "--model", "fake", "--out", str(out)]) == 0
    report = json.loads((out / "leakage.json").read_text())
    assert report["transforms"]["reverse keyword list"]["all"]["n"] == 16
    assert report["honest"]["forward"]["n"] == 8


def test_missing_development_corpora_are_named(tmp_path, capsys):
    assert main(["bench", "leakage", "--data", str(tmp_path), "--forward-pairs", "0", "--out",
                 str(tmp_path / "o")]) == 2
    assert "scotus_oral_argument/elena_kagan.jsonl" in capsys.readouterr().err
