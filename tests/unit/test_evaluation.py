"""Pairwise evaluation on the fake backend: the swap, ties, invalids, intervals, length control, the report
and the human round trip."""

from __future__ import annotations

import base64
import csv
import json
import re

import pytest

from recon.backends.fake import FakeBackend
from recon.config import PairJudgeConfig
from recon.evaluation.human import agreement_and_kappa, export_items, import_labels
from recon.evaluation.judge import EmbeddingPairJudge, LMPairJudge, parse_winner, presented_first
from recon.evaluation.report import write_report
from recon.jobs.context import JobContext
from recon.jobs.evaluate import run_evaluate
from recon.method.embeddings import HashEmbedder
from recon.types import Example, Turn

DOMAINS = ["court", "press"]


def ex(i):
    return Example(id=f"p{i}", domain=DOMAINS[i % 2], individual=f"Person {i % 3}", conversation_id=f"c{i}",
                   turn_index=1, context=(Turn("Bob", f"Question {i} about the budget?"),),
                   action=f"We fund the library first in case {i}.")


TEST = [ex(i) for i in range(40)]


def test_a_judge_that_always_says_a_wins_half_not_all():
    judge = LMPairJudge(FakeBackend(responder=lambda r: '{"winner": "A"}'),
                        PairJudgeConfig(kind="lm", both_orders=False))
    ps = [judge.judge(e, f"reply one {e.id}", f"reply two {e.id}").p_a for e in TEST]
    assert 0.3 < sum(ps) / len(ps) < 0.7 and set(ps) == {0.0, 1.0}


def test_the_lm_judge_judges_both_orders_by_default_and_a_flipping_verdict_is_a_tie():
    assert PairJudgeConfig().both_orders is True
    # "A" whenever the reply mentioning the tram is shown first, "tie" when it is shown second: the verdict
    # changes with the order, so it is a tie (averaging the two orders would give 0.75)
    fake = FakeBackend(responder=lambda r: '{"winner": "A"}' if r.messages[-1].content.index("tram") <
                       r.messages[-1].content.index("bridge") else '{"winner": "tie"}')
    judge = LMPairJudge(fake, PairJudgeConfig(kind="lm"))
    j = judge.judge(TEST[0], "We fund the tram.", "We fund the bridge.")
    assert len(fake.history) == 2 and j.p_a == 0.5 and j.detail["consistent"] is False
    steady = LMPairJudge(FakeBackend(responder=lambda r: '{"winner": "A"}' if r.messages[-1].content.index(
        "tram") < r.messages[-1].content.index("bridge") else '{"winner": "B"}'), PairJudgeConfig(kind="lm"))
    j = steady.judge(TEST[0], "We fund the tram.", "We fund the bridge.")
    assert j.p_a == 1.0 and j.detail["consistent"] is True


def test_both_orders_turn_a_position_biased_judge_into_ties():
    judge = LMPairJudge(FakeBackend(responder=lambda r: '{"winner": "A"}'),
                        PairJudgeConfig(kind="lm", both_orders=True))
    assert {judge.judge(e, "one", "two").p_a for e in TEST[:10]} == {0.5}


def test_the_presentation_depends_on_content_not_on_which_method_is_a():
    fake = FakeBackend(responder=lambda r: '{"winner": "B"}')
    judge = LMPairJudge(fake, PairJudgeConfig(kind="lm", both_orders=False))
    p_ab = judge.judge(TEST[0], "alpha reply", "beta reply").p_a
    p_ba = judge.judge(TEST[0], "beta reply", "alpha reply").p_a
    assert p_ab == 1 - p_ba
    assert fake.history[0].messages == fake.history[1].messages


def test_which_text_is_shown_first_is_symmetric_in_the_roles_and_varies_over_pairs():
    firsts = [presented_first(f"p{i}", "alpha", "beta") for i in range(40)]
    assert firsts == [presented_first(f"p{i}", "beta", "alpha") for i in range(40)]
    assert 10 < firsts.count("alpha") < 30                       # both texts are shown first, about half each


@pytest.mark.parametrize("text,winner", [('{"winner": "A"}', "A"), ("Winner: B", "B"), ("Winner: a tie", "tie"),
                                          ("I cannot answer a question like this", None), ("answer: TIE", "tie"),
                                          ('{"winner": "c"}', None)])
def test_parse_winner(text, winner):
    assert parse_winner(text) == winner


