"""Recon-Select on the fake backend: the selection rule, tie-breaking, leaking and invalid pairs, complete
records with per-pair cost, and candidates cached one by one."""

from __future__ import annotations

import json

from recon.backends.fake import FakeBackend
from recon.config import BackendConfig, LeakageConfig, ReconSelectConfig
from recon.jobs.context import JobContext
from recon.jobs.synthesize import run_recon_select
from recon.method.leakage import Leakage
from recon.method.selection import Candidate, candidate_requests, choose
from recon.paths import manifest_path
from recon.store.cache import CachedBackend
from recon.store.db import Database
from recon.types import Example, Turn

HONEST = Leakage(longest_run=2, ngram_fraction=0.0, overlap=0.1, leaking=False)


def leak(overlap):
    return Leakage(longest_run=12, ngram_fraction=overlap, overlap=overlap, leaking=True)


def test_highest_scoring_honest_candidate_wins_over_a_better_leaking_one():
    cands = [Candidate(0, "quote", leak(0.6), 0.9), Candidate(1, "a", HONEST, 0.3), Candidate(2, "b", HONEST, 0.5)]
    assert choose(cands, LeakageConfig()) == (2, [])


def test_ties_are_broken_by_a_seeded_content_hash_not_the_lowest_sample_index():
    picks = set()
    for k in range(20):
        texts = [f"pair {k} reading {j}" for j in range(4)]
        cands = [Candidate(j, t, HONEST, 0.5) for j, t in enumerate(texts)]
        chosen, flags = choose(cands, LeakageConfig())
        assert flags == ["tie"]
        shuffled = [Candidate(j, t, HONEST, 0.5) for j, t in enumerate(reversed(texts))]
        again, _ = choose(shuffled, LeakageConfig())
        assert shuffled[again].reasoning == cands[chosen].reasoning          # decided by content, not position
        picks.add(chosen)
    assert len(picks) > 1                                                    # not always candidate 0
    seeds = {choose([Candidate(j, f"t{j}", HONEST, 0.5) for j in range(4)], LeakageConfig(), seed=s)[0]
             for s in range(20)}
    assert len(seeds) > 1


def test_an_untied_top_score_has_no_tie_flag():
    cands = [Candidate(0, "a", HONEST, 0.5), Candidate(1, "b", HONEST, 0.7), Candidate(2, "c", HONEST, 0.7),
             Candidate(3, "d", leak(0.5), 0.9)]
    assert choose(cands[:2], LeakageConfig()) == (1, [])
    assert choose(cands, LeakageConfig())[1] == ["tie"]


def test_all_leaking_keeps_the_least_leaking_and_flags_the_pair():
    cands = [Candidate(0, "a", leak(0.6), 0.9), Candidate(1, "b", leak(0.3), 0.1), Candidate(2, "c", leak(0.2), 0.2)]
    assert choose(cands, LeakageConfig()) == (2, ["all_leaking"])


def test_all_leaking_ties_are_broken_by_content_too():
    picks = [choose([Candidate(j, f"pair {k} quote {j}", leak(0.3), 0.1) for j in range(4)], LeakageConfig())
             for k in range(20)]
    assert all(flags == ["all_leaking", "tie"] for _, flags in picks)
    assert len({i for i, _ in picks}) > 1


def test_unscored_candidates_are_skipped_and_none_scored_is_invalid():
    cands = [Candidate(0, "a", HONEST, None), Candidate(1, "b", HONEST, -0.2)]
    assert choose(cands, LeakageConfig()) == (1, [])
    assert choose([Candidate(0, "a", HONEST, None)], LeakageConfig()) == (None, ["invalid"])


def test_penalize_subtracts_lambda_times_overlap():
    cands = [Candidate(0, "quote", leak(0.5), 0.9), Candidate(1, "a", HONEST, 0.6)]
    assert choose(cands, LeakageConfig(policy="penalize", penalty=1.0))[0] == 1     # 0.9-0.5 < 0.6-0.1
    assert choose(cands, LeakageConfig(policy="penalize", penalty=0.1))[0] == 0     # 0.85 > 0.59


ACTION = "We should fund the library before the stadium because children need books."


def examples(n=2):
    return [Example(id=f"x:{i}", domain="council", individual="Ann", conversation_id=f"c{i}", turn_index=1,
                    context=(Turn("Bob", f"Item {i}: the stadium or the library?"),),
                    action=ACTION if i == 0 else f"Item {i}: the library, clearly.") for i in range(n)]


