"""The scorer-validity test on the known-latent benchmark: its figures (pairwise accuracy, top-1, the gap,
the leak control) on hand-made scores, and whole runs on the fake backend with scorers whose preference
is known, through the same Scorer code as Recon-Select."""

from __future__ import annotations

import json

import pytest

from recon.backends.fake import FakeBackend
from recon.bench.candidates import HONEST_KINDS, build_candidates
from recon.bench.corpus_files import write_corpus
from recon.bench.generator import generate_corpus
from recon.bench.validity import run_validity
from recon.bench.validity_metrics import beats, scorer_summary, top1_share
from recon.config import BackendConfig, LeakageConfig, ReconstructionConfig
from recon.errors import DataError
from recon.jobs.context import JobContext
from recon.method.embeddings import HashEmbedder
from recon.method.scoring import LikelihoodScorer
from recon.store.db import Database

FAKE = BackendConfig(spec="fake")


def examples(pairs: int = 5):
    return generate_corpus(individuals=2, pairs=pairs, seed=0).examples


def by_kind(exs, values: dict[str, float]):
    """A fake log-probability that depends only on which kind of candidate the prompt carries (0: none)."""
    texts = sorted(((c.text, values[c.kind]) for e in exs for c in build_candidates(e)), key=lambda t: -len(t[0]))

    def score(request) -> float:
        content = " ".join(m.content for m in request.messages)
        return next((v for t, v in texts if t in content), 0.0)
    return score


def run(tmp_path, exs, *, scorers=("likelihood",), scorer=None, db=None, **kwargs):
    factory = kwargs.pop("backend_factory", lambda cfg: FakeBackend(scorer=scorer))
    return run_validity(JobContext(database=db or Database(tmp_path / "db.sqlite3"), embedder=HashEmbedder(),
                                   backend_factory=factory),
                        exs, scorers=list(scorers), reconstructor=FAKE, judge=None, out=tmp_path / "validity",
                        **kwargs)


# -- the figures -----------------------------------------------------------------------------------------

def test_pairwise_wins_count_ties_as_half_and_a_missing_score_as_the_lowest():
    assert beats(2.0, 1.0) == 1.0 and beats(1.0, 2.0) == 0.0 and beats(1.0, 1.0) == 0.5
    assert beats(None, -5.0) == 0.0 and beats(-5.0, None) == 1.0 and beats(None, None) == 0.5


def test_top1_shares_a_k_way_tie_and_is_chance_when_nothing_was_scored():
    assert top1_share({"cause": 2.0, "distractor": 1.0, "wrong_direction": 0.0, "generic": 1.0}) == 1.0
    assert top1_share({"cause": 1.0, "distractor": 1.0, "wrong_direction": 0.0, "generic": 1.0}) == pytest.approx(1 / 3)
    assert top1_share({"cause": 0.5, "distractor": 1.0, "wrong_direction": 0.0, "generic": 1.0}) == 0.0
    assert top1_share({k: None for k in HONEST_KINDS}) == 0.25


def pair(cause, distractor, wrong, generic, leak=9.0, *, caught=True, incomplete=False, invalid=None):
    return {"scores": {"cause": cause, "distractor": distractor, "wrong_direction": wrong, "generic": generic},
            "leak_score": leak, "leak_caught": caught, "honest_flagged": 0, "incomplete": incomplete,
            "invalid": invalid}


def test_scorer_summary_rates_gap_leaks_and_incomplete_pairs():
    rows = [pair(3.0, 1.0, 0.0, 0.0), pair(1.0, 1.0, 2.0, 0.0), pair(0.0, 2.0, 1.0, 3.0, leak=-1.0),
            pair(None, None, None, None, leak=None, invalid="no reconstruction"),
            pair(5.0, 0.0, 0.0, 0.0, caught=False), pair(0.0, 9.0, 9.0, 9.0, incomplete=True)]
    s = scorer_summary(rows, seed=0)
    assert s["pairs"] == 5 and s["incomplete"] == 1 and s["invalid"] == 1
    assert s["pairwise"]["distractor"]["rate"] == pytest.approx((1 + 0.5 + 0 + 0.5 + 1) / 5)
    assert s["pairwise"]["wrong_direction"]["rate"] == pytest.approx((1 + 0 + 0 + 0.5 + 1) / 5)
    assert s["top1"]["rate"] == pytest.approx((1 + 0 + 0 + 0.25 + 1) / 5) and s["top1"]["chance"] == 0.25
    assert s["gap_distractor"]["n"] == 4 and s["gap_distractor"]["mean"] == pytest.approx((2 + 0 - 2 + 5) / 4)
    lo, hi = s["top1"]["ci"]
    assert 0 <= lo <= s["top1"]["rate"] <= hi <= 1
    assert scorer_summary(rows, seed=0) == s
    assert s["leak"] == {"caught": 4, "of": 5, "all_caught": False, "outscores_cause": pytest.approx(3 / 4)}
    assert s["mean_score"]["cause"] == pytest.approx((3 + 1 + 0 + 5) / 4)