def test_duplicate_or_self_comparisons_are_refused(tmp_path):
    from recon.errors import ConfigError
    good = write_preds(tmp_path / "g.jsonl", "g", [e.action for e in TEST])
    for compare in ([("g", "g")], [("g", "h"), ("g", "h")]):
        with pytest.raises(ConfigError, match="two different methods, once"):
            run_evaluate(JobContext(embedder=HashEmbedder()), TEST, {"g": good, "h": good}, compare=compare,
                         judge_cfg=PairJudgeConfig(), out=tmp_path / "eval")


def test_kappa_is_undefined_when_everyone_used_one_label():
    r = agreement_and_kappa(["a", "a"], ["a", "a"])
    assert r["agreement"] == 1.0 and r["kappa"] is None


def test_ties_identical_predictions_and_invalid_answers():
    tie = LMPairJudge(FakeBackend(responder=lambda r: '{"winner": "tie"}'), PairJudgeConfig(kind="lm"))
    assert tie.judge(TEST[0], "a", "b").verdict == "tie"
    mute = FakeBackend(responder=lambda r: "I cannot decide.")
    bad = LMPairJudge(mute, PairJudgeConfig(kind="lm", retries=2)).judge(TEST[0], "a", "b")
    assert bad.p_a is None and bad.verdict == "invalid" and len(mute.history) == 3
    assert LMPairJudge(mute, PairJudgeConfig(kind="lm")).judge(TEST[0], "same", "same ").p_a == 0.5
    assert parse_winner('{"winner": "a"}') == "A" and parse_winner("no idea") is None


def test_embedding_judge_margin_makes_near_equal_predictions_tie():
    emb = EmbeddingPairJudge(HashEmbedder(), PairJudgeConfig(margin=0.02))
    e = TEST[0]
    assert emb.judge(e, e.action, "something else entirely").p_a == 1.0
    assert emb.judge(e, "something else entirely", e.action).p_a == 0.0
    wide = EmbeddingPairJudge(HashEmbedder(), PairJudgeConfig(margin=1.0))
    assert wide.judge(e, e.action, "something else").p_a == 0.5


def write_preds(path, method, texts):
    path.write_text("".join(json.dumps({"id": e.id, "method": method, "reasoning": "r", "action": t}) + "\n"
                            for e, t in zip(TEST, texts, strict=True)))
    return path


@pytest.fixture
def evaluated(tmp_path):
    good = write_preds(tmp_path / "good.jsonl", "backward", [e.action for e in TEST])
    bad = write_preds(tmp_path / "bad.jsonl", "none", ["Let us adjourn." if i != 5 else None for i in range(40)])
    preds = {"backward": good, "none": bad}
    (tmp_path / "t.jsonl").write_text("".join(json.dumps(e.to_json()) + "\n" for e in TEST))
    result = run_evaluate(JobContext(embedder=HashEmbedder()), TEST, preds, compare=[("backward", "none")],
                          judge_cfg=PairJudgeConfig(), out=tmp_path / "eval", test_paths=[str(tmp_path / "t.jsonl")])
    return result, preds, tmp_path


def test_results_json_has_the_documented_schema(evaluated):
    result, _, tmp = evaluated
    results = json.loads((tmp / "eval/results.json").read_text())
    overall = next(c for c in results["comparisons"] if c["scope"] == "overall")
    assert set(overall) >= {"a", "b", "scope", "win_rate", "ci", "n", "ties", "invalid", "lc_win_rate",
                            "judge_invalid", "failed_a", "failed_b", "win_rate_valid_only", "n_conversations",
                            "ci_pairs", "order_consistency"}
    # none's failed prediction (pair 5) is a loss for none, not a dropped row
    assert overall["win_rate"] == 1.0 and overall["n"] == 40 and overall["judge_invalid"] == 0
    assert (overall["failed_a"], overall["failed_b"], overall["n_valid_only"]) == (0, 1, 39)
    assert results["methods"]["none"]["failed_rate"] == 0.025 and results["methods"]["backward"]["failed_rate"] == 0
    assert {c["scope"] for c in results["comparisons"]} >= {"overall", "domain:court", "domain:press",
                                                            "individual:Person 0"}
    m = results["methods"]["backward"]
    assert set(m) >= {"leakage_rate", "calls_per_pair", "tokens_per_pair", "seconds_per_pair", "mean_cosine",
                      "rouge_l", "length_ratio"}
    assert m["rouge_l"] == pytest.approx(1.0) and results["methods"]["none"]["predicted"] == 39