def test_records_keep_every_candidate_score_leakage_selection_and_cost(tmp_path):
    out = tmp_path / "sel.jsonl"
    summary = run_recon_select(JobContext(database=Database(tmp_path / "db.sqlite3")), examples(),
                               ReconSelectConfig(n=3, scorer="likelihood"), synthesizer=BackendConfig(spec="fake"),
                               reconstructor=BackendConfig(spec="fake"), judge=None, out=out)
    records = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["id"] for r in records] == ["x:0", "x:1"]
    for r in records:
        assert r["method"] == "recon-select" and r["scorer"] == "likelihood"
        assert [c["sample_index"] for c in r["candidates"]] == [0, 1, 2]
        assert all(isinstance(c["score"], float) and c["leakage"]["leaking"] is False for c in r["candidates"])
        best = max(r["candidates"], key=lambda c: (c["score"], -c["sample_index"]))
        assert r["selected_index"] == best["sample_index"] and r["reasoning"] == best["reasoning"]
        assert r["cost"]["calls"] == 3 + 4                    # N candidates + N+1 scoring passes
        assert r["cost"]["cache_hits"] == 0 and r["cost"]["prompt_tokens"] > 0
        assert r["model"]["kind"] == "fake" and r["reconstructor"]["kind"] == "fake" and r["judge"] is None
    assert summary.written == 2 and summary.invalid == 0 and summary.figures()["calls_per_pair"] == 7.0
    manifest = json.loads(manifest_path(out).read_text())
    assert manifest["cost"]["calls_per_pair"] == 7.0 and manifest["counts"]["invalid"] == 0


def test_a_copying_candidate_is_never_selected(tmp_path):
    copy = f"She thinks: {ACTION}"
    scripted = FakeBackend(responder=lambda r: copy if r.sample_index == 1 else f"She weighs item {r.sample_index}.")
    db = Database(tmp_path / "db.sqlite3")
    from recon.method.scoring import LikelihoodScorer
    from recon.method.selection import select_pair
    # the reconstructor loves the copy: it recovers the action best
    recon = FakeBackend(scorer=lambda r: -1.0 if ACTION in r.messages[-1].content else -20.0)
    sel = select_pair(examples(1)[0], CachedBackend(scripted, db, run="r", stage="s"),
                      LikelihoodScorer(recon, ReconSelectConfig().reconstruction), ReconSelectConfig(n=3))
    scores = {c.sample_index: c.score for c in sel.candidates}
    assert scores[1] > scores[0] and sel.candidates[1].leakage.leaking
    assert sel.selected != 1 and "all_leaking" not in sel.flags


def test_invalid_judge_pairs_are_kept_and_reported(tmp_path):
    out = tmp_path / "sel.jsonl"

    class MuteJudge(FakeBackend):
        def _text_for(self, req):
            return "no grades here" if "Grade each" in req.messages[-1].content else super()._text_for(req)
    summary = run_recon_select(JobContext(database=Database(tmp_path / "db.sqlite3"),
                                          backend_factory=lambda cfg: MuteJudge()),
                               examples(1), ReconSelectConfig(n=2, scorer="judge"),
                               synthesizer=BackendConfig(spec="fake"), reconstructor=BackendConfig(spec="fake"),
                               judge=BackendConfig(spec="fake"), out=out)
    [record] = [json.loads(x) for x in out.read_text().splitlines()]
    assert record["reasoning"] is None and record["selected_index"] is None and record["flags"] == ["invalid"]
    assert "judge output unusable after 3 attempts" in record["invalid"]
    assert all(c["reconstruction"] for c in record["candidates"])            # kept, with what was done
    assert summary.invalid == 1 and summary.written == 0


def test_candidates_are_cached_one_by_one_so_a_larger_n_pays_only_the_new_ones(tmp_path):
    db = Database(tmp_path / "db.sqlite3")
    ex = examples(1)[0]
    inner = FakeBackend()
    synth = CachedBackend(inner, db, run="r", stage="s")
    synth.generate(candidate_requests(ex, ReconSelectConfig(n=2)))
    synth.generate(candidate_requests(ex, ReconSelectConfig(n=4)))
    assert [r.sample_index for r in inner.history] == [0, 1, 2, 3]
    seeds = {r.effective_seed for r in inner.history}
    assert len(seeds) == 4 and all(r.temperature == 0.7 for r in inner.history)      # the synthesis block


# --- nothing silently changes N -------------------------------------------------------------------------------

