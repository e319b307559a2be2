"""Recon-Select with the embedded model on real pairs: all three scorers, complete records, the likelihood
score equal to a difference of two logprob calls, and prefix reuse measured from the backend's counters."""

from __future__ import annotations

import json

import pytest

from recon.backends.llamacpp import LlamaCppBackend
from recon.config import BackendConfig, ReconSelectConfig
from recon.data.corpus import load_examples
from recon.jobs.context import JobContext
from recon.jobs.synthesize import run_recon_select
from recon.method.reconstruction import reconstruction_score_request
from recon.method.scoring import LikelihoodScorer
from recon.store.db import Database

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pairs(shared_data_dir):
    return load_examples([shared_data_dir / "scotus_oral_argument/sonia_sotomayor.jsonl"])[:3]


@pytest.fixture(scope="module")
def shared_data_dir():
    from tests.conftest import SHARED_DATA
    if not (SHARED_DATA / "README.md").is_file():
        pytest.skip(f"the shared development data is not at {SHARED_DATA} (set RECON_SHARED_DATA)")
    return SHARED_DATA


def test_all_three_scorers_write_complete_records(tmp_path, pairs):
    db = Database(tmp_path / "db.sqlite3")
    embedded = BackendConfig(spec="embedded")
    records = {}
    for scorer in ("likelihood", "judge", "embedding"):
        out = tmp_path / f"{scorer}.jsonl"
        summary = run_recon_select(JobContext(database=db), pairs, ReconSelectConfig(n=2, scorer=scorer),
                                   synthesizer=embedded, reconstructor=embedded, judge=embedded, out=out)
        records[scorer] = [json.loads(x) for x in out.read_text().splitlines()]
        assert summary.pairs == 3 and [r["id"] for r in records[scorer]] == [p.id for p in pairs]
        for r in records[scorer]:
            assert len(r["candidates"]) == 2 and all(c["reasoning"] for c in r["candidates"])
            assert all(set(c["leakage"]) == {"longest_run", "ngram_fraction", "coverage", "lcs_fraction",
                                             "short_quote", "content_share", "quote_share", "overlap", "leaking"}
                       for c in r["candidates"])
            assert r["cost"]["calls"] > 0
            if r["invalid"] is None:
                assert all(isinstance(c["score"], float) for c in r["candidates"])
                chosen = next(c for c in r["candidates"] if c["sample_index"] == r["selected_index"])
                assert r["reasoning"] == chosen["reasoning"]
            else:                                       # only the judge may fail to grade
                assert scorer == "judge" and r["reasoning"] is None and r["flags"] == ["invalid"]
        if scorer != "likelihood":
            assert all(c["reconstruction"] for r in records[scorer] for c in r["candidates"])
    # the candidates are the same for every scorer: generated once, then served from the cache
    assert [c["reasoning"] for c in records["judge"][0]["candidates"]] == \
           [c["reasoning"] for c in records["likelihood"][0]["candidates"]]
    assert records["embedding"][0]["cost"]["cache_hits"] >= 4           # candidates and reconstructions


def test_likelihood_score_is_a_difference_of_two_logprob_calls(pairs):
    cfg = ReconSelectConfig().reconstruction
    traces = ["She worries the advocate's rule would sweep too broadly and wants a limiting principle.",
              "She is thinking about lunch."]
    scorer_backend = LlamaCppBackend()
    result = LikelihoodScorer(scorer_backend, cfg).score(pairs[0], traces)
    independent = LlamaCppBackend()
    for trace, score in zip(traces, result.scores, strict=True):
        with_trace, baseline = independent.logprob([reconstruction_score_request(pairs[0], trace, cfg),
                                                     reconstruction_score_request(pairs[0], None, cfg)])
        assert score == pytest.approx((with_trace.logprob - baseline.logprob) / with_trace.n_tokens, abs=1e-9)


def test_one_pairs_scoring_passes_reuse_the_shared_context(pairs):
    traces = [f"She suspects the rule has no limit, reason {i}." for i in range(4)]
    backend = LlamaCppBackend()
    LikelihoodScorer(backend, ReconSelectConfig().reconstruction).score(pairs[1], traces)
    requested, evaluated = backend.counters.requested, backend.counters.evaluated
    # requested = the N+1 sequences as if each were evaluated from scratch
    assert evaluated < 0.6 * requested