def test_report_html_embeds_non_empty_plots_and_examples(evaluated):
    result, preds, tmp = evaluated
    md, page = write_report(result, TEST, preds, n_examples=20)
    text = page.read_text()
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
    assert len(images) >= 2
    for data in images:
        raw = base64.b64decode(data)
        assert raw.startswith(b"\x89PNG") and len(raw) > 2000
    assert text.count("<h3>") == 20 and "true action" in text
    assert "![winrates_overall.png](plots/winrates_overall.png)" in md.read_text()
    assert (tmp / "eval/plots/winrates_overall.png").stat().st_size > 2000


def test_the_report_opens_with_the_setup_and_shows_failures_loops_and_intervals(evaluated):
    result, preds, tmp = evaluated
    md, page = write_report(result, TEST, preds, n_examples=2)
    text = md.read_text()
    setup = text[text.index("## Setup"):text.index("## Win rates")]
    assert text.index("## Setup") < text.index("## Win rates")
    assert "MiniLM" in setup and "not a preference judgment" in setup and "LLM judge" in setup
    assert "40 test pairs from 40 conversations" in setup and "loses" in setup
    block = text.split("### backward vs none", 1)[1]                 # one block per comparison
    header = next(line for line in block.splitlines() if line.startswith("| scope"))
    for column in ("failed A", "failed B", "judge invalid", "win rate (valid only)", "conversations"):
        assert column in header
    overall = next(line for line in block.splitlines() if line.startswith("| overall"))
    assert "| 1 |" in overall                                         # none failed once
    individual = next(line for line in text.splitlines() if "individual:Person 0" in line)
    assert "optimistic" not in individual                            # 13 conversations: a real interval
    mhead = next(line for line in text.splitlines() if line.startswith("| method"))
    for column in ("failed", "loops", "leakage (kept)", "leakage (candidates)"):
        assert column in mhead
    assert "not a preference judgment" in page.read_text()


def test_the_report_labels_pair_intervals_optimistic_below_five_conversations(tmp_path):
    few = [Example(id=f"q{i}", domain="court", individual="Ann", conversation_id=f"c{i % 3}", turn_index=i,
                   context=(Turn("Bob", "Why?"),), action=f"Because of reason {i}.") for i in range(12)]
    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps({"id": e.id, "action": e.action}) + "\n" for e in few))
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(json.dumps({"id": e.id, "action": "Let us adjourn."}) + "\n" for e in few))
    result = run_evaluate(JobContext(embedder=HashEmbedder()), few, {"good": good, "bad": bad},
                          compare=[("good", "bad")], judge_cfg=PairJudgeConfig(), out=tmp_path / "eval")
    md, _ = write_report(result, few, {"good": good, "bad": bad}, n_examples=1)
    block = md.read_text().split("### good vs bad", 1)[1]             # one block per comparison
    overall = next(line for line in block.splitlines() if line.startswith("| overall"))
    assert "optimistic" in overall


def test_an_lm_judged_report_says_both_orders_and_the_order_consistency(tmp_path):
    good = write_preds(tmp_path / "good.jsonl", "backward", [e.action for e in TEST])
    bad = write_preds(tmp_path / "bad.jsonl", "none", ["Let us adjourn." for _ in TEST])
    judge = FakeBackend(responder=lambda r: '{"winner": "A"}')           # pure position bias: never consistent
    result = run_evaluate(JobContext(embedder=HashEmbedder()), TEST, {"backward": good, "none": bad},
                          compare=[("backward", "none")], judge_cfg=PairJudgeConfig(kind="lm"), judge_backend=judge,
                          out=tmp_path / "eval")
    [overall] = [c for c in result.comparisons if c.scope == "overall"]
    assert overall.order_consistency == 0.0 and overall.win_rate == 0.5
    md, _ = write_report(result, TEST, {"backward": good, "none": bad}, n_examples=1)
    setup = md.read_text().split("## Win rates")[0]
    assert "both presentation orders" in setup and "order consistency 0.0%" in setup