def test_a_failed_candidate_call_makes_the_pair_invalid_and_transient(tmp_path):
    from recon.method.scoring import LikelihoodScorer
    from recon.method.selection import select_pair
    synth = CachedBackend(FakeBackend(fail=lambda r: r.sample_index == 2), Database(tmp_path / "db.sqlite3"),
                          run="r", stage="s")
    recon = FakeBackend()
    sel = select_pair(examples(1)[0], synth, LikelihoodScorer(recon, ReconSelectConfig().reconstruction),
                      ReconSelectConfig(n=3))
    assert sel.selected is None and sel.transient and sel.invalid.startswith("backend error")
    assert recon.history == []                                # no selection among the 2 that came back


def test_an_empty_candidate_keeps_its_place_with_a_flag_and_is_never_selected(tmp_path):
    from recon.method.scoring import LikelihoodScorer
    from recon.method.selection import select_pair
    synth = FakeBackend(responder=lambda r: "  " if r.sample_index == 0 else f"She weighs item {r.sample_index}.")
    sel = select_pair(examples(1)[0], synth, LikelihoodScorer(FakeBackend(), ReconSelectConfig().reconstruction),
                      ReconSelectConfig(n=3))
    assert [c.sample_index for c in sel.candidates] == [0, 1, 2]
    assert sel.candidates[0].flags == ("empty",) and sel.candidates[0].score is None
    assert sel.selected in (1, 2) and sel.invalid is None and not sel.transient


def test_a_failed_reconstruction_leaves_the_pair_invalid_in_the_output_and_a_rerun_completes_it(tmp_path):
    out, db = tmp_path / "sel.jsonl", Database(tmp_path / "db.sqlite3")
    flaky = {"on": True}
    run_recon_select(JobContext(database=db, backend_factory=lambda cfg: FakeBackend(fail=lambda r: flaky["on"]
                                                             and hasattr(r, "continuation")
                                                             and "is thinking" in r.messages[-1].content)),
                     examples(2), ReconSelectConfig(n=3), synthesizer=BackendConfig(spec="fake"),
                     reconstructor=BackendConfig(spec="fake"), judge=None, out=out)
    records = [json.loads(x) for x in out.read_text().splitlines()]
    assert all(r["invalid"].startswith("backend error") and r["transient"] for r in records)
    assert all(len(r["candidates"]) == 3 and r["reasoning"] is None for r in records)
    flaky["on"] = False
    summary = run_recon_select(JobContext(database=db, backend_factory=lambda cfg: FakeBackend()), examples(2),
                               ReconSelectConfig(n=3), synthesizer=BackendConfig(spec="fake"),
                               reconstructor=BackendConfig(spec="fake"), judge=None, out=out)
    records = [json.loads(x) for x in out.read_text().splitlines()]
    assert all(r["invalid"] is None and not r["transient"] and r["reasoning"] for r in records)
    assert summary.cost.cache_hits >= 2 * (3 + 1)             # candidates and baselines came from the cache


def test_the_tie_rate_is_counted_in_the_summary_the_manifest_and_the_records(tmp_path):
    out = tmp_path / "sel.jsonl"
    summary = run_recon_select(JobContext(database=Database(tmp_path / "db.sqlite3"),
                                          backend_factory=lambda cfg: FakeBackend(scorer=lambda r: -5.0)),
                               examples(3), ReconSelectConfig(n=3), synthesizer=BackendConfig(spec="fake"),
                               reconstructor=BackendConfig(spec="fake"), judge=None, out=out)   # every gain 0
    records = [json.loads(x) for x in out.read_text().splitlines()]
    assert all("tie" in r["flags"] for r in records)
    assert summary.ties == 3 and summary.figures()["tie_pct"] == 100.0
    assert json.loads(manifest_path(out).read_text())["cost"]["tie_pct"] == 100.0
    from recon.jobs.evaluate import trace_figures
    assert trace_figures(out)["tie_rate"] == 1.0


def test_reject_never_keeps_a_reverse_keyword_list_over_an_honest_candidate():
    from recon.bench.leakage_attacks import reverse_keywords
    from recon.method.leakage import measure_leakage
    action = ("I want to know whether the agency ever explained why it changed the rule after twenty years of "
              "telling farmers the opposite, because that history matters to deference.")
    keywords = reverse_keywords(action)
    honest = "She doubts the regulator's reversal and wants a reason before she defers."
    cands = [Candidate(0, keywords, measure_leakage(keywords, action), 0.329),     # the likelihood scorer's favourite
             Candidate(1, honest, measure_leakage(honest, action), -0.006)]
    assert cands[0].leakage.leaking and not cands[1].leakage.leaking
    assert choose(cands, LeakageConfig()) == (1, [])