# -- whole runs on the fake backend ----------------------------------------------------------------------

def test_a_scorer_that_prefers_the_cause_is_perfect_and_one_that_prefers_the_distractor_fails(tmp_path):
    exs = examples()
    right = run(tmp_path / "a", exs, scorer=by_kind(exs, {"cause": 3.0, "distractor": 1.0, "wrong_direction": 0.5,
                                                         "generic": 0.0, "leak": 9.0}))
    s = right.summaries["likelihood"]
    assert s["pairs"] == len(exs) and s["incomplete"] == 0 and s["invalid"] == 0
    assert {k: v["rate"] for k, v in s["pairwise"].items()} == {"distractor": 1.0, "wrong_direction": 1.0,
                                                                "generic": 1.0}
    assert s["top1"]["rate"] == 1.0 and s["gap_distractor"]["mean"] > 0
    assert s["leak"]["all_caught"] and s["leak"]["outscores_cause"] == 1.0
    wrong = run(tmp_path / "b", exs, scorer=by_kind(exs, {"cause": 1.0, "distractor": 3.0, "wrong_direction": 0.5,
                                                         "generic": 0.0, "leak": 9.0}))
    s = wrong.summaries["likelihood"]
    assert s["pairwise"]["distractor"]["rate"] == 0.0 and s["pairwise"]["generic"]["rate"] == 1.0
    assert s["top1"]["rate"] == 0.0 and s["gap_distractor"]["mean"] < 0


def test_an_indifferent_scorer_sits_at_chance(tmp_path):
    s = run(tmp_path, examples(), scorer=lambda request: -4.0).summaries["likelihood"]
    assert all(v["rate"] == 0.5 for v in s["pairwise"].values())
    assert s["top1"]["rate"] == 0.25 and s["gap_distractor"]["mean"] == 0.0