def test_human_export_then_import_gives_agreement_and_kappa(tmp_path):
    # the true action wins for "good" on even pairs and for "bad" on odd ones: the judge says a, b, a, b …
    good = write_preds(tmp_path / "good.jsonl", "g", [e.action if i % 2 == 0 else "Let us adjourn."
                                                      for i, e in enumerate(TEST)])
    bad = write_preds(tmp_path / "bad.jsonl", "b", ["Let us adjourn." if i % 2 == 0 else e.action
                                                    for i, e in enumerate(TEST)])
    (tmp_path / "t.jsonl").write_text("".join(json.dumps(e.to_json()) + "\n" for e in TEST))
    run_evaluate(JobContext(embedder=HashEmbedder()), TEST, {"good": good, "bad": bad}, compare=[("good", "bad")],
                 judge_cfg=PairJudgeConfig(), out=tmp_path / "eval", test_paths=[str(tmp_path / "t.jsonl")])
    items, form, n, identical, failed = export_items(tmp_path / "eval", n=12, out=tmp_path / "items.csv", seed=1)
    assert (n, identical, failed) == (12, 0, 0) and "Download labelled CSV" in form.read_text()
    key = json.loads((tmp_path / "eval/human_key.json").read_text())["items"]
    assert {v["judge"] for v in key.values()} == {"a", "b"}
    rows = list(csv.DictReader(items.open()))
    assert list(rows[0]) == ["item", "context", "true_action", "response_1", "response_2", "label"]
    assert "good" not in items.read_text() and "bad" not in items.read_text()      # blinded

    def write(name, label_of):
        with (tmp_path / name).open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows([{**r, "label": label_of(r)} for r in rows])
        return tmp_path / name
    truthful = write("truthful.csv", lambda r: "1" if r["response_1"].startswith("We fund") else "2")
    r = import_labels(truthful, tmp_path / "eval")
    assert r["n"] == 12 and r["agreement"] == 1.0 and r["kappa"] == pytest.approx(1.0)
    lazy = import_labels(write("lazy.csv", lambda r: "1"), tmp_path / "eval")     # always "response 1"
    assert lazy["agreement"] < 1.0
    # a second export with another seed keeps the first one's items resolvable
    export_items(tmp_path / "eval", n=5, out=tmp_path / "items2.csv", seed=2)
    assert import_labels(truthful, tmp_path / "eval")["agreement"] == 1.0
    from recon.errors import DataError
    with pytest.raises(DataError, match=r"bad.csv:\d+: label 'maybe'"):
        import_labels(write("bad.csv", lambda r: "maybe"), tmp_path / "eval")


def test_a_looping_prediction_is_detected_and_counted_per_method(tmp_path):
    from recon.evaluation.metrics import LOOP_THRESHOLD, distinct_ngram_ratio, is_loop
    loop = "I'm glad to be here. " * 12
    assert distinct_ngram_ratio(loop) < LOOP_THRESHOLD and is_loop(loop)
    assert not is_loop("We fund the library first, then the stadium if money remains.")
    assert not is_loop("yes yes")                          # too short to tell
    looping = write_preds(tmp_path / "loop.jsonl", "none", [loop if i % 4 == 0 else e.action
                                                              for i, e in enumerate(TEST)])
    good = write_preds(tmp_path / "good.jsonl", "backward", [e.action for e in TEST])
    run_evaluate(JobContext(embedder=HashEmbedder()), TEST, {"backward": good, "none": looping},
                 compare=[("backward", "none")], judge_cfg=PairJudgeConfig(), out=tmp_path / "eval")
    methods = json.loads((tmp_path / "eval/results.json").read_text())["methods"]
    assert methods["none"]["loop_rate"] == 0.25 and methods["backward"]["loop_rate"] == 0.0


def test_every_comparison_covers_every_test_pair_and_failures_lose(tmp_path):
    """x fails on pairs 0-9 (a terse user model out of budget), y on 30-39; z always predicts."""
    x = write_preds(tmp_path / "x.jsonl", "x", [None if i < 10 else e.action for i, e in enumerate(TEST)])
    y = write_preds(tmp_path / "y.jsonl", "y", [None if i >= 30 else e.action for i, e in enumerate(TEST)])
    z = write_preds(tmp_path / "z.jsonl", "z", ["Let us adjourn." for _ in TEST])
    result = run_evaluate(JobContext(embedder=HashEmbedder()), TEST, {"x": x, "y": y, "z": z},
                          compare=[("x", "y"), ("x", "z"), ("y", "z")], judge_cfg=PairJudgeConfig(),
                          out=tmp_path / "eval")
    overall = {(c.a, c.b): c for c in result.comparisons if c.scope == "overall"}
    assert {c.n + c.judge_invalid for c in overall.values()} == {len(TEST)}
    xy = overall[("x", "y")]
    assert (xy.failed_a, xy.failed_b) == (10, 10)
    assert xy.win_rate == 0.5 and xy.win_rate_valid_only == 0.5          # 10 losses, 10 wins, 20 identical ties
    xz = overall[("x", "z")]
    assert xz.win_rate == 0.75 and xz.win_rate_valid_only == 1.0         # the 10 failures are losses to z
    lines = [json.loads(line) for line in (tmp_path / "eval/judgments.jsonl").read_text().splitlines()]
    failed = [j for j in lines if j["a"] == "x" and j["b"] == "z" and j["failed"]]
    assert len(failed) == 10 and {j["verdict"] for j in failed} == {"b"} and {j["failed"][0] for j in failed} == {"x"}


def test_recon_select_reports_the_leakage_of_its_candidates_beside_that_of_its_kept_traces(tmp_path):
    from recon.jobs.evaluate import trace_figures

    def leak(flag):
        return {"leaking": flag, "overlap": 0.6 if flag else 0.1}
    rs = tmp_path / "rs.jsonl"
    rs.write_text("".join(json.dumps({"id": e.id, "method": "recon-select", "reasoning": "kept",
                                      "leakage": leak(False),
                                      "candidates": [{"sample_index": k, "reasoning": "c", "leakage": leak(k < 2)}
                                                     for k in range(4)]}) + "\n" for e in TEST[:10]))
    bw = tmp_path / "bw.jsonl"
    bw.write_text("".join(json.dumps({"id": e.id, "method": "backward", "reasoning": "r",
                                      "leakage": leak(i < 3)}) + "\n" for i, e in enumerate(TEST[:10])))
    f_rs, f_bw = trace_figures(rs), trace_figures(bw)
    assert f_rs["leakage_rate"] == 0.0 and f_rs["candidate_leakage_rate"] == 0.5
    assert f_bw["leakage_rate"] == 0.3 and f_bw["candidate_leakage_rate"] is None


def test_results_say_what_was_measured_read_from_the_trace_and_prediction_manifests(tmp_path):
    from recon.config import BackendConfig, ReconSelectConfig, SynthesisConfig, UserModelConfig
    from recon.jobs.predict import run_predict
    from recon.jobs.synthesize import run_recon_select, run_synthesis
    from recon.store.db import Database
    db, fake = Database(tmp_path / "db.sqlite3"), BackendConfig(spec="fake")
    train = [Example(id=f"t{i}", domain=DOMAINS[i % 2], individual=f"Person {i % 3}", conversation_id=f"tc{i}",
                     turn_index=1, context=(Turn("Bob", f"Train question {i}?"),), action=f"Train answer {i}.")
             for i in range(9)]
    run_synthesis(JobContext(database=db), train, fake, SynthesisConfig(method="backward"), out=tmp_path / "bw.jsonl")
    run_recon_select(JobContext(database=db), train, ReconSelectConfig(n=3, scorer="likelihood"), synthesizer=fake,
                     reconstructor=fake, judge=None, out=tmp_path / "rs.jsonl")
    traces = {"backward": tmp_path / "bw.jsonl", "recon-select": tmp_path / "rs.jsonl"}
    for m, t in traces.items():
        trace_map = {json.loads(x)["id"]: json.loads(x)["reasoning"] for x in t.read_text().splitlines()}
        run_predict(JobContext(database=db), TEST, train=train, traces=trace_map, method=m, user_model="icl",
                    backend_config=fake, cfg=UserModelConfig(k=2), out=tmp_path / f"pred_{m}.jsonl")
    hand = write_preds(tmp_path / "hand.jsonl", "none", [e.action for e in TEST])     # no manifest
    test_file = tmp_path / "t.jsonl"
    test_file.write_text("".join(json.dumps(e.to_json()) + "\n" for e in TEST))
    preds = {"backward": tmp_path / "pred_backward.jsonl", "recon-select": tmp_path / "pred_recon-select.jsonl",
             "none": hand}
    run_evaluate(JobContext(embedder=HashEmbedder()), TEST, preds,
                 compare=[("recon-select", "backward"), ("backward", "none")], judge_cfg=PairJudgeConfig(),
                 out=tmp_path / "eval", traces=traces, test_paths=[str(test_file)], seed=3)
    setup = json.loads((tmp_path / "eval/results.json").read_text())["setup"]
    assert setup["judge"]["kind"] == "embedding" and "not a preference judgment" in setup["judge"]["description"]
    assert setup["judge"]["model"] == HashEmbedder.fingerprint and setup["judge"]["both_orders"] is None
    rs = setup["methods"]["recon-select"]
    assert rs["traces"]["recon_select"] == {"scorer": "likelihood", "n": 3}
    assert rs["traces"]["leakage"]["policy"] == "reject" and "max_shared_run" in rs["traces"]["leakage"]
    assert rs["traces"]["models"]["synthesizer"]["kind"] == "fake"
    assert rs["traces"]["models"]["reconstructor"]["kind"] == "fake"
    assert setup["methods"]["backward"]["traces"]["recon_select"] is None
    assert setup["methods"]["backward"]["traces"]["models"]["synthesizer"]["kind"] == "fake"
    bw = setup["methods"]["backward"]["predictions"]
    assert (bw["user_model"], bw["k"], bw["sft_steps"], bw["model"]["kind"]) == ("icl", 2, None, "fake")
    none = setup["methods"]["none"]
    assert none["traces"] is None and none["predictions"]["user_model"] is None        # null where absent
    assert len(none["predictions"]["sha256"]) == 64
    [test_entry] = setup["data"]["test"]
    import hashlib
    assert test_entry["sha256"] == hashlib.sha256(test_file.read_bytes()).hexdigest()
    assert setup["data"]["test_pairs"] == 40 and setup["data"]["test_conversations"] == 40
    assert setup["data"]["split"] is None and setup["seed"] == 3
    assert setup["recon_version"] and "numpy" in setup["libraries"] and setup["device"]["cpus"] >= 1
    assert "git_commit" in setup