def test_scores_come_from_the_recon_select_scorer_and_every_pair_is_written(tmp_path):
    exs = examples(3)
    result = run(tmp_path, exs)               # the fake backend's hashed log-probabilities
    records = [json.loads(line) for line in (result.out / "pairs.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == [e.id for e in exs]
    direct = LikelihoodScorer(FakeBackend(), ReconstructionConfig())
    for e, r in zip(exs, records, strict=True):
        assert [c["kind"] for c in r["candidates"]] == ["cause", "distractor", "wrong_direction", "generic", "leak"]
        honest = [c.text for c in build_candidates(e) if c.kind in HONEST_KINDS]
        assert [r["scores"]["likelihood"][k] for k in HONEST_KINDS] == direct.score(e, honest).scores
        assert r["candidates"][-1]["leakage"]["leaking"] and not r["candidates"][0]["leakage"]["leaking"]


def test_all_three_scorers_write_results_a_report_and_a_plot(tmp_path):
    exs = examples(4)
    result = run(tmp_path, exs, scorers=("likelihood", "judge", "embedding"))
    data = json.loads((result.out / "results.json").read_text())
    assert set(data["scorers"]) == {"likelihood", "judge", "embedding"} and data["pairs"] == len(exs)
    for s in data["scorers"].values():
        assert s["pairs"] == len(exs) and set(s["pairwise"]) == {"distractor", "wrong_direction", "generic"}
        assert s["cost"]["calls"] > 0
    report = (result.out / "report.md").read_text()
    for scorer in ("likelihood", "judge", "embedding"):
        assert f"| {scorer} |" in report
    assert "cause ranked first" in report and "![validity](plots/validity.png)" in report
    assert (result.out / "plots/validity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_leakage_guard_that_misses_the_leaks_is_reported(tmp_path):
    lax = LeakageConfig(max_shared_run=1000, max_ngram_fraction=1.0, max_coverage=1.0, max_lcs_fraction=1.0,
                        short_action_words=0, max_content_share=1.0, max_quote_share=1.0)
    result = run(tmp_path, examples(3), leakage=lax)
    assert result.summaries["likelihood"]["leak"]["caught"] == 0
    assert not result.summaries["likelihood"]["leak"]["all_caught"]
    assert "missed" in (result.out / "report.md").read_text()


def test_a_failed_backend_call_leaves_the_pair_incomplete_and_a_rerun_retries_only_it(tmp_path):
    exs = examples(3)
    target = exs[1].action
    db = Database(tmp_path / "db.sqlite3")
    broken = run(tmp_path, exs, db=db,
                 backend_factory=lambda cfg: FakeBackend(fail=lambda r: getattr(r, "continuation", "") == target))
    s = broken.summaries["likelihood"]
    assert s["incomplete"] == 1 and s["pairs"] == len(exs) - 1 and broken.incomplete == 1
    fresh = FakeBackend()
    fixed = run(tmp_path, exs, db=db, backend_factory=lambda cfg: fresh)
    assert fixed.summaries["likelihood"]["incomplete"] == 0 and fixed.summaries["likelihood"]["pairs"] == len(exs)
    assert fresh.history and all(r.continuation == target for r in fresh.history)


def test_pairs_without_the_benchmark_ground_truth_are_refused(tmp_path):
    from recon.types import Example, Turn
    plain = Example(id="x", domain="d", individual="Ann", conversation_id="c", turn_index=1,
                    context=(Turn("Bob", "Why?"),), action="Because.")
    with pytest.raises(DataError, match="meta.latent"):
        run(tmp_path, [plain])
    with pytest.raises(DataError, match="no pairs"):
        run(tmp_path, [])


def test_bench_validity_command_on_the_fake_backend(tmp_path, capsys):
    from recon.cli.main import main
    write_corpus(tmp_path / "data", individuals=2, pairs=6, seed=0, test_fraction=1 / 3)
    out = tmp_path / "v"
    assert main(["bench", "validity", "--data", str(tmp_path / "data"), "--dry-run", "--scorer", "likelihood",
                 "--scorer", "embedding", "--limit", "4", "--out", str(out)]) == 0
    data = json.loads((out / "results.json").read_text())
    assert set(data["scorers"]) == {"likelihood", "embedding"} and data["pairs"] == 4
    assert "cause ranked first" in capsys.readouterr().out
    assert (out / "report.md").is_file()
    assert main(["bench", "validity", "--data", str(tmp_path / "data" / "missing.jsonl"), "--dry-run",
                 "--out", str(out)]) == 2
    lines = (tmp_path / "data/pairs.jsonl").read_text().splitlines()
    broken = json.loads(lines[2])
    del broken["meta"]["latent"]["direction"]
    lines[2] = json.dumps(broken)
    (tmp_path / "bad.jsonl").write_text("\n".join(lines) + "\n")
    capsys.readouterr()
    assert main(["bench", "validity", "--data", str(tmp_path / "bad.jsonl"), "--dry-run", "--out", str(out)]) == 2
    assert f"{tmp_path / 'bad.jsonl'}:3: meta.latent lacks 'direction'" in capsys.readouterr().err


def test_credentials_in_a_backend_url_never_reach_the_outputs(tmp_path):
    secret = BackendConfig(spec="openai:m@https://user:hunter2@llm.example/v1")
    result = run_validity(JobContext(database=Database(tmp_path / "db.sqlite3"),
                                     backend_factory=lambda cfg: FakeBackend()),
                          examples(2), scorers=["likelihood", "judge"], reconstructor=secret, judge=secret,
                          out=tmp_path / "v")
    for name in ("results.json", "report.md", "pairs.jsonl"):
        assert "hunter2" not in (result.out / name).read_text()


def test_windows_of_pairs_give_the_one_pair_at_a_time_results(tmp_path):
    exs = examples(4)
    records = {}
    for window in (1, 4):
        backend = FakeBackend(scorer=by_kind(exs, {"cause": -1.0, "distractor": -3.0, "wrong_direction": -2.5,
                                                   "generic": -2.0, "leak": -0.5}), window_pairs=window)
        result = run(tmp_path / str(window), exs, scorers=("likelihood", "embedding"),
                     backend_factory=lambda cfg, b=backend: b)
        records[window] = (result.out / "pairs.jsonl").read_text()
        assert result.summaries["likelihood"]["top1"]["rate"] == 1.0
    assert records[1] == records[4]


def test_the_validity_bench_keeps_a_server_busy_across_pairs(tmp_path):
    from tests.loopback_server import LoopbackServer
    with LoopbackServer(latency=0.5) as server:     # long enough for a loaded client to fill every slot
        spec = BackendConfig(spec=f"openai:m@{server.url}", api_key_env=None, concurrency=16)
        run_validity(JobContext(database=Database(tmp_path / "db.sqlite3"), embedder=HashEmbedder()), examples(4),
                     scorers=["embedding"], reconstructor=spec, judge=None, out=tmp_path / "validity")
    assert server.max_in_flight == 16               # one pair at a time: its 4 honest candidates at most