def test_the_first_screen_is_setup_table_and_main_figure_and_every_figure_has_its_formats(tmp_path, recon_home):
    from recon.config import load_run_config
    from recon.run import run_pipeline
    from tests.integration.test_pipeline import setup_run
    cfg, root = load_run_config(setup_run(tmp_path))
    run_pipeline(cfg, root, embedder=HashEmbedder())
    out = tmp_path / "run" / "eval"
    page = (out / "report.html").read_text()
    order = [page.index(h) for h in ("<h2>Setup", "<h2>Methods × domains", '<figure id="fig-methods_by_domain"',
                                     "<h2>Win rates")]
    assert order == sorted(order)
    assert page.count("<figcaption>") == len(list((out / "plots").glob("*.png")))
    assert "<details><summary>recon-select vs backward</summary>" in page      # long tables collapse
    for png in (out / "plots").glob("*.png"):
        assert png.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-"
        assert b"<svg" in png.with_suffix(".svg").read_bytes()[:400]
    md = (out / "report.md").read_text()
    assert md.index("## Methods × domains") < md.index("![methods_by_domain.png]") < md.index("## Win rates")
    verdicts = [line for line in md.splitlines() if line.startswith("verdicts:")]
    assert verdicts and all(": a" not in v.replace(": all", "") for v in verdicts)      # named, not letters
    assert any("closer" in v or "tie" in v for v in verdicts)


def test_results_and_report_show_the_truncation_rate_per_method(tmp_path):
    def write(name, cut):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps(
            {"id": e.id, "method": name, "reasoning": "r", "action": e.action, "finish_reason": "stop",
             "reasoning_truncated": i in cut, "action_truncated": False}) + "\n" for i, e in enumerate(TEST)))
        return tmp_path / f"{name}.jsonl"
    preds = {"backward": write("backward", set(range(10))), "none": write("none", set())}
    result = run_evaluate(JobContext(embedder=HashEmbedder()), TEST, preds, compare=[("backward", "none")],
                          judge_cfg=PairJudgeConfig(), out=tmp_path / "eval")
    methods = json.loads((tmp_path / "eval/results.json").read_text())["methods"]
    assert methods["backward"]["truncated_rate"] == 0.25 and methods["backward"]["reasoning_truncated_rate"] == 0.25
    assert methods["none"]["truncated_rate"] == 0 and methods["backward"]["action_truncated_rate"] == 0
    md, page = write_report(result, TEST, preds, n_examples=1)
    lines = md.read_text().splitlines()
    header = next(line for line in lines if line.startswith("| method")).split("|")
    row = next(line for line in lines if line.startswith("| backward |")).split("|")
    assert row[header.index(" truncated ")].strip() == "25.0%"
    assert "truncated" in page.read_text()
